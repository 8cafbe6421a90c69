#include "models/rope.h"

#include <cmath>

namespace pn {

torch::Tensor RopeInverseFrequencies(const ModelConfig& config) {
  const int64_t dim = config.headDim;
  auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  // 1 / base^(2i/d), computed in float32 like transformers.
  torch::Tensor invFreq = 1.0 / torch::pow(torch::scalar_tensor(config.ropeTheta, torch::kFloat32), exponents);
  const RopeScaling& s = config.ropeScaling;
  if (s.type == "linear") return invFreq / s.factor;
  if (s.type != "llama3") return invFreq;

  // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`, short ones kept,
  // the band between interpolated smoothly.
  const double oldContext = static_cast<double>(s.originalMaxPositionEmbeddings);
  const double lowFreqWavelen = oldContext / s.lowFreqFactor;
  const double highFreqWavelen = oldContext / s.highFreqFactor;
  torch::Tensor wavelen = 2 * M_PI / invFreq;
  torch::Tensor scaled = torch::where(wavelen > lowFreqWavelen, invFreq / s.factor, invFreq);
  torch::Tensor smooth = (oldContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  torch::Tensor isMedium = (wavelen >= highFreqWavelen).logical_and(wavelen <= lowFreqWavelen);
  return torch::where(isMedium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> RopeTables(const torch::Tensor& invFreq, int64_t seqLen, torch::Device device) {
  auto positions = torch::arange(seqLen, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  torch::Tensor freqs = torch::outer(positions, invFreq.to(device));
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos(), emb.sin()};
}

std::pair<torch::Tensor, torch::Tensor> RopeTablesAt(const torch::Tensor& invFreq, const torch::Tensor& positions) {
  torch::Tensor freqs = positions.to(torch::kFloat32).unsqueeze(-1) * invFreq.to(positions.device());  // [B, T, D/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);
  return {emb.cos(), emb.sin()};
}

torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  torch::Tensor x1 = x.narrow(-1, 0, half);
  torch::Tensor x2 = x.narrow(-1, half, half);
  torch::Tensor rotated = torch::cat({-x2, x1}, -1);
  return x * cos.to(x.scalar_type()) + rotated * sin.to(x.scalar_type());
}

}  // namespace pn
