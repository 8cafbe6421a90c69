// ApplyPromptTuning / ApplyPrefixTuning with PEFT's initializations.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <memory>

#include "common/errors.h"
#include "models/model_host.h"
#include "peft/prompt_learning.h"

namespace pn {
namespace {

// Prompt and prefix tuning both own the virtual-token slots at the start of every row.
void RequireNoVirtualTokens(const ModelHost& model, const std::string& what) {
  if (model.VirtualTokenCount() > 0) {
    throw UserError("cannot apply " + what + " with " + model.method() + ": both prepend virtual tokens");
  }
}

}  // namespace

void ApplyPromptTuning(ModelHost& model, const PromptTuningOptions& options) {
  if (options.virtualTokens <= 0) throw UserError("prompt tuning needs at least one virtual token");
  if (options.init != "random" && options.init != "vocab") {
    throw UserError("prompt tuning init must be random or vocab, got \"" + options.init + "\"");
  }
  RequireNoVirtualTokens(model, "prompt tuning");
  model.BeginMethod("prompt");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  auto prompt = std::make_shared<PromptTuning>();
  prompt->used = options.virtualTokens;
  const int64_t rows = options.virtualTokens * model.TransformerSubmodules();
  if (options.init == "random") {
    // PEFT RANDOM: a fresh nn.Embedding, normal(0, 1).
    prompt->embedding = torch::empty({rows, model.hiddenSize()}).normal_(0.0, 1.0, gen);
  } else {
    // PEFT SAMPLE_VOCAB: the embeddings of uniformly sampled vocabulary tokens.
    torch::Tensor ids = torch::randint(0, model.vocabSize(), {rows}, gen, torch::kInt64);
    torch::NoGradGuard noGrad;
    prompt->embedding = model.Parameter(model.InputEmbeddingName()).index_select(0, ids).to(torch::kCPU).detach().clone();
  }
  model.RegisterAdapterParameters({{"", "prompt_encoder.embedding.weight", prompt->embedding}});
  model.SetVirtualTokens(std::move(prompt));
}

void ApplyPrefixTuning(ModelHost& model, const PrefixTuningOptions& options) {
  if (options.virtualTokens <= 0) throw UserError("prefix tuning needs at least one virtual token");
  if (options.encoderHidden < 0) throw UserError("prefix encoder hidden size must be positive");
  RequireNoVirtualTokens(model, "prefix tuning");
  model.BeginMethod("prefix");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  auto prefixTuning = std::make_shared<PrefixTuning>();
  PrefixTuning& prefix = *prefixTuning;
  const ModelHost::PrefixLayout layout = model.PrefixShape();
  prefix.numLayers = layout.layers;
  prefix.kvHeads = layout.heads;
  prefix.headDim = layout.headDim;
  // PEFT: token_dim = head_dim * num_key_value_heads (GQA), encoder_hidden_size defaults to token_dim.
  const int64_t kvDim = prefix.kvHeads * prefix.headDim;
  const int64_t tableDim = prefix.numLayers * 2 * kvDim;
  const int64_t n = options.virtualTokens;
  std::vector<ModelHost::AdapterEntry> entries;
  if (!options.projection) {
    prefix.embedding = torch::empty({n, tableDim}).normal_(0.0, 1.0, gen);
    entries.emplace_back("", "prompt_encoder.embedding.weight", prefix.embedding);
  } else {
    const int64_t hidden = options.encoderHidden > 0 ? options.encoderHidden : kvDim;
    prefix.embedding = torch::empty({n, kvDim}).normal_(0.0, 1.0, gen);
    // torch.nn.Linear's default init: weight and bias U(-1/sqrt(in), 1/sqrt(in)).
    auto uniform = [&](std::vector<int64_t> shape, int64_t fanIn) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
      return torch::empty(shape).uniform_(-bound, bound, gen);
    };
    prefix.mlpInWeight = uniform({hidden, kvDim}, kvDim);
    prefix.mlpInBias = uniform({hidden}, kvDim);
    prefix.mlpOutWeight = uniform({tableDim, hidden}, hidden);
    prefix.mlpOutBias = uniform({tableDim}, hidden);
    entries.emplace_back("", "prompt_encoder.embedding.weight", prefix.embedding);
    entries.emplace_back("", "prompt_encoder.transform.0.weight", prefix.mlpInWeight);
    entries.emplace_back("", "prompt_encoder.transform.0.bias", prefix.mlpInBias);
    entries.emplace_back("", "prompt_encoder.transform.2.weight", prefix.mlpOutWeight);
    entries.emplace_back("", "prompt_encoder.transform.2.bias", prefix.mlpOutBias);
  }
  model.RegisterAdapterParameters(entries);
  model.SetVirtualTokens(std::move(prefixTuning));
}

torch::Tensor PrefixTableToSave(const ModelHost& model) {
  const auto* prefix = dynamic_cast<const PrefixTuning*>(model.virtualTokens());
  if (prefix == nullptr) throw UserError("the model has no prefix tuning applied");
  torch::NoGradGuard noGrad;
  return prefix->Table().detach().clone();
}

}  // namespace pn
