// exports.info / setNumThreads / manualSeed / checkDevice / cudaMemory / resetCudaPeakMemory / cpuMemory: the libtorch runtime as JS sees it.
#include "common/torch_api.h"
#include <torch/headeronly/version.h>  // TORCH_VERSION_MAJOR/MINOR/PATCH

#include "bindings/registry.h"
#include "common/device.h"
#include "common/errors.h"
#include "common/large_block_cache.h"
#include "distributed/process_group.h"

namespace pn {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                              std::to_string(TORCH_VERSION_PATCH));
    const bool cuda = torch::cuda::is_available();
    const int64_t count = cuda ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
    o.Set("cudaAvailable", cuda);
    o.Set("cudaDeviceCount", static_cast<double>(count));
    auto devices = Napi::Array::New(env, static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) devices.Set(static_cast<uint32_t>(i), "cuda:" + std::to_string(i));
    o.Set("cudaDevices", devices);
    o.Set("threads", static_cast<double>(torch::get_num_threads()));
    o.Set("collectives", ProcessGroup::HasNccl() ? "gloo (CPU tensors), nccl (CUDA tensors)" : "gloo");
    return o;
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber()) throw UserError("setNumThreads(n) needs a number");
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 1) || n != static_cast<double>(static_cast<int>(n))) throw UserError("threads must be a positive integer");
    torch::set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber()) throw UserError("manualSeed(seed) needs a number");
    double s = info[0].As<Napi::Number>().DoubleValue();
    if (!(s >= 0) || s != static_cast<double>(static_cast<uint64_t>(s))) throw UserError("seed must be an integer >= 0");
    torch::manual_seed(static_cast<uint64_t>(s));
    return info.Env().Undefined();
  });
}

// cudaMemory(device): the CUDA caching allocator's counters (bytes) for one device.
Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) throw UserError("cudaMemory(device) needs a device string such as 'cuda:0'");
    const DeviceMemoryStats s = MemoryStats(ParseDevice(info[0].As<Napi::String>().Utf8Value()));
    auto o = Napi::Object::New(info.Env());
    o.Set("allocatedBytes", static_cast<double>(s.allocatedBytes));
    o.Set("reservedBytes", static_cast<double>(s.reservedBytes));
    o.Set("peakAllocatedBytes", static_cast<double>(s.peakAllocatedBytes));
    o.Set("peakReservedBytes", static_cast<double>(s.peakReservedBytes));
    return o;
  });
}

Napi::Value ResetCudaPeakMemory(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) throw UserError("resetCudaPeakMemory(device) needs a device string such as 'cuda:0'");
    ResetPeakMemoryStats(ParseDevice(info[0].As<Napi::String>().Utf8Value()));
    return info.Env().Undefined();
  });
}

// cpuMemory(): the large-block CPU allocator's counters (common/large_block_cache.h); installed is false when
// PEFT_NATIVE_CPU_ALLOCATOR=system or off Linux.
Napi::Value CpuMemory(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    const LargeBlockCacheStats s = GetLargeBlockCacheStats();
    auto o = Napi::Object::New(info.Env());
    o.Set("installed", s.installed);
    o.Set("liveBytes", static_cast<double>(s.liveBytes));
    o.Set("cachedBytes", static_cast<double>(s.cachedBytes));
    o.Set("highWaterBytes", static_cast<double>(s.highWaterBytes));
    o.Set("cachedPieces", static_cast<double>(s.cachedPieces));
    o.Set("hits", static_cast<double>(s.hits));
    o.Set("assembled", static_cast<double>(s.assembled));
    o.Set("misses", static_cast<double>(s.misses));
    o.Set("freshBytes", static_cast<double>(s.freshBytes));
    o.Set("released", static_cast<double>(s.released));
    return o;
  });
}

// checkDevice(name): the canonical name ("cpu", "cuda:0"), or a thrown Error saying why it cannot be used.
Napi::Value CheckDevice(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) throw UserError("checkDevice(name) needs a device string");
    return Napi::String::New(info.Env(), ParseDevice(info[0].As<Napi::String>().Utf8Value()).str());
  });
}

}  // namespace

void RegisterRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("checkDevice", Napi::Function::New(env, CheckDevice, "checkDevice"));
  exports.Set("cudaMemory", Napi::Function::New(env, CudaMemory, "cudaMemory"));
  exports.Set("resetCudaPeakMemory", Napi::Function::New(env, ResetCudaPeakMemory, "resetCudaPeakMemory"));
  exports.Set("cpuMemory", Napi::Function::New(env, CpuMemory, "cpuMemory"));
}

}  // namespace pn
