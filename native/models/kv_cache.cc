#include "models/kv_cache.h"

#include <string>

#include "common/errors.h"

namespace pn {

KvCache::KvCache(int64_t layers, int64_t capacity) : keys_(layers), values_(layers), capacity_(capacity) {
  if (layers <= 0 || capacity <= 0) throw UserError("a KV cache needs at least one layer and one time step");
}

std::pair<torch::Tensor, torch::Tensor> KvCache::Append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t t = k.size(2);
  if (length_ + t > capacity_) {
    throw UserError("KV cache overflow: " + std::to_string(length_ + t) + " steps, capacity " + std::to_string(capacity_));
  }
  torch::Tensor& keys = keys_.at(layer);
  torch::Tensor& values = values_.at(layer);
  if (!keys.defined()) {
    keys = torch::empty({k.size(0), k.size(1), capacity_, k.size(3)}, k.options());
    values = torch::empty({v.size(0), v.size(1), capacity_, v.size(3)}, v.options());
  }
  keys.narrow(2, length_, t).copy_(k);
  values.narrow(2, length_, t).copy_(v);
  return {keys.narrow(2, 0, length_ + t), values.narrow(2, 0, length_ + t)};
}

void KvCache::Advance(int64_t steps) { length_ += steps; }

void KvCache::KeepRows(const torch::Tensor& rows) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].defined()) continue;
    keys_[i] = keys_[i].index_select(0, rows);
    values_[i] = values_[i].index_select(0, rows);
  }
}

}  // namespace pn
