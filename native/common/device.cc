#include "common/device.h"

#include <c10/core/CachingDeviceAllocator.h>
#include <torch/cuda.h>

#include "common/errors.h"

namespace pn {
namespace {

c10::DeviceAllocator* CudaAllocator(const torch::Device& device) {
  if (!device.is_cuda()) throw UserError("memory statistics are kept for CUDA devices only, not " + device.str());
  return c10::getDeviceAllocator(c10::DeviceType::CUDA);
}

}  // namespace

torch::Device ParseDevice(const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device.emplace(name);
  } catch (const c10::Error&) {
    throw UserError("unknown device '" + name + "' (use cpu, cuda or cuda:N)");
  }
  if (device->is_cpu()) return torch::Device(torch::kCPU);
  if (!device->is_cuda()) throw UserError("device '" + name + "' is not supported (use cpu, cuda or cuda:N)");
  if (!torch::cuda::is_available()) {
    throw UserError("device '" + name + "': CUDA is not available (this addon's libtorch has no CUDA, or no NVIDIA GPU and driver " +
                    "were found); build the addon against a CUDA libtorch on a machine with a GPU, or use --device cpu");
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  const int64_t index = device->has_index() ? device->index() : 0;
  if (index >= count) {
    throw UserError("device '" + name + "': there " + (count == 1 ? "is 1 CUDA device" : "are " + std::to_string(count) + " CUDA devices") +
                    " (cuda:0" + (count > 1 ? "..cuda:" + std::to_string(count - 1) : "") + ")");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

torch::Tensor HostCopy(const torch::Tensor& tensor) {
  return tensor.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
}

void Synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

DeviceMemoryStats MemoryStats(const torch::Device& device) {
  const auto stats = CudaAllocator(device)->getDeviceStats(device.index());
  constexpr auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  DeviceMemoryStats out;
  out.allocatedBytes = stats.allocated_bytes[all].current;
  out.reservedBytes = stats.reserved_bytes[all].current;
  out.peakAllocatedBytes = stats.allocated_bytes[all].peak;
  out.peakReservedBytes = stats.reserved_bytes[all].peak;
  return out;
}

void ResetPeakMemoryStats(const torch::Device& device) { CudaAllocator(device)->resetPeakStats(device.index()); }

}  // namespace pn
