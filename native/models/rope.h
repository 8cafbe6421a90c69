// Rotary position embeddings as HF transformers computes them (default, linear and Llama-3 scaling).
#pragma once

#include "common/torch_api.h"

#include <utility>

#include "models/config.h"

namespace pn {

// Inverse frequencies [headDim/2], float32, with the config's scaling applied.
torch::Tensor RopeInverseFrequencies(const ModelConfig& config);

// cos and sin tables [T, headDim] for positions 0..T-1 (float32, on `device`).
std::pair<torch::Tensor, torch::Tensor> RopeTables(const torch::Tensor& invFreq, int64_t seqLen, torch::Device device);

// cos and sin tables [B, 1, T, headDim] for explicit positions [B, T] (integer), as HF computes them
// from position_ids; they broadcast over the heads.
std::pair<torch::Tensor, torch::Tensor> RopeTablesAt(const torch::Tensor& invFreq, const torch::Tensor& positions);

// x * cos + rotate_half(x) * sin, for x [B, heads, T, headDim] and tables [T, headDim] or [B, 1, T, headDim].
torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace pn
