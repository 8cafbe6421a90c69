// exports.bench.matmulThroughput: a measured peak for MFU. Times square matrix products of the given
// size and dtype on the tensor thread (the one that runs training) and reports FLOP/s, so `bench` can
// state MFU against what this machine's libtorch GEMM actually reaches.
#include "common/torch_api.h"

#include <chrono>

#include "bindings/js_args.h"
#include "bindings/registry.h"
#include "common/async_task.h"
#include "common/device.h"
#include "common/errors.h"

namespace pn {
namespace {

struct MatmulTiming {
  double seconds = 0;
  double flops = 0;
};

torch::Dtype DtypeFromName(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  throw UserError("dtype must be float32 or bfloat16, got " + name);
}

Napi::Value MatmulThroughput(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "matmulThroughput options");
    const int64_t size = GetInt(o, "size", "matmulThroughput");
    const int64_t repeats = GetInt(o, "repeats", "matmulThroughput");
    if (size < 16 || size > 16384) throw UserError("matmulThroughput: size must be in [16, 16384]");
    if (repeats < 1) throw UserError("matmulThroughput: repeats must be >= 1");
    const torch::Dtype dtype = DtypeFromName(GetStringOr(o, "dtype", "float32", "matmulThroughput"));
    const torch::Device device = ParseDevice(GetStringOr(o, "device", "cpu", "matmulThroughput"));
    return AsyncTask<MatmulTiming>::Start(
        info.Env(),
        [size, repeats, dtype, device] {
          torch::NoGradGuard noGrad;
          auto options = torch::TensorOptions().dtype(dtype).device(device);
          torch::Tensor a = torch::randn({size, size}, options);
          torch::Tensor b = torch::randn({size, size}, options);
          torch::Tensor c = torch::matmul(a, b);  // warm-up: thread pool, allocator, packing buffers, cuBLAS handles
          Synchronize(device);
          const auto start = std::chrono::steady_clock::now();
          for (int64_t i = 0; i < repeats; ++i) torch::matmul_out(c, a, b);
          Synchronize(device);
          MatmulTiming t;
          t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          t.flops = 2.0 * static_cast<double>(size) * size * size * repeats / t.seconds;
          return t;
        },
        [](Napi::Env env, MatmulTiming& t) -> Napi::Value {
          auto r = Napi::Object::New(env);
          r.Set("seconds", t.seconds);
          r.Set("flopsPerSecond", t.flops);
          return r;
        });
  });
}

}  // namespace

void RegisterBench(Napi::Env env, Napi::Object exports) {
  auto bench = Napi::Object::New(env);
  bench.Set("matmulThroughput", Napi::Function::New(env, MatmulThroughput, "matmulThroughput"));
  exports.Set("bench", bench);
}

}  // namespace pn
