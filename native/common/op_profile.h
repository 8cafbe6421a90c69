// Per-operator times of one piece of work, from libtorch's profiler (Kineto, CPU activity) on the thread that
// runs it (libtorch runs a CPU backward on the calling thread, so a training step is seen whole). For each
// operator name: calls, total (inclusive) time and self time (without the operators it called). On CUDA the
// times are the host side of each operator (launches), not its kernels.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pn {

struct OpTime {
  std::string name;
  int64_t calls = 0;
  double totalMs = 0;
  double selfMs = 0;
};

// Runs `work` under the profiler; the operators sorted by self time, largest first.
std::vector<OpTime> ProfileOps(const std::function<void()>& work);

}  // namespace pn
