// exports.testing.cpuAllocatorStress: random large allocations and frees through libtorch's CPU allocator, each
// live tensor filled with its own id and checked after every step (blocks must never overlap or move).
#pragma once

#include <napi.h>

namespace pn {

Napi::Value CpuAllocatorStress(const Napi::CallbackInfo& info);

}  // namespace pn
