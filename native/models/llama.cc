#include "models/llama.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <regex>
#include <set>
#include <tuple>

#include "common/errors.h"
#include "io/safetensors.h"
#include "models/checkpointed_layer.h"
#include "models/rope.h"
#include "models/virtual_token_inputs.h"

namespace pn {
namespace {

const torch::TensorOptions kF32 = torch::TensorOptions().dtype(torch::kFloat32);

// Whether causal attention alone gives a padded batch's loss: every row's padding comes after its real tokens
// (what a real token may see is then never padding) and no padding position carries a label. Host tensors.
bool CausalSufficesForLoss(const TokenBatch& host) {
  const torch::Tensor real = host.attentionMask.to(torch::kBool);
  const int64_t t = real.size(1);
  if (t > 1 && real.narrow(1, 1, t - 1).logical_and(real.narrow(1, 0, t - 1).logical_not()).any().item<bool>()) return false;
  return !host.labels.defined() || !host.labels.masked_select(real.logical_not()).ne(-100).any().item<bool>();
}

// HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) in float32, times the weight.
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  torch::Tensor xf = x.to(torch::kFloat32);
  torch::Tensor variance = xf.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (xf * torch::rsqrt(variance + eps)).to(x.scalar_type());
}

std::string LayerPrefix(size_t i) { return "model.layers." + std::to_string(i) + "."; }

}  // namespace

LlamaModel::LlamaModel(const ModelConfig& config, uint64_t seed, bool initialize) : config_(config) {
  config_.Validate();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std = config_.initializerRange;
  auto normal = [&](std::vector<int64_t> shape) {
    torch::Tensor t = torch::empty(shape, kF32);
    return initialize ? t.normal_(0.0, std, gen) : t;
  };
  auto ones = [&](int64_t n) { return initialize ? torch::ones({n}, kF32) : torch::empty({n}, kF32); };
  auto zeros = [&](int64_t n) { return initialize ? torch::zeros({n}, kF32) : torch::empty({n}, kF32); };
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
    Linear l;
    l.name = name;
    l.weight = normal({out, in});
    if (bias) l.bias = zeros(out);
    return l;
  };

  const int64_t h = config_.hiddenSize;
  const int64_t qDim = config_.numAttentionHeads * config_.headDim;
  const int64_t kvDim = config_.numKeyValueHeads * config_.headDim;
  embedTokens_ = normal({config_.vocabSize, h});
  for (int64_t i = 0; i < config_.numHiddenLayers; ++i) {
    const std::string p = LayerPrefix(static_cast<size_t>(i));
    DecoderLayer layer;
    layer.inputNorm = ones(h);
    layer.postAttnNorm = ones(h);
    if (config_.qkNorm) {
      layer.qNorm = ones(config_.headDim);
      layer.kNorm = ones(config_.headDim);
    }
    layer.q = linear(p + "self_attn.q_proj", h, qDim, config_.qkvBias);
    layer.k = linear(p + "self_attn.k_proj", h, kvDim, config_.qkvBias);
    layer.v = linear(p + "self_attn.v_proj", h, kvDim, config_.qkvBias);
    layer.o = linear(p + "self_attn.o_proj", qDim, h, config_.oBias);
    layer.gate = linear(p + "mlp.gate_proj", h, config_.intermediateSize, config_.mlpBias);
    layer.up = linear(p + "mlp.up_proj", h, config_.intermediateSize, config_.mlpBias);
    layer.down = linear(p + "mlp.down_proj", config_.intermediateSize, h, config_.mlpBias);
    layers_.push_back(std::move(layer));
  }
  finalNorm_ = ones(h);
  lmHead_ = config_.tieWordEmbeddings ? embedTokens_ : normal({config_.vocabSize, h});
  invFreq_ = RopeInverseFrequencies(config_);

  // Registration order follows HF's state dict.
  Register("model.embed_tokens.weight", embedTokens_);
  for (size_t i = 0; i < layers_.size(); ++i) {
    DecoderLayer& l = layers_[i];
    const std::string p = LayerPrefix(i);
    for (Linear* lin : {&l.q, &l.k, &l.v, &l.o}) {
      Register(lin->name + ".weight", lin->weight);
      if (lin->bias.defined()) Register(lin->name + ".bias", lin->bias);
    }
    if (config_.qkNorm) {
      Register(p + "self_attn.q_norm.weight", l.qNorm);
      Register(p + "self_attn.k_norm.weight", l.kNorm);
    }
    for (Linear* lin : {&l.gate, &l.up, &l.down}) {
      Register(lin->name + ".weight", lin->weight);
      if (lin->bias.defined()) Register(lin->name + ".bias", lin->bias);
    }
    Register(p + "input_layernorm.weight", l.inputNorm);
    Register(p + "post_attention_layernorm.weight", l.postAttnNorm);
  }
  Register("model.norm.weight", finalNorm_);
  if (!config_.tieWordEmbeddings) Register("lm_head.weight", lmHead_);
}

std::vector<Linear*> LlamaModel::AllLinears() {
  std::vector<Linear*> out;
  for (auto& l : layers_) {
    for (Linear* lin : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) out.push_back(lin);
  }
  return out;
}

bool LlamaModel::IgnoredCheckpointTensor(const std::string& name) const {
  // Rotary tables are recomputed; a tied lm_head duplicates the embedding.
  if (name.size() > 9 && name.compare(name.size() - 9, 9, "inv_freq") == 0) return true;
  return config_.tieWordEmbeddings && name == "lm_head.weight";
}

std::vector<SublayerSite> LlamaModel::SublayerSites() {
  std::vector<SublayerSite> sites;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::string p = LayerPrefix(i);
    sites.push_back({p, p + "post_attention_layernorm.weight", &layers_[i].afterAttention, &layers_[i].afterMlp});
  }
  return sites;
}

void LlamaModel::ValidateTokens(const TokenBatch& batch) const {
  const torch::Tensor& inputIds = batch.inputIds;
  if (inputIds.dim() != 2) throw UserError("input ids must be [batch, seq]");
  if (inputIds.size(1) == 0) throw UserError("input ids are empty");
  if (batch.positionIds.defined()) {
    const int64_t minPos = batch.positionIds.min().item<int64_t>();
    const int64_t maxPos = batch.positionIds.max().item<int64_t>();
    if (minPos < 0 || maxPos >= config_.maxPositionEmbeddings) {
      throw UserError("position id " + std::to_string(minPos < 0 ? minPos : maxPos) + " is outside [0, max_position_embeddings " +
                      std::to_string(config_.maxPositionEmbeddings) + ")");
    }
  } else if (inputIds.size(1) > config_.maxPositionEmbeddings) {
    // Positions beyond the trained range would compute silently wrong-looking results; refuse clearly.
    throw UserError("sequence length " + std::to_string(inputIds.size(1)) + " exceeds max_position_embeddings " +
                    std::to_string(config_.maxPositionEmbeddings));
  }
  if (batch.sequenceIds.defined() && batch.sequenceIds.min().item<int64_t>() < 0) {
    throw UserError("sequence ids must be >= 0 (0 = padding)");
  }
  const int64_t minId = inputIds.min().item<int64_t>();
  const int64_t maxId = inputIds.max().item<int64_t>();
  if (minId < 0 || maxId >= config_.vocabSize) {
    throw UserError("token id " + std::to_string(minId < 0 ? minId : maxId) + " is outside the vocabulary [0, " +
                    std::to_string(config_.vocabSize) + ")");
  }
  if (batch.labels.defined()) {
    const torch::Tensor& labels = batch.labels;
    if (labels.sizes() != inputIds.sizes()) throw UserError("labels must have the shape of the input ids (a decoder-only model predicts its own tokens)");
    auto bad = (labels != -100).logical_and((labels < 0).logical_or(labels >= config_.vocabSize));
    if (bad.any().item<bool>()) {
      throw UserError("labels must be -100 or token ids in [0, " + std::to_string(config_.vocabSize) + ")");
    }
  }
  if (batch.attentionMask.defined()) {
    if (((batch.attentionMask != 0).logical_and(batch.attentionMask != 1)).any().item<bool>()) {
      throw UserError("attention mask values must be 0 or 1");
    }
  }
}

// Boolean [B, 1, T, T] (true = may attend), or undefined when plain causal attention suffices.
torch::Tensor LlamaModel::AttentionMask(const TokenBatch& batch, bool padded) const {
  const int64_t seqLen = batch.inputIds.size(1);
  const bool window = config_.slidingWindow > 0 && seqLen > config_.slidingWindow;
  const bool packed = batch.sequenceIds.defined();
  if (!window && !padded && !packed) return torch::Tensor();
  auto idx = torch::arange(seqLen, torch::TensorOptions().dtype(torch::kInt64).device(batch.inputIds.device()));
  torch::Tensor allowed = idx.unsqueeze(1) >= idx.unsqueeze(0);  // [T(query), T(key)]
  // Within one packed sequence, index distance equals position distance, so the window rule holds as is.
  if (window) allowed = allowed.logical_and(idx.unsqueeze(0) > idx.unsqueeze(1) - config_.slidingWindow);
  allowed = allowed.unsqueeze(0).unsqueeze(0);  // [1, 1, T, T]
  if (padded) allowed = allowed.logical_and(batch.attentionMask.to(torch::kBool).unsqueeze(1).unsqueeze(1));
  if (packed) {
    torch::Tensor seq = batch.sequenceIds.unsqueeze(1);  // [B, 1, T]
    allowed = allowed.logical_and(seq.unsqueeze(-1) == seq.unsqueeze(-2));
  }
  // A query that may see no key at all (left padding) attends uniformly, as HF's min-value masking does.
  torch::Tensor empty = allowed.logical_not().all(-1, /*keepdim=*/true);
  return allowed.logical_or(empty);
}

torch::Tensor LlamaModel::Attention(DecoderLayer& layer, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin, const torch::Tensor& mask, bool training, KvStore* cache,
                                    size_t layerIndex, const std::pair<torch::Tensor, torch::Tensor>* prefixKv) {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t heads = config_.numAttentionHeads, kvHeads = config_.numKeyValueHeads, hd = config_.headDim;
  torch::Tensor q = layer.q.Forward(x, training).view({b, t, heads, hd});
  torch::Tensor k = layer.k.Forward(x, training).view({b, t, kvHeads, hd});
  torch::Tensor v = layer.v.Forward(x, training).view({b, t, kvHeads, hd});
  if (config_.qkNorm) {
    q = RmsNorm(q, layer.qNorm, config_.rmsNormEps);
    k = RmsNorm(k, layer.kNorm, config_.rmsNormEps);
  }
  q = ApplyRope(q.transpose(1, 2), cos, sin);
  k = ApplyRope(k.transpose(1, 2), cos, sin);
  v = v.transpose(1, 2);
  if (prefixKv != nullptr) {
    k = torch::cat({prefixKv->first.to(k.scalar_type()), k}, 2);
    v = torch::cat({prefixKv->second.to(v.scalar_type()), v}, 2);
  }
  if (cache != nullptr) std::tie(k, v) = cache->Append(layerIndex, k, v);
  const int64_t keys = k.size(2);
  // Grouped-query attention: each kv head serves heads/kvHeads query heads (HF repeat_kv). SDPA groups them
  // itself, without copying K and V per query head (the same numbers; BENCHMARKS.md "Grouped-query attention").
  const bool gqa = kvHeads != heads;
  // Without a mask: causal when queries and keys are the same positions; one new query sees every cached key.
  if (!mask.defined() && keys != t && t != 1) throw UserError("attention over a KV cache needs a mask for more than one query");
  torch::Tensor out = mask.defined()
                          ? at::scaled_dot_product_attention(q, k, v, mask, 0.0, /*is_causal=*/false, std::nullopt, gqa)
                          : at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/keys == t, std::nullopt, gqa);
  out = out.transpose(1, 2).reshape({b, t, heads * hd});
  return layer.o.Forward(out, training);
}

torch::Tensor LlamaModel::DecoderLayerForward(size_t index, const torch::Tensor& hidden, const torch::Tensor& cos,
                                              const torch::Tensor& sin, const torch::Tensor& mask, bool training,
                                              KvStore* cache, const std::pair<torch::Tensor, torch::Tensor>* prefixKv) {
  DecoderLayer& layer = layers_.at(index);
  torch::Tensor attn = Attention(layer, RmsNorm(hidden, layer.inputNorm, config_.rmsNormEps), cos, sin, mask, training,
                                 cache, index, prefixKv);
  if (layer.afterAttention) attn = layer.afterAttention->Forward(attn);
  torch::Tensor h = hidden + attn;
  torch::Tensor x = RmsNorm(h, layer.postAttnNorm, config_.rmsNormEps);
  torch::Tensor mlp = layer.down.Forward(torch::silu(layer.gate.Forward(x, training)) * layer.up.Forward(x, training), training);
  if (layer.afterMlp) mlp = layer.afterMlp->Forward(mlp);
  return h + mlp;
}

void LlamaModel::PrefillVirtualTokens(KvCache& cache, int64_t batch) {
  if (cache.length() != 0) throw UserError("virtual tokens go first: the KV cache must be empty");
  const int64_t n = VirtualTokenCount();
  if (n == 0) return;
  const torch::Tensor embeddings = virtualTokens_->Embeddings();
  if (embeddings.defined()) {
    // Virtual embeddings run through the decoder at positions 0..N-1, seeing only each other.
    torch::Tensor h = embeddings.to(torch::kFloat32).unsqueeze(0).expand({batch, n, embeddings.size(1)});
    auto [cos, sin] = RopeTables(invFreq_, n, device());
    for (size_t i = 0; i < layers_.size(); ++i) h = DecoderLayerForward(i, h, cos, sin, torch::Tensor(), /*training=*/false, &cache);
  } else {
    auto keysValues = virtualTokens_->KeysValues(batch);
    for (size_t i = 0; i < layers_.size(); ++i) {
      cache.Append(i, keysValues[i].first.to(torch::kFloat32), keysValues[i].second.to(torch::kFloat32));
    }
  }
  cache.Advance(n);
}

torch::Tensor LlamaModel::DecodeHidden(const torch::Tensor& inputIds, const torch::Tensor& positionIds,
                                       const torch::Tensor& mask, KvStore& cache) {
  TokenBatch tokens;
  tokens.inputIds = inputIds;
  ValidateTokens(tokens);
  if (positionIds.sizes() != inputIds.sizes()) throw UserError("position ids must have the shape of the input ids");
  auto [cos, sin] = RopeTablesAt(invFreq_, positionIds);
  torch::Tensor h = Embed(embedTokens_, inputIds);
  for (size_t i = 0; i < layers_.size(); ++i) h = DecoderLayerForward(i, h, cos, sin, mask, /*training=*/false, &cache);
  cache.Advance(inputIds.size(1));
  return RmsNorm(h, finalNorm_, config_.rmsNormEps);
}

torch::Tensor LlamaModel::Logits(const torch::Tensor& hidden) const { return torch::matmul(hidden, lmHead_.t()); }

ForwardOutput LlamaModel::Forward(const TokenBatch& hostInput, bool wantLogits, bool training) {
  ValidateTokens(hostInput);
  const VirtualTokens* virtualTokens = virtualTokens_.get();
  if (virtualTokens != nullptr && (hostInput.positionIds.defined() || hostInput.sequenceIds.defined())) {
    throw UserError("prompt/prefix tuning (virtual tokens) does not support packed batches (position/sequence ids); use padded batches");
  }
  const bool padded = hostInput.attentionMask.defined() && (hostInput.attentionMask == 0).any().item<bool>();
  const TokenBatch input = ToDevice(hostInput, device());
  torch::Tensor h = Embed(embedTokens_, input.inputIds);
  // Virtual embeddings go in front (their labels -100, their mask 1); their logits are dropped below.
  // Virtual keys/values instead sit before the real tokens, which take positions N..N+T-1.
  const torch::Tensor virtualEmbeddings = virtualTokens ? virtualTokens->Embeddings() : torch::Tensor();
  const int64_t embeddedTokens = virtualEmbeddings.defined() ? virtualEmbeddings.size(0) : 0;
  const int64_t prefixLen = virtualTokens && !virtualEmbeddings.defined() ? virtualTokens->count() : 0;
  // The loss targets come from the host copy (no device sync): shifted labels, the rows that carry one and
  // their count. Virtual embeddings get -100 labels.
  TokenBatch hostLabels;
  hostLabels.labels = PrependValue(hostInput.labels, embeddedTokens, -100);
  hostLabels.sequenceIds = hostInput.sequenceIds;
  TokenBatch batch = input;
  if (embeddedTokens > 0) {
    batch.inputIds = PrependValue(input.inputIds, embeddedTokens, 0);  // the virtual positions' ids are never embedded: only the shape is used
    batch.labels = PrependValue(input.labels, embeddedTokens, -100);
    batch.attentionMask = PrependValue(input.attentionMask, embeddedTokens, 1);
    torch::Tensor virt = virtualEmbeddings.to(h.scalar_type()).unsqueeze(0).expand({h.size(0), -1, -1});
    h = torch::cat({virt, h}, 1);
  }
  const torch::Tensor& labels = batch.labels;
  const int64_t t = h.size(1);
  if (virtualTokens != nullptr && prefixLen + t > config_.maxPositionEmbeddings) {
    throw UserError("sequence length " + std::to_string(input.inputIds.size(1)) + " plus " +
                    std::to_string(prefixLen + embeddedTokens) + " virtual tokens exceeds max_position_embeddings " +
                    std::to_string(config_.maxPositionEmbeddings));
  }
  std::vector<std::pair<torch::Tensor, torch::Tensor>> prefixKv;
  torch::Tensor mask;
  if (prefixLen > 0) {
    prefixKv = virtualTokens->KeysValues(h.size(0));
    mask = PrefixAttentionMask(batch.attentionMask, h.size(0), t, prefixLen, config_.slidingWindow, device());
  } else {
    // Right-padded batches for a loss take the causal path (flash kernels on CUDA); padding positions' own outputs
    // would differ, so a request for logits keeps the explicit mask.
    mask = AttentionMask(batch, padded && (wantLogits || !CausalSufficesForLoss(hostInput)));
  }
  auto [cos, sin] = batch.positionIds.defined() ? RopeTablesAt(invFreq_, batch.positionIds)
                                                : RopeTables(invFreq_, prefixLen + t, device());
  if (prefixLen > 0) {
    cos = cos.narrow(0, prefixLen, t);
    sin = sin.narrow(0, prefixLen, t);
  }

  // Virtual keys/values are not recomputed: their table is shared by all layers outside the checkpointed segment.
  const bool recompute = training && gradientCheckpointing() && torch::GradMode::is_enabled() && prefixLen == 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = recompute ? CheckpointedDecoderLayer(*this, i, h, cos, sin, mask)
                  : DecoderLayerForward(i, h, cos, sin, mask, training, nullptr, prefixLen > 0 ? &prefixKv[i] : nullptr);
  }
  h = RmsNorm(h, finalNorm_, config_.rmsNormEps);

  ForwardOutput out;
  if (labels.defined() && t > 1) {
    // Predict token i+1 from position i; only the shifted positions with a label count.
    const torch::Tensor hostTargets = ShiftedTargets(hostLabels);
    const torch::Tensor hostRows = (hostTargets != -100).nonzero().squeeze(1);
    out.targetTokens = hostRows.size(0);
    const torch::Tensor targets = hostTargets.to(device());
    torch::Tensor hidden = h.narrow(1, 0, t - 1).reshape({-1, h.size(-1)});
    if (!wantLogits) {
      // Only the rows that count go through the vocabulary projection.
      const torch::Tensor rows = hostRows.to(device());
      torch::Tensor logits = torch::matmul(hidden.index_select(0, rows), lmHead_.t());
      out.lossSum = torch::cross_entropy_loss(logits.to(torch::kFloat32), targets.index_select(0, rows), {},
                                              at::Reduction::Sum);
    } else {
      out.logits = torch::matmul(h, lmHead_.t());
      torch::Tensor shifted = out.logits.narrow(1, 0, t - 1).reshape({-1, out.logits.size(-1)});
      out.lossSum = torch::cross_entropy_loss(shifted.to(torch::kFloat32), targets, {}, at::Reduction::Sum, -100);
    }
  } else {
    out.lossSum = torch::zeros({}, kF32.device(device()));
    if (wantLogits) out.logits = torch::matmul(h, lmHead_.t());
  }
  if (out.logits.defined() && embeddedTokens > 0) out.logits = out.logits.narrow(1, embeddedTokens, t - embeddedTokens);
  return out;
}

std::vector<torch::Tensor> LlamaModel::LayerTrainableParameters(size_t index) const {
  const std::string prefix = LayerPrefix(index);
  std::vector<torch::Tensor> out;
  for (const auto& [name, tensor] : params_) {
    if (tensor.requires_grad() && name.compare(0, prefix.size(), prefix) == 0) out.push_back(tensor);
  }
  return out;
}

}  // namespace pn
