// Devices: parsing the user's device string, the copies that cross from a device to the host, and
// waiting for a device. Written against device-generic ATen/c10 APIs only, so the same sources build
// against a CPU or a CUDA libtorch; CUDA is usable when the libtorch the addon was built against has it.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <string>

namespace pn {

// "cpu", "cuda" (= cuda:0) or "cuda:N". Unknown names, and CUDA when this libtorch has none or the index is
// out of range, are UserErrors naming the problem.
torch::Device ParseDevice(const std::string& name);

// A private host copy (always a new tensor, never a view of the source): what off-thread writers need.
torch::Tensor HostCopy(const torch::Tensor& tensor);

// Blocks until all work queued on `device` is done (no-op on the CPU): step times then measure the step.
void Synchronize(const torch::Device& device);

// The CUDA caching allocator's byte counters for one device (all pools together).
struct DeviceMemoryStats {
  int64_t allocatedBytes = 0, reservedBytes = 0;          // now
  int64_t peakAllocatedBytes = 0, peakReservedBytes = 0;  // since the last ResetPeakMemoryStats
};
DeviceMemoryStats MemoryStats(const torch::Device& device);
void ResetPeakMemoryStats(const torch::Device& device);

}  // namespace pn
