// Gradient checkpointing for one decoder layer: the forward runs without keeping activations (only the
// layer input is saved); the backward reruns the layer under grad and backpropagates through it. The RNG
// state (LoRA dropout) and the autocast state of the forward are replayed, so the gradients are the same
// as without checkpointing.
#pragma once

#include "common/torch_api.h"

#include <optional>

namespace pn {

class LlamaModel;

struct CheckpointedLayerFunction : public torch::autograd::Function<CheckpointedLayerFunction> {
  // params: the layer's trainable parameters, inputs of the Function so that their gradients flow (and the
  // output requires grad even when `hidden` does not, as with a frozen embedding under LoRA).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& hidden, at::TensorList params,
                               const torch::Tensor& cos, const torch::Tensor& sin, const std::optional<torch::Tensor>& mask,
                               LlamaModel* model, int64_t layerIndex);
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list gradOutputs);
};

// Runs layer `layerIndex` of `model` (training mode) with its activations recomputed in backward.
torch::Tensor CheckpointedDecoderLayer(LlamaModel& model, size_t layerIndex, const torch::Tensor& hidden, const torch::Tensor& cos,
                                       const torch::Tensor& sin, const torch::Tensor& mask);

}  // namespace pn
