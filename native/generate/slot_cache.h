// The KV cache of continuous batching: one row (slot) per sequence being generated, preallocated per layer as
// [slots, kvHeads, capacity, headDim], each slot with its own length. A newcomer's prefilled keys/values are
// copied into a free slot (Fill); every decoding pass then writes each slot's new key/value at that slot's
// own index (SetStep + Append) and the attention mask says which of a slot's indices are valid.
#pragma once

#include "common/torch_api.h"

#include <utility>
#include <vector>

#include "models/kv_cache.h"

namespace pn {

class SlotCache : public KvStore {
 public:
  SlotCache(int64_t layers, int64_t slots, int64_t capacity);

  int64_t slots() const { return slots_; }
  int64_t capacity() const { return capacity_; }

  // A run of `count` cache indices of a prefilled cache, from index `from`.
  struct Span {
    int64_t from, count;
  };
  // Copies these spans of row `sourceRow` of a prefilled `source` into slot `slot`, one after the other from
  // the slot's index 0 (the virtual tokens and a shared prefix, then the real prompt tokens with the left
  // padding skipped). Storage is allocated (zeros) on the first Fill.
  void Fill(int64_t slot, const KvCache& source, int64_t sourceRow, const std::vector<Span>& spans);

  // The next pass feeds one token per slot: slot i stores its key/value at writeIndex[i] (int64 [slots], on
  // the cache's device) and attends indices [0, keys).
  void SetStep(const torch::Tensor& writeIndex, int64_t keys);
  std::pair<torch::Tensor, torch::Tensor> Append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) override;
  void Advance(int64_t /*steps*/) override {}

  // Keeps only these slots (int64 indices), in this order: finished rows leave when no prompt is waiting.
  void KeepRows(const torch::Tensor& rows);

 private:
  std::vector<torch::Tensor> keys_, values_;
  int64_t slots_, capacity_;
  torch::Tensor writeIndex_;  // [slots, 1, 1, 1] expanded per layer in Append
  int64_t stepKeys_ = 0;
};

}  // namespace pn
