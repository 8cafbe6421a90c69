// exports.testing.cpuAllocatorStress: random large allocations and frees through libtorch's CPU allocator (inside
// a LargeBlockCacheScope, as in a training step), each live tensor filled with its own id and checked after every
// operation (blocks must never overlap or move).
#pragma once

#include <napi.h>

namespace pn {

Napi::Value CpuAllocatorStress(const Napi::CallbackInfo& info);

}  // namespace pn
