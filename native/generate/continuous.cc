#include "generate/continuous.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "common/errors.h"
#include "generate/decode_common.h"
#include "generate/shared_prefixes.h"
#include "generate/slot_cache.h"

namespace pn {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The real tokens of each prompt row (mask 1), in order: padding on either side is dropped.
std::vector<std::vector<int64_t>> RealTokens(const torch::Tensor& inputIds, const torch::Tensor& mask) {
  torch::Tensor ids = inputIds.to(torch::kCPU, torch::kInt64).contiguous();
  torch::Tensor m = mask.to(torch::kCPU, torch::kInt64).contiguous();
  auto idsA = ids.accessor<int64_t, 2>();
  auto maskA = m.accessor<int64_t, 2>();
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(ids.size(0)));
  for (int64_t b = 0; b < ids.size(0); ++b) {
    for (int64_t t = 0; t < ids.size(1); ++t) {
      if (maskA[b][t] != 0) rows[static_cast<size_t>(b)].push_back(idsA[b][t]);
    }
  }
  return rows;
}

class ContinuousRun {
 public:
  ContinuousRun(LlamaModel& model, std::vector<std::vector<int64_t>> prompts, const GenerateOptions& o,
                const ContinuousOptions& c, int64_t capacity)
      : model_(model),
        o_(o),
        c_(c),
        prompts_(std::move(prompts)),
        virtual_(model.VirtualTokenCount()),
        cache_(model.config().numHiddenLayers, std::min<int64_t>(c.slots, static_cast<int64_t>(prompts_.size())), capacity),
        generators_(prompts_.size()) {
    const int64_t n = static_cast<int64_t>(prompts_.size());
    shared_ = FindSharedPrefixes(prompts_, c.minSharedPrefix);
    waiting_ = shared_.groupSize;
    queue_ = AdmissionOrder();
    const auto opts = torch::TensorOptions().device(model.device());
    keyValid_ = torch::zeros({cache_.slots(), capacity}, opts.dtype(torch::kBool));
    keyPos_ = torch::zeros({cache_.slots(), capacity}, opts.dtype(torch::kInt64));
    slots_.resize(static_cast<size_t>(cache_.slots()));
    result_.tokens = torch::full({n, o.maxNewTokens}, o.padId, torch::TensorOptions().dtype(torch::kInt32));
    result_.lengths = torch::zeros({n}, torch::TensorOptions().dtype(torch::kInt32));
  }

  GenerateResult Run() {
    std::vector<int64_t> all(slots_.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    std::vector<int64_t> ended = Admit(all);
    while (true) {
      // Refill the slots of ended rows from the queue; a newcomer may end at its first token and free its slot again.
      while (!ended.empty() && !queue_.empty()) {
        const size_t take = std::min(ended.size(), queue_.size());
        std::vector<int64_t> slots(ended.begin(), ended.begin() + static_cast<std::ptrdiff_t>(take));
        std::vector<int64_t> rest(ended.begin() + static_cast<std::ptrdiff_t>(take), ended.end());
        for (int64_t s : Admit(slots)) rest.push_back(s);
        ended = std::move(rest);
      }
      if (!ended.empty()) Drop(ended);  // nothing waits: the batch shrinks
      if (slots_.empty()) break;
      std::vector<int64_t> active(slots_.size());
      for (size_t i = 0; i < active.size(); ++i) active[i] = static_cast<int64_t>(i);
      ended = ChooseAndRecord(Step(), active);
    }
    return std::move(result_);
  }

 private:
  struct Slot {
    int64_t row = -1;       // output row
    int64_t nextWrite = 0;  // cache index of the next token fed
    int64_t lastPos = 0;    // position of the last token in the cache
    int64_t generated = 0;
    int64_t lastToken = 0;  // the token to feed next
  };

  const std::vector<int64_t>& Prompt(int64_t row) const { return prompts_[static_cast<size_t>(row)]; }
  int64_t Group(int64_t row) const { return shared_.groupOf[static_cast<size_t>(row)]; }
  // The prompt tokens of `row` whose keys/values come from its group's shared prefix.
  int64_t SharedLength(int64_t row) const { return Group(row) < 0 ? 0 : shared_.groupLength[static_cast<size_t>(Group(row))]; }

  // Longest first (stable): the largest prefills and caches come at once, and similar lengths join together.
  // A group's members follow each other (the group placed by its longest member), so that its shared prefix
  // is kept only while its members are admitted.
  std::deque<int64_t> AdmissionOrder() const {
    const int64_t n = static_cast<int64_t>(prompts_.size());
    std::vector<int64_t> unitLength(static_cast<size_t>(n), 0);  // per prompt: the longest prompt of its group (or its own)
    std::vector<int64_t> groupLongest(shared_.groupSize.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      if (Group(i) >= 0) groupLongest[static_cast<size_t>(Group(i))] = std::max<int64_t>(groupLongest[static_cast<size_t>(Group(i))], static_cast<int64_t>(Prompt(i).size()));
    }
    for (int64_t i = 0; i < n; ++i) {
      unitLength[static_cast<size_t>(i)] = Group(i) < 0 ? static_cast<int64_t>(Prompt(i).size()) : groupLongest[static_cast<size_t>(Group(i))];
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      const int64_t ua = unitLength[static_cast<size_t>(a)], ub = unitLength[static_cast<size_t>(b)];
      if (ua != ub) return ua > ub;
      // Equal units: a group's members together, then longest first within it.
      if (Group(a) != Group(b)) return Group(a) < Group(b);
      return Prompt(a).size() > Prompt(b).size();
    });
    return std::deque<int64_t>(order.begin(), order.end());
  }

  // The keys/values of a group's shared prefix [1, kvHeads, virtual + length, hd] per layer, computed on first use.
  const KvCache& PrefixCache(int64_t group, int64_t row) {
    auto found = prefixCaches_.find(group);
    if (found != prefixCaches_.end()) return found->second;
    const int64_t p = shared_.groupLength[static_cast<size_t>(group)];
    const torch::Device device = model_.device();
    const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(device);
    torch::Tensor ids = torch::tensor(std::vector<int64_t>(Prompt(row).begin(), Prompt(row).begin() + p), torch::kInt64).view({1, p}).to(device);
    torch::Tensor positions = torch::arange(virtual_, virtual_ + p, longs).view({1, p});
    torch::Tensor keyValid = torch::ones({1, virtual_ + p}, longs.dtype(torch::kBool));
    torch::Tensor keyPos = torch::arange(virtual_ + p, longs).view({1, virtual_ + p});
    KvCache cache(model_.config().numHiddenLayers, virtual_ + p);
    model_.PrefillVirtualTokens(cache, 1);
    model_.DecodeHidden(ids, positions, StepMask(keyValid, keyPos, positions, virtual_, model_.config().slidingWindow), cache);
    result_.reusedPromptTokens -= p;  // computed once; every member adds what it reuses
    return prefixCaches_.emplace(group, std::move(cache)).first->second;
  }

  // Appends to `prefill` (after the virtual tokens) each row's shared prefix, left-aligned in `past` indices
  // (zeros after it, masked).
  void AppendSharedPrefixes(KvCache& prefill, const std::vector<int64_t>& rows, const std::vector<int64_t>& shared, int64_t past) {
    const int64_t k = static_cast<int64_t>(rows.size());
    std::vector<const KvCache*> sources(rows.size(), nullptr);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (shared[i] > 0) sources[i] = &PrefixCache(Group(rows[i]), rows[i]);
    }
    const KvCache* any = *std::find_if(sources.begin(), sources.end(), [](const KvCache* c) { return c != nullptr; });
    for (size_t layer = 0; layer < static_cast<size_t>(model_.config().numHiddenLayers); ++layer) {
      const torch::Tensor& k0 = any->keys(layer);
      torch::Tensor keys = torch::zeros({k, k0.size(1), past, k0.size(3)}, k0.options());
      torch::Tensor values = torch::zeros_like(keys);
      for (size_t i = 0; i < rows.size(); ++i) {
        if (sources[i] == nullptr) continue;
        keys[static_cast<int64_t>(i)].narrow(1, 0, shared[i]).copy_(sources[i]->keys(layer)[0].narrow(1, virtual_, shared[i]));
        values[static_cast<int64_t>(i)].narrow(1, 0, shared[i]).copy_(sources[i]->values(layer)[0].narrow(1, virtual_, shared[i]));
      }
      prefill.Append(layer, keys, values);
    }
    prefill.Advance(past);
  }

  // Prefills the next prompts of the queue (left-padded among themselves, as Generate prefills a batch, each
  // after its shared prefix's keys/values) and moves their keys/values into `slots`; chooses and records their
  // first tokens. Returns the slots whose row ended at once.
  std::vector<int64_t> Admit(const std::vector<int64_t>& slots) {
    const int64_t k = static_cast<int64_t>(slots.size());
    std::vector<int64_t> rows, shared;
    int64_t width = 0, past = 0;  // the longest unshared rest; the longest shared prefix
    for (int64_t i = 0; i < k; ++i) {
      rows.push_back(queue_.front());
      queue_.pop_front();
      shared.push_back(SharedLength(rows.back()));
      width = std::max<int64_t>(width, static_cast<int64_t>(Prompt(rows.back()).size()) - shared.back());
      past = std::max(past, shared.back());
    }
    torch::Tensor ids = torch::full({k, width}, o_.padId, torch::kInt64);
    torch::Tensor mask = torch::zeros({k, width}, torch::kInt64);
    for (int64_t i = 0; i < k; ++i) {
      const std::vector<int64_t>& p = Prompt(rows[static_cast<size_t>(i)]);
      const int64_t from = shared[static_cast<size_t>(i)], r = static_cast<int64_t>(p.size()) - from;
      ids[i].narrow(0, width - r, r).copy_(torch::tensor(std::vector<int64_t>(p.begin() + from, p.end()), torch::kInt64));
      mask[i].narrow(0, width - r, r).fill_(1);
    }
    const torch::Device device = model_.device();
    ids = ids.to(device);
    mask = mask.to(device);
    const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(device);
    torch::Tensor sharedT = torch::tensor(shared, torch::kInt64).to(device).view({k, 1});
    torch::Tensor positions = (mask.cumsum(1) - 1 + virtual_ + sharedT).masked_fill(mask == 0, 0);
    // Cache order: virtual tokens, each row's shared prefix (left-aligned in `past`), its left-padded rest.
    torch::Tensor pastIndex = torch::arange(past, longs).view({1, past});
    torch::Tensor keyValid = torch::cat({torch::ones({k, virtual_}, longs.dtype(torch::kBool)), pastIndex < sharedT, mask != 0}, 1);
    torch::Tensor keyPos = torch::cat({torch::arange(virtual_, longs).unsqueeze(0).expand({k, virtual_}), (pastIndex + virtual_).expand({k, past}), positions}, 1);
    KvCache prefill(model_.config().numHiddenLayers, virtual_ + past + width);
    model_.PrefillVirtualTokens(prefill, k);
    if (past > 0) AppendSharedPrefixes(prefill, rows, shared, past);
    torch::Tensor hidden = model_.DecodeHidden(ids, positions, StepMask(keyValid, keyPos, positions, virtual_ + past, model_.config().slidingWindow), prefill);
    // Left padding: every row's last real token is the last column.
    torch::Tensor logits = model_.Logits(hidden.select(1, width - 1));
    for (int64_t i = 0; i < k; ++i) {
      const int64_t slot = slots[static_cast<size_t>(i)], row = rows[static_cast<size_t>(i)];
      const int64_t own = shared[static_cast<size_t>(i)], r = static_cast<int64_t>(Prompt(row).size()) - own;
      const int64_t filled = virtual_ + own + r;
      cache_.Fill(slot, prefill, i, {{0, virtual_ + own}, {virtual_ + past + width - r, r}});
      keyValid_[slot].fill_(false);
      keyValid_[slot].narrow(0, 0, filled).fill_(true);
      keyPos_[slot].narrow(0, 0, filled).copy_(torch::arange(filled, longs));
      slots_[static_cast<size_t>(slot)] = Slot{row, filled, filled - 1, 0, 0};
      result_.reusedPromptTokens += own;
      const int64_t group = Group(row);
      if (group >= 0 && --waiting_[static_cast<size_t>(group)] == 0) prefixCaches_.erase(group);
    }
    return ChooseAndRecord(logits, slots);
  }

  // Chooses the next token of each of `slots` from logits [slots.size(), V] and records it; returns the slots
  // whose row ended (EOS or maxNewTokens).
  std::vector<int64_t> ChooseAndRecord(const torch::Tensor& logits, const std::vector<int64_t>& slots) {
    std::vector<int64_t> ids(slots.size());
    if (o_.temperature == 0) {
      torch::Tensor next = logits.argmax(-1).to(torch::kCPU);
      auto a = next.accessor<int64_t, 1>();
      for (size_t i = 0; i < slots.size(); ++i) ids[i] = a[static_cast<int64_t>(i)];
    } else {
      for (size_t i = 0; i < slots.size(); ++i) {
        const int64_t row = slots_[static_cast<size_t>(slots[i])].row;
        ids[i] = ChooseTokens(logits.narrow(0, static_cast<int64_t>(i), 1), o_, Generator(row)).to(torch::kCPU).item<int64_t>();
      }
    }
    auto tokensOut = result_.tokens.accessor<int32_t, 2>();
    auto lengthsOut = result_.lengths.accessor<int32_t, 1>();
    std::vector<int64_t> ended;
    for (size_t i = 0; i < slots.size(); ++i) {
      Slot& slot = slots_[static_cast<size_t>(slots[i])];
      const int64_t id = ids[i];
      tokensOut[slot.row][slot.generated] = static_cast<int32_t>(id);
      lengthsOut[slot.row] = static_cast<int32_t>(++slot.generated);
      slot.lastToken = id;
      const bool eos = std::find(o_.eosIds.begin(), o_.eosIds.end(), id) != o_.eosIds.end();
      if (eos || slot.generated == o_.maxNewTokens) {
        ended.push_back(slots[i]);
        ++done_;
        if (c_.onRowDone) c_.onRowDone(done_);
      }
    }
    return ended;
  }

  at::Generator& Generator(int64_t row) {
    std::optional<at::Generator>& g = generators_[static_cast<size_t>(row)];
    if (!g) {
      const int64_t id = c_.rowIds.empty() ? row : c_.rowIds[static_cast<size_t>(row)];
      g = at::make_generator<at::CPUGeneratorImpl>(SplitMix64(o_.seed ^ SplitMix64(static_cast<uint64_t>(id))));
    }
    return *g;
  }

  // One decoding pass: every slot feeds its last token at its own cache index and position; logits [slots, V].
  torch::Tensor Step() {
    const int64_t a = static_cast<int64_t>(slots_.size());
    std::vector<int64_t> tokens, write, pos;
    int64_t keys = 0;
    for (const Slot& s : slots_) {
      tokens.push_back(s.lastToken);
      write.push_back(s.nextWrite);
      pos.push_back(s.lastPos + 1);
      keys = std::max(keys, s.nextWrite + 1);
    }
    const torch::Device device = model_.device();
    torch::Tensor next = torch::tensor(tokens, torch::kInt64).view({a, 1}).to(device);
    torch::Tensor writeIndex = torch::tensor(write, torch::kInt64).to(device);
    torch::Tensor queryPos = torch::tensor(pos, torch::kInt64).view({a, 1}).to(device);
    keyValid_.scatter_(1, writeIndex.view({a, 1}), true);
    keyPos_.scatter_(1, writeIndex.view({a, 1}), queryPos);
    // Keys past a slot's own index are invalid for it: causal order is its validity, so the query index is the last one.
    torch::Tensor mask = StepMask(keyValid_.narrow(1, 0, keys), keyPos_.narrow(1, 0, keys), queryPos, keys - 1, model_.config().slidingWindow);
    cache_.SetStep(writeIndex, keys);
    torch::Tensor hidden = model_.DecodeHidden(next, queryPos, mask, cache_);
    for (Slot& s : slots_) {
      ++s.nextWrite;
      ++s.lastPos;
    }
    ++result_.steps;
    return model_.Logits(hidden.select(1, 0));
  }

  // The slots in `ended` leave the batch (no prompt waits for them).
  void Drop(const std::vector<int64_t>& ended) {
    std::vector<int64_t> keep;
    std::vector<Slot> kept;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (std::find(ended.begin(), ended.end(), static_cast<int64_t>(i)) != ended.end()) continue;
      keep.push_back(static_cast<int64_t>(i));
      kept.push_back(slots_[i]);
    }
    slots_ = std::move(kept);
    if (keep.empty()) return;
    torch::Tensor rows = torch::tensor(keep, torch::kInt64).to(model_.device());
    cache_.KeepRows(rows);
    keyValid_ = keyValid_.index_select(0, rows);
    keyPos_ = keyPos_.index_select(0, rows);
  }

  LlamaModel& model_;
  const GenerateOptions& o_;
  const ContinuousOptions& c_;
  std::vector<std::vector<int64_t>> prompts_;
  int64_t virtual_;
  SlotCache cache_;
  SharedPrefixes shared_;
  std::vector<int64_t> waiting_;                  // per group: members not admitted yet
  std::map<int64_t, KvCache> prefixCaches_;       // per group with members waiting: its shared prefix's keys/values
  std::deque<int64_t> queue_;
  std::vector<Slot> slots_;  // the filled slots, in cache order
  torch::Tensor keyValid_, keyPos_;  // [slots, capacity]: which cache indices hold a key of the slot's row, and their positions
  std::vector<std::optional<at::Generator>> generators_;
  GenerateResult result_;
  int64_t done_ = 0;
};

}  // namespace

GenerateResult GenerateContinuous(LlamaModel& model, const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                                  const GenerateOptions& o, const ContinuousOptions& c) {
  c10::InferenceMode inference;
  const ModelConfig& config = model.config();
  ValidateOptions(o, config.vocabSize);
  if (c.slots <= 0) throw UserError("slots must be a positive integer");
  torch::Tensor mask = PromptMask(inputIds, attentionMask);
  if (!c.rowIds.empty() && static_cast<int64_t>(c.rowIds.size()) != inputIds.size(0)) {
    throw UserError("rowIds must give one id per prompt row (" + std::to_string(inputIds.size(0)) + ")");
  }
  const int64_t ids_min = inputIds.min().item<int64_t>(), ids_max = inputIds.max().item<int64_t>();
  if (ids_min < 0 || ids_max >= config.vocabSize) {
    throw UserError("token id " + std::to_string(ids_min < 0 ? ids_min : ids_max) + " is outside the vocabulary [0, " + std::to_string(config.vocabSize) + ")");
  }
  const int64_t longest = mask.sum(1).max().item<int64_t>();
  const int64_t virtual_ = model.VirtualTokenCount();
  CheckPositions(longest, virtual_, o, config.maxPositionEmbeddings);
  // Every slot can hold the longest prompt and all its new tokens but the last (never fed back).
  ContinuousRun run(model, RealTokens(inputIds, mask), o, c, virtual_ + longest + o.maxNewTokens - 1);
  return run.Run();
}

}  // namespace pn
