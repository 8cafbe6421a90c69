#include "testing/allocator_stress.h"

#include "common/torch_api.h"

#include <random>
#include <vector>

#include "bindings/js_args.h"
#include "common/large_block_cache.h"
#include "common/errors.h"

namespace pn {

Napi::Value CpuAllocatorStress(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsObject()) throw UserError("cpuAllocatorStress(options) needs an options object");
    const Napi::Object o = info[0].As<Napi::Object>();
    auto number = [&](const char* key, double fallback) {
      return o.Has(key) && o.Get(key).IsNumber() ? o.Get(key).As<Napi::Number>().DoubleValue() : fallback;
    };
    std::mt19937_64 rng(static_cast<uint64_t>(number("seed", 0)));
    const int64_t operations = static_cast<int64_t>(number("operations", 2000));
    const int64_t maxElements = static_cast<int64_t>(number("maxMiB", 24) * (1 << 20) / 4);
    const int64_t maxLive = static_cast<int64_t>(number("maxLive", 48));

    struct Live {
      torch::Tensor tensor;
      int32_t id;
    };
    LargeBlockCacheScope cache;  // as inside a training step
    std::vector<Live> live;
    int32_t nextId = 1;
    int64_t checks = 0, corrupted = 0, allocations = 0;
    // Sizes from a few KB (libtorch's own allocator) to maxMiB, not page multiples.
    std::uniform_int_distribution<int64_t> elements(1000, maxElements);
    for (int64_t op = 0; op < operations; ++op) {
      const bool allocate = live.empty() || (static_cast<int64_t>(live.size()) < maxLive && rng() % 5 < 3);
      if (allocate) {
        Live l{torch::empty({elements(rng)}, torch::kInt32), nextId++};
        l.tensor.fill_(l.id);
        live.push_back(std::move(l));
        allocations++;
      } else {
        const size_t victim = static_cast<size_t>(rng() % live.size());
        live[victim] = std::move(live.back());
        live.pop_back();
      }
      // One element per 4 KB page and the last one: a page shared with, or moved to, another block shows.
      for (const Live& l : live) {
        checks++;
        const torch::Tensor pages = l.tensor.slice(0, 0, l.tensor.numel(), 1024);
        if (!pages.eq(l.id).all().item<bool>() || l.tensor[-1].item<int32_t>() != l.id) corrupted++;
      }
    }
    for (const Live& l : live) {
      if (!l.tensor.eq(l.id).all().item<bool>()) corrupted++;
    }
    auto out = Napi::Object::New(info.Env());
    out.Set("allocations", static_cast<double>(allocations));
    out.Set("checks", static_cast<double>(checks));
    out.Set("corrupted", static_cast<double>(corrupted));
    return out;
  });
}

}  // namespace pn
