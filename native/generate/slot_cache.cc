#include "generate/slot_cache.h"

#include <string>

#include "common/errors.h"

namespace pn {

SlotCache::SlotCache(int64_t layers, int64_t slots, int64_t capacity)
    : keys_(static_cast<size_t>(layers)), values_(static_cast<size_t>(layers)), slots_(slots), capacity_(capacity) {
  if (layers <= 0 || slots <= 0 || capacity <= 0) throw UserError("a slot cache needs at least one layer, slot and time step");
}

void SlotCache::Fill(int64_t slot, const KvCache& source, int64_t sourceRow, const std::vector<Span>& spans) {
  int64_t total = 0;
  for (const Span& span : spans) total += span.count;
  if (slot < 0 || slot >= slots_ || total > capacity_) {
    throw UserError("slot cache fill out of range: slot " + std::to_string(slot) + ", " + std::to_string(total) + " steps");
  }
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    const torch::Tensor& k = source.keys(layer);
    const torch::Tensor& v = source.values(layer);
    if (!keys_[layer].defined()) {
      // Zeros, not garbage: a masked key still enters SDPA's arithmetic, and NaN * 0 would poison a row.
      keys_[layer] = torch::zeros({slots_, k.size(1), capacity_, k.size(3)}, k.options());
      values_[layer] = torch::zeros({slots_, v.size(1), capacity_, v.size(3)}, v.options());
    }
    auto copyRow = [&](torch::Tensor& dst, const torch::Tensor& src) {
      torch::Tensor to = dst.select(0, slot);
      torch::Tensor from = src.select(0, sourceRow);
      int64_t at = 0;
      for (const Span& span : spans) {
        if (span.count > 0) to.narrow(1, at, span.count).copy_(from.narrow(1, span.from, span.count));
        at += span.count;
      }
    };
    copyRow(keys_[layer], k);
    copyRow(values_[layer], v);
  }
}

void SlotCache::SetStep(const torch::Tensor& writeIndex, int64_t keys) {
  if (writeIndex.size(0) != slots_ || keys > capacity_) throw UserError("slot cache step out of range");
  writeIndex_ = writeIndex.view({slots_, 1, 1, 1});
  stepKeys_ = keys;
}

std::pair<torch::Tensor, torch::Tensor> SlotCache::Append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  torch::Tensor& keys = keys_.at(layer);
  torch::Tensor& values = values_.at(layer);
  if (!keys.defined() || !writeIndex_.defined() || k.size(0) != slots_ || k.size(2) != 1) {
    throw UserError("a slot cache takes one token per filled slot after SetStep");
  }
  // Each slot writes at its own index.
  keys.scatter_(2, writeIndex_.expand({slots_, k.size(1), 1, k.size(3)}), k.to(keys.scalar_type()));
  values.scatter_(2, writeIndex_.expand({slots_, v.size(1), 1, v.size(3)}), v.to(values.scalar_type()));
  return {keys.narrow(2, 0, stepKeys_), values.narrow(2, 0, stepKeys_)};
}

void SlotCache::KeepRows(const torch::Tensor& rows) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].defined()) continue;
    keys_[i] = keys_[i].index_select(0, rows);
    values_[i] = values_[i].index_select(0, rows);
  }
  slots_ = rows.size(0);
  writeIndex_ = torch::Tensor();
}

}  // namespace pn
