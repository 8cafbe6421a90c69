#include "distributed/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// NCCL for CUDA tensors where libtorch was built with it (its CMake targets define USE_C10D_NCCL) and the build
// found nccl.h (PEFT_NATIVE_WITHOUT_NCCL otherwise: CMakeLists.txt, libtorch-flags.mjs).
#if defined(USE_C10D_NCCL) && !defined(PEFT_NATIVE_WITHOUT_NCCL)
#define PEFT_NATIVE_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <stdexcept>
#include <utility>

#include "common/errors.h"

namespace pn {

// Gloo for CPU tensors (and CUDA ones in a build without NCCL: Gloo stages them through the host); NCCL for
// CUDA tensors, as torch's "cpu:gloo,cuda:nccl". Each backend keys its rendezvous under its own prefix.
struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef PEFT_NATIVE_NCCL
  // Created on the first collective over CUDA tensors (every rank reaches it in the same order); NCCL makes
  // its communicator for the tensors' device then.
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif

  c10d::Backend& For(const torch::Tensor& t, const ProcessGroupOptions& o) {
#ifdef PEFT_NATIVE_NCCL
    if (t.is_cuda()) {
      if (!nccl) {
        auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
        ncclOptions->timeout = o.timeout;
        nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", store),
                                                           static_cast<int>(o.rank), static_cast<int>(o.worldSize), ncclOptions);
      }
      return *nccl;
    }
#endif
    return *gloo;
  }
};

bool ProcessGroup::HasNccl() {
#ifdef PEFT_NATIVE_NCCL
  return true;
#else
  return false;
#endif
}

namespace {

std::string Where(const ProcessGroupOptions& o) {
  return "distributed (rank " + std::to_string(o.rank) + " of " + std::to_string(o.worldSize) + ", " + o.masterAddr + ":" +
         std::to_string(o.masterPort) + ")";
}

// Runs a collective; any failure (a peer that died, a timeout) becomes one error naming this rank.
template <typename Fn>
void Collective(const ProcessGroupOptions& o, const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    throw std::runtime_error(Where(o) + ": " + what + " failed (another rank exited or stopped answering?): " + DescribeException(e));
  }
}

}  // namespace

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  if (options_.worldSize < 1) throw UserError("WORLD_SIZE must be >= 1, got " + std::to_string(options_.worldSize));
  if (options_.rank < 0 || options_.rank >= options_.worldSize) {
    throw UserError("RANK must be in [0, WORLD_SIZE " + std::to_string(options_.worldSize) + "), got " + std::to_string(options_.rank));
  }
  if (options_.masterPort < 1 || options_.masterPort > 65535) {
    throw UserError("MASTER_PORT must be a TCP port (1-65535), got " + std::to_string(options_.masterPort));
  }
  try {
    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = static_cast<std::uint16_t>(options_.masterPort);
    storeOptions.isServer = options_.rank == 0;
    storeOptions.numWorkers = static_cast<std::size_t>(options_.worldSize);
    storeOptions.waitWorkers = true;
    storeOptions.timeout = options_.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(options_.masterAddr, storeOptions);
    auto glooOptions = c10d::ProcessGroupGloo::Options::create(options_.timeout);
    // Gloo connects the ranks over the interface that reaches MASTER_ADDR (loopback for a local run).
    glooOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(options_.masterAddr));
    impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", impl_->store),
                                                              static_cast<int>(options_.rank),
                                                              static_cast<int>(options_.worldSize), glooOptions);
  } catch (const std::exception& e) {
    throw std::runtime_error(Where(options_) + ": the rendezvous failed (are all " + std::to_string(options_.worldSize) +
                             " ranks started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE?): " + DescribeException(e));
  }
}

ProcessGroup::~ProcessGroup() = default;

namespace {

// Tensors of one dtype and device in the given order, at most ProcessGroup::kBucketBytes each (every rank forms
// the same ones).
std::vector<std::vector<torch::Tensor>> Buckets(const std::vector<torch::Tensor>& tensors) {
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t bucketBytes = 0;
  for (const torch::Tensor& t : tensors) {
    const bool fits = !buckets.empty() && buckets.back().front().scalar_type() == t.scalar_type() &&
                      buckets.back().front().device() == t.device() &&
                      bucketBytes + static_cast<int64_t>(t.nbytes()) <= ProcessGroup::kBucketBytes;
    if (!fits) {
      buckets.emplace_back();
      bucketBytes = 0;
    }
    buckets.back().push_back(t);
    bucketBytes += static_cast<int64_t>(t.nbytes());
  }
  return buckets;
}

// Runs `collective` on each bucket packed into one flat tensor, then copies the result back into the tensors.
template <typename Fn>
void OverBuckets(const std::vector<torch::Tensor>& tensors, Fn&& collective) {
  torch::NoGradGuard noGrad;
  for (const auto& bucket : Buckets(tensors)) {
    std::vector<torch::Tensor> flat;
    for (const torch::Tensor& t : bucket) flat.push_back(t.reshape({-1}));
    std::vector<torch::Tensor> packed{torch::cat(flat)};
    collective(packed);
    int64_t offset = 0;
    for (const torch::Tensor& t : bucket) {
      t.copy_(packed[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace

void ProcessGroup::AllReduceSum(const std::vector<torch::Tensor>& tensors) {
  if (options_.worldSize == 1 || tensors.empty()) return;
  OverBuckets(tensors, [&](std::vector<torch::Tensor>& packed) {
    Collective(options_, "all-reduce", [&] { impl_->For(packed[0], options_).allreduce(packed)->wait(); });
  });
}

struct ProcessGroup::PendingSum::State {
  ProcessGroupOptions options;
  std::vector<torch::Tensor> tensors;
  std::vector<torch::Tensor> packed;  // one flat buffer
  c10::intrusive_ptr<c10d::Work> work;
};

ProcessGroup::PendingSum::PendingSum(std::unique_ptr<State> state) : state_(std::move(state)) {}
ProcessGroup::PendingSum::~PendingSum() = default;

void ProcessGroup::PendingSum::Wait() {
  if (!state_) return;
  std::unique_ptr<State> s = std::move(state_);
  Collective(s->options, "all-reduce", [&] { s->work->wait(); });
  torch::NoGradGuard noGrad;
  int64_t offset = 0;
  for (const torch::Tensor& t : s->tensors) {
    t.copy_(s->packed[0].narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

std::unique_ptr<ProcessGroup::PendingSum> ProcessGroup::StartAllReduceSum(const std::vector<torch::Tensor>& tensors) {
  if (options_.worldSize == 1 || tensors.empty()) return std::make_unique<PendingSum>(nullptr);
  auto state = std::make_unique<PendingSum::State>();
  state->options = options_;
  state->tensors = tensors;
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& t : tensors) flat.push_back(t.reshape({-1}));
  state->packed.push_back(torch::cat(flat));
  Collective(options_, "all-reduce", [&] { state->work = impl_->For(state->packed[0], options_).allreduce(state->packed); });
  return std::make_unique<PendingSum>(std::move(state));
}

void ProcessGroup::Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) {
  if (options_.worldSize == 1 || tensors.empty()) return;
  c10d::BroadcastOptions o;
  o.rootRank = root;
  OverBuckets(tensors, [&](std::vector<torch::Tensor>& packed) {
    Collective(options_, "broadcast", [&] { impl_->For(packed[0], options_).broadcast(packed, o)->wait(); });
  });
}

}  // namespace pn
