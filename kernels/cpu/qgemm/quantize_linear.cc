// quantize_linear_f32_8bit__{avx512,portable}: QuantizeLinear for the
// per-tensor float32 -> uint8 / int8 case of quantized models' activations
// (every QDQ model quantizes its input, and whatever runs in float between
// integer ops): y = saturate(round_half_even(x / scale) + zero_point), the
// reference's operations in its order (core/quantize.cc: the float
// division, NaN -> zero point), so the bytes are the same. Chunks of 32 Ki
// elements over the pool. Per-axis, blocked and other types run on the
// reference kernel.
#include <algorithm>
#include <cmath>

#include "runtime/kernel_registry.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_Q_X86 1
#endif

namespace fastserve {

#ifdef FASTSERVE_Q_X86
// quantize_linear_avx512.cc
void quantize_f32_avx512(const float* x, int64_t n, float scale, int32_t zp, int32_t lo, int32_t hi, uint8_t* y);
#endif

namespace {

void quantize_portable(const float* x, int64_t n, float scale, int32_t zp, int32_t lo, int32_t hi, uint8_t* y) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    const double q = std::isnan(v) ? zp : static_cast<double>(std::nearbyint(v)) + zp;
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(std::clamp<double>(q, lo, hi)));
  }
}

bool per_tensor_f32_to_8bit(const NodeView& node) {
  if (node.input_dtype(0) != DType::kF32 || !node.has_input(1) || node.input_dtype(1) != DType::kF32) return false;
  if (!node.input(1).shape_known || node.input(1).shape.numel() != 1) return false;
  const int64_t out_attr = node.opset() >= 21 ? node.attr_int("output_dtype", 0) : 0;
  if (node.has_input(2)) {
    const DType z = node.input_dtype(2);
    if ((z != DType::kU8 && z != DType::kI8) || !node.input(2).shape_known || node.input(2).shape.numel() != 1) {
      return false;
    }
    return out_attr == 0 || dtype_from_onnx(static_cast<int32_t>(out_attr)) == z;
  }
  return out_attr == 0 || out_attr == 2 || out_attr == 3;  // uint8, int8
}

template <Isa kIsa>
Status run_quantize(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const float scale = ctx.inputs[1]->data<float>()[0];
  const Tensor* zpt = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const int32_t zp = zpt != nullptr ? static_cast<int32_t>(zpt->element_as_int64(0)) : 0;
  const bool is_signed = y.dtype() == DType::kI8;
  const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  const float* xd = x.data<float>();
  auto* yd = static_cast<uint8_t*>(y.raw_data());
  const int64_t n = x.numel();
  constexpr int64_t kChunk = 32768;
  ctx.pool->parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    const int64_t b = c0 * kChunk, len = std::min(n, c1 * kChunk) - b;
#ifdef FASTSERVE_Q_X86
    if constexpr (kIsa >= Isa::kAvx512) {
      quantize_f32_avx512(xd + b, len, scale, zp, lo, hi, yd + b);
      return;
    }
#endif
    quantize_portable(xd + b, len, scale, zp, lo, hi, yd + b);
  });
  return ok_status();
}

}  // namespace

void register_cpu_quantize_kernels(KernelRegistry& r) {
#ifdef FASTSERVE_Q_X86
  r.add({.name = "quantize_linear_f32_8bit__avx512", .op_type = "QuantizeLinear", .since_version = 10,
         .dtype = DType::kF32, .required_isa = Isa::kAvx512, .priority = 30, .accepts = per_tensor_f32_to_8bit,
         .run = &run_quantize<Isa::kAvx512>});
#endif
  r.add({.name = "quantize_linear_f32_8bit__portable", .op_type = "QuantizeLinear", .since_version = 10,
         .dtype = DType::kF32, .required_isa = Isa::kScalar, .priority = 10, .accepts = per_tensor_f32_to_8bit,
         .run = &run_quantize<Isa::kScalar>});
}

}  // namespace fastserve
