// Keys and values of past positions for incremental decoding: one pair per decoder layer, each
// [batch, kvHeads, capacity, headDim], allocated on the first append and filled left to right.
#pragma once

#include "common/torch_api.h"

#include <utility>
#include <vector>

namespace pn {

// What a decoder layer needs of a cache: store this pass's keys/values and get back all the keys/values to
// attend. KvCache (below) fills one shared length for every row; SlotCache (generate/slot_cache.h) writes each
// row at its own index, for continuous batching.
class KvStore {
 public:
  virtual ~KvStore() = default;
  // Layer `layer` stores this pass's keys/values [B, kvHeads, T, hd] and gets back the keys/values to attend
  // [B, kvHeads, K, hd]. Advance(T) ends the pass, once every layer appended.
  virtual std::pair<torch::Tensor, torch::Tensor> Append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) = 0;
  virtual void Advance(int64_t steps) = 0;
};

class KvCache : public KvStore {
 public:
  KvCache(int64_t layers, int64_t capacity);

  // Time steps stored so far (the same for every layer between forward passes).
  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }

  // Layer `layer` stores this pass's keys/values [B, kvHeads, T, hd] after the stored ones and gets back
  // views of all of them [B, kvHeads, length + T, hd]. Advance(T) ends the pass, once every layer appended.
  std::pair<torch::Tensor, torch::Tensor> Append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) override;
  void Advance(int64_t steps) override;

  int64_t layers() const { return static_cast<int64_t>(keys_.size()); }
  // Layer `layer`'s whole storage [B, kvHeads, capacity, hd] (undefined before the first Append).
  const torch::Tensor& keys(size_t layer) const { return keys_.at(layer); }
  const torch::Tensor& values(size_t layer) const { return values_.at(layer); }

  // Keeps only these batch rows (int64 indices), in this order: finished rows leave the batch.
  void KeepRows(const torch::Tensor& rows);

 private:
  std::vector<torch::Tensor> keys_, values_;
  int64_t capacity_;
  int64_t length_ = 0;
};

}  // namespace pn
