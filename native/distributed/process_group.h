// A c10d process group for data parallelism: rendezvous through c10d's TCPStore (torchrun's MASTER_ADDR /
// MASTER_PORT contract), collectives through ProcessGroupGloo on CPU tensors and ProcessGroupNCCL on CUDA
// tensors where the build has NCCL (Gloo otherwise).
#pragma once

#include "common/torch_api.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pn {

struct ProcessGroupOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  // How long a rendezvous or a collective waits for the other ranks before failing on this rank.
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

class ProcessGroup {
 public:
  // Blocks until every rank has joined, or throws after the timeout naming who is missing.
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int64_t rank() const { return options_.rank; }
  int64_t worldSize() const { return options_.worldSize; }

  // Sums each tensor over the ranks, in place. Tensors of one dtype are packed into buckets of at most
  // kBucketBytes, one collective per bucket. Every rank passes the same shapes in the same order.
  void AllReduceSum(const std::vector<torch::Tensor>& tensors);
  // An all-reduce in flight (StartAllReduceSum): Wait() blocks until the sums are in, then writes them into the
  // tensors it was started with.
  class PendingSum {
   public:
    struct State;
    explicit PendingSum(std::unique_ptr<State> state);
    ~PendingSum();
    PendingSum(const PendingSum&) = delete;
    PendingSum& operator=(const PendingSum&) = delete;
    void Wait();

   private:
    std::unique_ptr<State> state_;
  };
  // Starts summing `tensors` (one dtype and device, packed into one buffer: a copy, so they may change
  // before Wait) over the ranks. Every rank starts the same sums in the same order.
  std::unique_ptr<PendingSum> StartAllReduceSum(const std::vector<torch::Tensor>& tensors);
  // Every rank's tensors become rank `root`'s, in place, in buckets as AllReduceSum.
  void Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root);

  static constexpr int64_t kBucketBytes = 25 << 20;
  // Whether CUDA tensors go through NCCL in this build.
  static bool HasNccl();

 private:
  struct Impl;
  ProcessGroupOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pn
