// dynamic_quantize_linear_f32__{avx512,portable}: DynamicQuantizeLinear
// (uint8 y, float scale, uint8 zero point), in two parallel passes over x:
// its range (per-thread partial min / max, combined), then the quantization.
// Results are bit-identical to the reference kernel (kernels/ref/quantize_linear.cc).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/qgemm/dynamic_quantize.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kChunk = 16384;  // elements per task

template <Isa kIsa>
const DynamicQuantizeUkernels& ukernels() {
#if defined(__x86_64__) || defined(_M_X64)
  if constexpr (kIsa >= Isa::kAvx512) return kDynamicQuantizeAvx512;
#endif
  return kDynamicQuantizePortable;
}

template <Isa kIsa>
Status run_dynamic_quantize(const KernelContext& ctx) {
  const DynamicQuantizeUkernels& uk = ukernels<kIsa>();
  const Tensor& x = *ctx.inputs[0];
  const float* xd = x.data<float>();
  const int64_t n = x.numel();
  const int64_t chunks = std::max<int64_t>(1, (n + kChunk - 1) / kChunk);
  // The range always includes 0 (the reference starts from 0 too).
  std::vector<float> lo(static_cast<size_t>(chunks), 0.f), hi(static_cast<size_t>(chunks), 0.f);
  ctx.pool->parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk;
      uk.range(xd + b, std::min(kChunk, n - b), &lo[static_cast<size_t>(c)], &hi[static_cast<size_t>(c)]);
    }
  });
  const float l = *std::min_element(lo.begin(), lo.end()), h = *std::max_element(hi.begin(), hi.end());
  const float scale = (h - l) / 255.f;
  float zp = 0.f;
  float divisor = 1.f;  // an all-zero x: scale 0, every value quantizes to 0
  if (scale != 0.f) {
    zp = std::nearbyint(std::clamp(0.f - l / scale, 0.f, 255.f));
    divisor = scale;
  }
  uint8_t* yd = ctx.outputs[0]->data<uint8_t>();
  ctx.pool->parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk;
      uk.quantize(xd + b, std::min(kChunk, n - b), divisor, zp, yd + b);
    }
  });
  if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) ctx.outputs[1]->data<float>()[0] = scale;
  if (ctx.outputs.size() > 2 && ctx.outputs[2] != nullptr) ctx.outputs[2]->data<uint8_t>()[0] = static_cast<uint8_t>(zp);
  return ok_status();
}

}  // namespace

void register_cpu_dynamic_quantize_kernels(KernelRegistry& r) {
#if defined(__x86_64__) || defined(_M_X64)
  r.add({.name = "dynamic_quantize_linear_f32__avx512", .op_type = "DynamicQuantizeLinear", .since_version = 11,
         .dtype = DType::kF32, .required_isa = Isa::kAvx512, .priority = 30, .run = &run_dynamic_quantize<Isa::kAvx512>});
#endif
  r.add({.name = "dynamic_quantize_linear_f32__portable", .op_type = "DynamicQuantizeLinear", .since_version = 11,
         .dtype = DType::kF32, .required_isa = Isa::kScalar, .priority = 10,
         .run = &run_dynamic_quantize<Isa::kScalar>});
}

}  // namespace fastserve
