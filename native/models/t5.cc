#include "models/t5.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

#include "common/errors.h"

namespace pn {
namespace {

const torch::TensorOptions kF32 = torch::TensorOptions().dtype(torch::kFloat32);

// HF T5LayerNorm: x * rsqrt(mean(x^2) + eps) with the variance in float32 (no mean subtraction, no bias).
torch::Tensor T5LayerNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  torch::Tensor variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
  return weight * (x * torch::rsqrt(variance + eps)).to(x.scalar_type());
}

torch::Tensor Activation(const torch::Tensor& x, const std::string& name) {
  if (name == "relu") return torch::relu(x);
  if (name == "gelu") return torch::gelu(x);
  if (name == "gelu_new") return torch::gelu(x, "tanh");
  return torch::silu(x);  // "silu" (T5Config::Validate admits nothing else)
}

// An additive mask: 0 where attention is allowed, the dtype's lowest value elsewhere (as transformers' eager
// masks, so that a row with no allowed key stays finite).
torch::Tensor AdditiveMask(const torch::Tensor& allowed, torch::ScalarType dtype) {
  const double lowest = dtype == torch::kBFloat16 ? -3.3895313892515355e38
                        : dtype == torch::kHalf  ? -65504.0
                                                 : static_cast<double>(std::numeric_limits<float>::lowest());
  return torch::zeros(allowed.sizes(), allowed.options().dtype(dtype)).masked_fill(allowed.logical_not(), lowest);
}

}  // namespace

T5Model::T5Model(const T5Config& config, uint64_t seed, bool initialize) : config_(config) {
  config_.Validate();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double f = config_.initializerFactor;
  auto normal = [&](std::vector<int64_t> shape, double std) {
    torch::Tensor t = torch::empty(shape, kF32);
    return initialize ? t.normal_(0.0, std, gen) : t;
  };
  auto norm = [&]() { return initialize ? torch::full({config_.dModel}, f, kF32) : torch::empty({config_.dModel}, kF32); };
  auto linear = [&](const std::string& name, int64_t in, int64_t out, double std) {
    Linear l;
    l.name = name;
    l.weight = normal({out, in}, std);
    return l;
  };
  const int64_t d = config_.dModel, inner = config_.numHeads * config_.dKv;
  auto attention = [&](const std::string& p) {
    T5Attention a;
    a.q = linear(p + "q", d, inner, f * std::pow(static_cast<double>(d * config_.dKv), -0.5));
    a.k = linear(p + "k", d, inner, f * std::pow(static_cast<double>(d), -0.5));
    a.v = linear(p + "v", d, inner, f * std::pow(static_cast<double>(d), -0.5));
    a.o = linear(p + "o", inner, d, f * std::pow(static_cast<double>(inner), -0.5));
    return a;
  };
  auto feedForward = [&](T5Block& b, const std::string& p) {
    const double inStd = f * std::pow(static_cast<double>(d), -0.5);
    if (config_.gatedActivation) {
      b.wi0 = linear(p + "DenseReluDense.wi_0", d, config_.dFf, inStd);
      b.wi1 = linear(p + "DenseReluDense.wi_1", d, config_.dFf, inStd);
    } else {
      b.wi = linear(p + "DenseReluDense.wi", d, config_.dFf, inStd);
    }
    b.wo = linear(p + "DenseReluDense.wo", config_.dFf, d, f * std::pow(static_cast<double>(config_.dFf), -0.5));
    b.ffNorm = norm();
  };

  shared_ = normal({config_.vocabSize, d}, f);
  const double biasStd = f * std::pow(static_cast<double>(d), -0.5);
  for (int64_t i = 0; i < config_.numLayers; ++i) {
    const std::string p = "encoder.block." + std::to_string(i) + ".layer.";
    T5Block b;
    b.selfAttention = attention(p + "0.SelfAttention.");
    b.selfAttentionNorm = norm();
    feedForward(b, p + "1.");
    encoder_.push_back(std::move(b));
  }
  encoderRelBias_ = normal({config_.relativeAttentionNumBuckets, config_.numHeads}, biasStd);
  encoderFinalNorm_ = norm();
  for (int64_t i = 0; i < config_.numDecoderLayers; ++i) {
    const std::string p = "decoder.block." + std::to_string(i) + ".layer.";
    T5Block b;
    b.selfAttention = attention(p + "0.SelfAttention.");
    b.selfAttentionNorm = norm();
    b.crossAttention = attention(p + "1.EncDecAttention.");
    b.crossAttentionNorm = norm();
    feedForward(b, p + "2.");
    decoder_.push_back(std::move(b));
  }
  decoderRelBias_ = normal({config_.relativeAttentionNumBuckets, config_.numHeads}, biasStd);
  decoderFinalNorm_ = norm();
  lmHead_ = config_.tieWordEmbeddings ? shared_ : normal({config_.vocabSize, d}, f);

  // Registration order follows HF's state dict.
  Register("shared.weight", shared_);
  auto registerLinear = [&](const Linear& l) { Register(l.name + ".weight", l.weight); };
  auto registerAttention = [&](const T5Attention& a) {
    for (const Linear* l : {&a.q, &a.k, &a.v, &a.o}) registerLinear(*l);
  };
  auto registerStack = [&](std::vector<T5Block>& blocks, const std::string& stack, const torch::Tensor& relBias,
                           const torch::Tensor& finalNorm) {
    for (size_t i = 0; i < blocks.size(); ++i) {
      T5Block& b = blocks[i];
      const std::string p = stack + ".block." + std::to_string(i) + ".layer.";
      registerAttention(b.selfAttention);
      if (i == 0) Register(p + "0.SelfAttention.relative_attention_bias.weight", relBias);
      Register(p + "0.layer_norm.weight", b.selfAttentionNorm);
      std::string ff = p + "1.";
      if (b.crossAttentionNorm.defined()) {
        registerAttention(b.crossAttention);
        Register(p + "1.layer_norm.weight", b.crossAttentionNorm);
        ff = p + "2.";
      }
      if (config_.gatedActivation) {
        registerLinear(b.wi0);
        registerLinear(b.wi1);
      } else {
        registerLinear(b.wi);
      }
      registerLinear(b.wo);
      Register(ff + "layer_norm.weight", b.ffNorm);
    }
    Register(stack + ".final_layer_norm.weight", finalNorm);
  };
  registerStack(encoder_, "encoder", encoderRelBias_, encoderFinalNorm_);
  registerStack(decoder_, "decoder", decoderRelBias_, decoderFinalNorm_);
  if (!config_.tieWordEmbeddings) Register("lm_head.weight", lmHead_);
}

std::vector<Linear*> T5Model::AllLinears() {
  std::vector<Linear*> out;
  auto add = [&](T5Block& b, bool cross) {
    for (Linear* l : {&b.selfAttention.q, &b.selfAttention.k, &b.selfAttention.v, &b.selfAttention.o}) out.push_back(l);
    if (cross) {
      for (Linear* l : {&b.crossAttention.q, &b.crossAttention.k, &b.crossAttention.v, &b.crossAttention.o}) out.push_back(l);
    }
    if (config_.gatedActivation) {
      out.push_back(&b.wi0);
      out.push_back(&b.wi1);
    } else {
      out.push_back(&b.wi);
    }
    out.push_back(&b.wo);
  };
  for (auto& b : encoder_) add(b, false);
  for (auto& b : decoder_) add(b, true);
  return out;
}

bool T5Model::IgnoredCheckpointTensor(const std::string& name) const {
  // The stacks' embeddings are the shared one; the decoder's first cross-attention never had a relative bias
  // (transformers ignores it too); a tied lm_head duplicates the shared embedding.
  return name == "encoder.embed_tokens.weight" || name == "decoder.embed_tokens.weight" ||
         name == "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight" ||
         (config_.tieWordEmbeddings && name == "lm_head.weight");
}

std::vector<SublayerSite> T5Model::SublayerSites() {
  std::vector<SublayerSite> sites;
  auto add = [&](std::vector<T5Block>& blocks, const std::string& stack, const std::string& ffLayer) {
    for (size_t i = 0; i < blocks.size(); ++i) {
      const std::string p = stack + ".block." + std::to_string(i) + ".";
      sites.push_back({p, p + "layer." + ffLayer + ".layer_norm.weight", &blocks[i].afterAttention, &blocks[i].afterMlp});
    }
  };
  add(encoder_, "encoder", "1");
  add(decoder_, "decoder", "2");
  return sites;
}

void T5Model::SetGradientCheckpointing(bool on) {
  if (on) throw UserError("gradient checkpointing is not supported for T5 models yet; train without --gradient-checkpointing");
  ModelHost::SetGradientCheckpointing(false);
}

void T5Model::ValidateSource(const torch::Tensor& inputIds, const torch::Tensor& attentionMask) const {
  if (inputIds.dim() != 2 || inputIds.size(0) == 0 || inputIds.size(1) == 0) {
    throw UserError("input ids must be a non-empty [batch, source length]");
  }
  const int64_t minId = inputIds.min().item<int64_t>(), maxId = inputIds.max().item<int64_t>();
  if (minId < 0 || maxId >= config_.vocabSize) {
    throw UserError("token id " + std::to_string(minId < 0 ? minId : maxId) + " is outside the vocabulary [0, " +
                    std::to_string(config_.vocabSize) + ")");
  }
  if (attentionMask.defined()) {
    if (attentionMask.sizes() != inputIds.sizes()) throw UserError("the attention mask must have the shape of the input ids");
    if (((attentionMask != 0).logical_and(attentionMask != 1)).any().item<bool>()) {
      throw UserError("attention mask values must be 0 or 1");
    }
  }
}

void T5Model::ValidateTokens(const TokenBatch& batch) const {
  if (batch.positionIds.defined() || batch.sequenceIds.defined()) {
    throw UserError("T5 does not take packed batches (position/sequence ids); use padded batches");
  }
  ValidateSource(batch.inputIds, batch.attentionMask);
  if (!batch.labels.defined()) throw UserError("a T5 forward needs labels: the decoder's target tokens (-100 = no loss)");
  const torch::Tensor& labels = batch.labels;
  if (labels.dim() != 2 || labels.size(0) != batch.inputIds.size(0) || labels.size(1) == 0) {
    throw UserError("labels must be a non-empty [batch, target length] with the input ids' batch size");
  }
  auto bad = (labels != -100).logical_and((labels < 0).logical_or(labels >= config_.vocabSize));
  if (bad.any().item<bool>()) throw UserError("labels must be -100 or token ids in [0, " + std::to_string(config_.vocabSize) + ")");
}

int64_t T5Model::CountTargets(const TokenBatch& batch) const {
  return batch.labels.defined() ? (batch.labels != -100).sum().item<int64_t>() : 0;
}

torch::Tensor T5Model::ShiftRight(const torch::Tensor& labels) const {
  torch::Tensor l = labels.to(torch::kInt64);
  torch::Tensor start = torch::full({l.size(0), 1}, config_.decoderStartTokenId, l.options());
  torch::Tensor shifted = torch::cat({start, l.narrow(1, 0, l.size(1) - 1)}, 1);
  return shifted.masked_fill(shifted == -100, config_.padTokenId);
}

torch::Tensor T5Model::RelativePositionBias(const torch::Tensor& table, int64_t queries, int64_t keys, bool bidirectional,
                                            int64_t firstQuery) const {
  // transformers' T5Attention._relative_position_bucket, step for step (the float32 log decides the buckets).
  const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(table.device());
  torch::Tensor relative = torch::arange(keys, longs).unsqueeze(0) - torch::arange(firstQuery, firstQuery + queries, longs).unsqueeze(1);
  int64_t numBuckets = config_.relativeAttentionNumBuckets;
  torch::Tensor buckets = torch::zeros_like(relative);
  if (bidirectional) {
    numBuckets /= 2;
    buckets = buckets + (relative > 0).to(torch::kInt64) * numBuckets;
    relative = relative.abs();
  } else {
    relative = -torch::min(relative, torch::zeros_like(relative));
  }
  const int64_t maxExact = numBuckets / 2;
  torch::Tensor isSmall = relative < maxExact;
  torch::Tensor large = maxExact + (torch::log(relative.to(torch::kFloat32) / static_cast<double>(maxExact)) /
                                    std::log(static_cast<double>(config_.relativeAttentionMaxDistance) / static_cast<double>(maxExact)) *
                                    static_cast<double>(numBuckets - maxExact))
                                       .to(torch::kInt64);
  large = torch::min(large, torch::full_like(large, numBuckets - 1));
  buckets = buckets + torch::where(isSmall, relative, large);
  return torch::embedding(table, buckets).permute({2, 0, 1}).unsqueeze(0);  // [1, heads, queries, keys]
}

torch::Tensor T5Model::Dropout(const torch::Tensor& x, bool training) const {
  return training && config_.dropoutRate > 0 ? torch::dropout(x, config_.dropoutRate, /*train=*/true) : x;
}

std::pair<torch::Tensor, torch::Tensor> T5Model::KeysValues(const T5Attention& attention, const torch::Tensor& source,
                                                            bool training) const {
  const int64_t b = source.size(0), s = source.size(1), heads = config_.numHeads, hd = config_.dKv;
  return {attention.k.Forward(source, training).view({b, s, heads, hd}).transpose(1, 2),
          attention.v.Forward(source, training).view({b, s, heads, hd}).transpose(1, 2)};
}

torch::Tensor T5Model::Attend(const T5Attention& attention, const torch::Tensor& x, const std::pair<torch::Tensor, torch::Tensor>& kv,
                              const torch::Tensor& bias, bool training) const {
  const int64_t b = x.size(0), t = x.size(1), heads = config_.numHeads, hd = config_.dKv;
  torch::Tensor q = attention.q.Forward(x, training).view({b, t, heads, hd}).transpose(1, 2);
  const torch::Tensor& k = kv.first;
  const torch::Tensor& v = kv.second;
  const double dropout = training ? config_.dropoutRate : 0.0;
  torch::Tensor out = bias.defined()
                          ? at::scaled_dot_product_attention(q, k, v, bias.to(q.scalar_type()), dropout, false, /*scale=*/1.0)
                          : at::scaled_dot_product_attention(q, k, v, {}, dropout, false, /*scale=*/1.0);
  return attention.o.Forward(out.transpose(1, 2).reshape({b, t, heads * hd}), training);
}

torch::Tensor T5Model::FeedForward(const T5Block& block, const torch::Tensor& x, bool training) const {
  torch::Tensor h = config_.gatedActivation
                        ? Activation(block.wi0.Forward(x, training), config_.denseActivation) * block.wi1.Forward(x, training)
                        : Activation(block.wi.Forward(x, training), config_.denseActivation);
  return block.wo.Forward(Dropout(h, training), training);
}

torch::Tensor T5Model::Encode(const torch::Tensor& inputIds, torch::Tensor& mask, bool training) {
  torch::Tensor h = Embed(shared_, inputIds);
  // Prompt tuning's embeddings (prefix tuning's keys and values are the decoder's: DecoderPrefix).
  const torch::Tensor virtualEmbeddings = virtualTokens_ ? virtualTokens_->Embeddings() : torch::Tensor();
  if (virtualEmbeddings.defined()) {
    // PEFT's PeftModelForSeq2SeqLM: the prompt embeddings go before the source, their mask 1.
    const int64_t n = virtualEmbeddings.size(0);
    h = torch::cat({virtualEmbeddings.to(h.scalar_type()).unsqueeze(0).expand({h.size(0), n, h.size(2)}), h}, 1);
    if (mask.defined()) mask = torch::cat({torch::ones({mask.size(0), n}, mask.options()), mask}, 1);
  }
  h = Dropout(h, training);
  const int64_t s = h.size(1);
  torch::Tensor bias = RelativePositionBias(encoderRelBias_, s, s, /*bidirectional=*/true);
  if (mask.defined()) bias = bias + SourceBias(mask);
  const double eps = config_.layerNormEpsilon;
  for (const T5Block& b : encoder_) {
    torch::Tensor x = T5LayerNorm(h, b.selfAttentionNorm, eps);
    torch::Tensor a = Attend(b.selfAttention, x, KeysValues(b.selfAttention, x, training), bias, training);
    if (b.afterAttention) a = b.afterAttention->Forward(a);
    h = h + Dropout(a, training);
    torch::Tensor f = FeedForward(b, T5LayerNorm(h, b.ffNorm, eps), training);
    if (b.afterMlp) f = b.afterMlp->Forward(f);
    h = h + Dropout(f, training);
  }
  return Dropout(T5LayerNorm(h, encoderFinalNorm_, eps), training);
}

torch::Tensor T5Model::Decode(const torch::Tensor& decoderIds, const torch::Tensor& encoded, const torch::Tensor& sourceBias,
                              bool training) {
  const int64_t t = decoderIds.size(1);
  const auto prefix = DecoderPrefix(decoderIds.size(0));
  const int64_t n = prefix.empty() ? 0 : prefix[0].first.size(2);
  torch::Tensor h = Dropout(Embed(shared_, decoderIds), training);
  // The decoder's tokens sit at positions n.. after the prefix slots (HF's cache positions) and see all of them.
  torch::Tensor bias = RelativePositionBias(decoderRelBias_, t, n + t, /*bidirectional=*/false, n);
  const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(h.device());
  torch::Tensor causal = torch::arange(n, n + t, longs).unsqueeze(1) >= torch::arange(n + t, longs).unsqueeze(0);
  bias = bias + AdditiveMask(causal, bias.scalar_type());
  const double eps = config_.layerNormEpsilon;
  for (size_t i = 0; i < decoder_.size(); ++i) {
    const T5Block& b = decoder_[i];
    torch::Tensor x = T5LayerNorm(h, b.selfAttentionNorm, eps);
    auto kv = KeysValues(b.selfAttention, x, training);
    if (!prefix.empty()) {
      kv = {torch::cat({prefix[i].first.to(kv.first.scalar_type()), kv.first}, 2),
            torch::cat({prefix[i].second.to(kv.second.scalar_type()), kv.second}, 2)};
    }
    torch::Tensor a = Attend(b.selfAttention, x, kv, bias, training);
    if (b.afterAttention) a = b.afterAttention->Forward(a);
    h = h + Dropout(a, training);
    h = h + Dropout(Attend(b.crossAttention, T5LayerNorm(h, b.crossAttentionNorm, eps), KeysValues(b.crossAttention, encoded, training),
                           sourceBias, training),
                    training);
    torch::Tensor f = FeedForward(b, T5LayerNorm(h, b.ffNorm, eps), training);
    if (b.afterMlp) f = b.afterMlp->Forward(f);
    h = h + Dropout(f, training);
  }
  h = Dropout(T5LayerNorm(h, decoderFinalNorm_, eps), training);
  return config_.scaleDecoderOutputs ? h * std::pow(static_cast<double>(config_.dModel), -0.5) : h;
}

ForwardOutput T5Model::Forward(const TokenBatch& hostInput, bool wantLogits, bool training) {
  ValidateTokens(hostInput);
  const bool padded = hostInput.attentionMask.defined() && (hostInput.attentionMask == 0).any().item<bool>();
  const TokenBatch input = ToDevice(hostInput, device());
  torch::Tensor mask = padded ? input.attentionMask : torch::Tensor();
  torch::Tensor encoded = Encode(input.inputIds, mask, training);
  // Cross-attention sees every real source token: the source padding, as an additive [B, 1, 1, S] mask.
  torch::Tensor sourceBias = mask.defined() ? SourceBias(mask) : torch::Tensor();
  torch::Tensor h = Decode(ShiftRight(input.labels), encoded, sourceBias, training);

  ForwardOutput out;
  // The loss targets from the host copy (no device sync).
  const torch::Tensor hostTargets = hostInput.labels.to(torch::kInt64).reshape({-1});
  const torch::Tensor hostRows = (hostTargets != -100).nonzero().squeeze(1);
  out.targetTokens = hostRows.size(0);
  const torch::Tensor targets = hostTargets.to(device());
  torch::Tensor hidden = h.reshape({-1, h.size(-1)});
  if (!wantLogits) {
    const torch::Tensor rows = hostRows.to(device());
    torch::Tensor logits = torch::matmul(hidden.index_select(0, rows), lmHead_.t());
    out.lossSum = torch::cross_entropy_loss(logits.to(torch::kFloat32), targets.index_select(0, rows), {}, at::Reduction::Sum);
  } else {
    out.logits = torch::matmul(h, lmHead_.t());
    out.lossSum = torch::cross_entropy_loss(out.logits.reshape({-1, out.logits.size(-1)}).to(torch::kFloat32), targets, {},
                                            at::Reduction::Sum, -100);
  }
  return out;
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> T5Model::DecoderPrefix(int64_t batch) const {
  if (!virtualTokens_ || virtualTokens_->Embeddings().defined()) return {};
  const auto table = virtualTokens_->KeysValues(batch);
  // PEFT's get_prompt for an encoder-decoder: the table's num_layers x (k, v) entries are repeated once and
  // cut in fours, (self k, self v, cross k, cross v) per decoder block; the cross pairs are then dropped. So
  // block i takes the keys and values of table layer 2i mod num_layers.
  const size_t layers = table.size();
  std::vector<std::pair<torch::Tensor, torch::Tensor>> perBlock;
  for (int64_t i = 0; i < config_.numDecoderLayers; ++i) perBlock.push_back(table[(2 * static_cast<size_t>(i)) % layers]);
  return perBlock;
}

torch::Tensor T5Model::SourceBias(const torch::Tensor& attentionMask) const {
  return AdditiveMask(attentionMask.to(torch::kBool).unsqueeze(1).unsqueeze(1), torch::kFloat32);
}

std::unique_ptr<T5DecodeState> T5Model::StartDecoding(const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                                                      int64_t maxSteps) {
  ValidateSource(inputIds, attentionMask);
  const bool padded = attentionMask.defined() && (attentionMask == 0).any().item<bool>();
  const torch::Tensor ids = inputIds.to(device());
  torch::Tensor mask = padded ? attentionMask.to(device()) : torch::Tensor();
  const auto prefix = DecoderPrefix(inputIds.size(0));
  const int64_t n = prefix.empty() ? 0 : prefix[0].first.size(2);
  auto state = std::make_unique<T5DecodeState>(config_.numDecoderLayers, n + maxSteps);
  if (n > 0) {
    // The prefix keys/values open every decoder block's self-attention cache, as PEFT's past_key_values.
    for (size_t i = 0; i < prefix.size(); ++i) {
      state->selfCache.Append(i, prefix[i].first.to(torch::kFloat32), prefix[i].second.to(torch::kFloat32));
    }
    state->selfCache.Advance(n);
  }
  const torch::Tensor encoded = Encode(ids, mask, /*training=*/false);
  if (mask.defined()) state->sourceBias = SourceBias(mask);
  for (const T5Block& b : decoder_) state->crossKv.push_back(KeysValues(b.crossAttention, encoded, /*training=*/false));
  return state;
}

torch::Tensor T5Model::DecodeStep(T5DecodeState& state, const torch::Tensor& ids) {
  const int64_t position = state.selfCache.length();
  torch::Tensor h = Embed(shared_, ids.unsqueeze(1));
  // One query at `position` sees every cached key: no causal mask, only the relative bias from that offset.
  const torch::Tensor bias = RelativePositionBias(decoderRelBias_, 1, position + 1, /*bidirectional=*/false, position);
  const double eps = config_.layerNormEpsilon;
  for (size_t i = 0; i < decoder_.size(); ++i) {
    const T5Block& b = decoder_[i];
    torch::Tensor x = T5LayerNorm(h, b.selfAttentionNorm, eps);
    auto [k, v] = KeysValues(b.selfAttention, x, /*training=*/false);
    torch::Tensor a = Attend(b.selfAttention, x, state.selfCache.Append(i, k, v), bias, /*training=*/false);
    if (b.afterAttention) a = b.afterAttention->Forward(a);
    h = h + a;
    h = h + Attend(b.crossAttention, T5LayerNorm(h, b.crossAttentionNorm, eps), state.crossKv[i], state.sourceBias, false);
    torch::Tensor f = FeedForward(b, T5LayerNorm(h, b.ffNorm, eps), /*training=*/false);
    if (b.afterMlp) f = b.afterMlp->Forward(f);
    h = h + f;
  }
  state.selfCache.Advance(1);
  h = T5LayerNorm(h, decoderFinalNorm_, eps);
  if (config_.scaleDecoderOutputs) h = h * std::pow(static_cast<double>(config_.dModel), -0.5);
  return torch::matmul(h.select(1, 0), lmHead_.t());
}

void T5Model::KeepRows(T5DecodeState& state, const torch::Tensor& rows) const {
  state.selfCache.KeepRows(rows);
  for (auto& [k, v] : state.crossKv) {
    k = k.index_select(0, rows);
    v = v.index_select(0, rows);
  }
  if (state.sourceBias.defined()) state.sourceBias = state.sourceBias.index_select(0, rows);
}

}  // namespace pn
