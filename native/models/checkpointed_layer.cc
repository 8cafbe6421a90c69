#include "models/checkpointed_layer.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>

#include <cstdint>
#include <mutex>

#include "common/autocast_guard.h"
#include "models/llama.h"

namespace pn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Generator DefaultGenerator(const torch::Tensor& like) { return at::globalContext().defaultGenerator(like.device()); }

// Generators are handles: copies share the state they guard.
torch::Tensor RngState(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void SetRngState(at::Generator gen, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace

torch::Tensor CheckpointedLayerFunction::forward(AutogradContext* ctx, const torch::Tensor& hidden, at::TensorList params,
                                                 const torch::Tensor& cos, const torch::Tensor& sin,
                                                 const std::optional<torch::Tensor>& mask, LlamaModel* model, int64_t layerIndex) {
  const at::DeviceType device = hidden.device().type();
  ctx->saved_data["model"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(model));
  ctx->saved_data["layer"] = layerIndex;
  ctx->saved_data["num_params"] = static_cast<int64_t>(params.size());
  ctx->saved_data["rng"] = RngState(DefaultGenerator(hidden));
  ctx->saved_data["autocast"] = at::autocast::is_autocast_enabled(device);
  ctx->saved_data["autocast_dtype"] = at::autocast::get_autocast_dtype(device);
  std::vector<torch::Tensor> saved{hidden, cos, sin, mask.value_or(torch::Tensor())};
  saved.insert(saved.end(), params.begin(), params.end());
  ctx->save_for_backward(saved);
  // Grad mode is off inside a Function's forward: nothing of the layer's graph is kept.
  return model->DecoderLayerForward(static_cast<size_t>(layerIndex), hidden, cos, sin, mask.value_or(torch::Tensor()),
                                    /*training=*/true);
}

variable_list CheckpointedLayerFunction::backward(AutogradContext* ctx, variable_list gradOutputs) {
  auto saved = ctx->get_saved_variables();
  auto* model = reinterpret_cast<LlamaModel*>(static_cast<intptr_t>(ctx->saved_data["model"].toInt()));
  const int64_t layerIndex = ctx->saved_data["layer"].toInt();
  const int64_t numParams = ctx->saved_data["num_params"].toInt();
  const torch::Tensor& hidden = saved[0];
  std::vector<torch::Tensor> params(saved.begin() + 4, saved.begin() + 4 + numParams);

  // Replay the forward's RNG stream (dropout masks), then put the current stream back.
  at::Generator gen = DefaultGenerator(hidden);
  torch::Tensor current = RngState(gen);
  SetRngState(gen, ctx->saved_data["rng"].toTensor());
  torch::Tensor input = hidden.detach().requires_grad_(true);
  torch::Tensor output;
  {
    torch::AutoGradMode grad(true);
    AutocastGuard autocast(hidden.device().type(), ctx->saved_data["autocast"].toBool(),
                           ctx->saved_data["autocast_dtype"].toScalarType());
    output = model->DecoderLayerForward(static_cast<size_t>(layerIndex), input, saved[1], saved[2], saved[3], /*training=*/true);
  }
  SetRngState(gen, current);

  std::vector<torch::Tensor> inputs{input};
  inputs.insert(inputs.end(), params.begin(), params.end());
  variable_list grads = torch::autograd::grad({output}, inputs, {gradOutputs[0]}, /*retain_graph=*/false,
                                              /*create_graph=*/false, /*allow_unused=*/true);
  // One gradient per forward input: hidden, each parameter, then cos, sin, mask, model, layer index.
  variable_list result(grads.begin(), grads.end());
  result.resize(result.size() + 5);
  return result;
}

torch::Tensor CheckpointedDecoderLayer(LlamaModel& model, size_t layerIndex, const torch::Tensor& hidden, const torch::Tensor& cos,
                                       const torch::Tensor& sin, const torch::Tensor& mask) {
  std::vector<torch::Tensor> params = model.LayerTrainableParameters(layerIndex);
  std::optional<torch::Tensor> maybeMask = mask.defined() ? std::optional<torch::Tensor>(mask) : std::nullopt;
  return CheckpointedLayerFunction::apply(hidden, at::TensorList(params), cos, sin, maybeMask, &model,
                                          static_cast<int64_t>(layerIndex));
}

}  // namespace pn
