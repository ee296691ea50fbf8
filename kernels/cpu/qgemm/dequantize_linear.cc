// dequantize_linear_{u8,i8}__{avx512,portable}: DequantizeLinear for the
// per-tensor uint8 / int8 -> float32 case that quantized models run on
// activations and embedding rows: y = (float(x) - float(zero_point)) * scale,
// the reference's operations in its order (bit-identical), on 16 lanes.
// Per-axis, blocked and other types run on the reference kernel.
#include <algorithm>

#include "runtime/kernel_registry.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_DQ_X86 1
#endif

namespace fastserve {

#ifdef FASTSERVE_DQ_X86
// dequantize_linear_avx512.cc
void dequantize_u8_avx512(const uint8_t* x, int64_t n, float scale, float zp, float* y);
void dequantize_i8_avx512(const int8_t* x, int64_t n, float scale, float zp, float* y);
#endif

namespace {

template <typename T>
void dequantize_portable(const T* x, int64_t n, float scale, float zp, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = (static_cast<float>(x[i]) - zp) * scale;
}

bool per_tensor_8bit_to_f32(const NodeView& node) {
  const DType t = node.input_dtype(0);
  if (t != DType::kU8 && t != DType::kI8) return false;
  if (!node.has_input(1) || node.input_dtype(1) != DType::kF32 || !node.input(1).shape_known ||
      node.input(1).shape.numel() != 1) {
    return false;
  }
  if (node.has_input(2) && (!node.input(2).shape_known || node.input(2).shape.numel() != 1)) return false;
  return node.attr_int("output_dtype", 0) == 0 || node.attr_int("output_dtype", 0) == 1;
}

template <Isa kIsa>
Status run_dequantize(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const float scale = ctx.inputs[1]->data<float>()[0];
  const Tensor* zpt = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const float zp = zpt != nullptr ? static_cast<float>(zpt->element_as_double(0)) : 0.f;
  float* y = ctx.outputs[0]->data<float>();
  const int64_t n = x.numel();
  constexpr int64_t kChunk = 32768;
  const bool is_u8 = x.dtype() == DType::kU8;
  ctx.pool->parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk, len = std::min(kChunk, n - b);
#ifdef FASTSERVE_DQ_X86
      if constexpr (kIsa >= Isa::kAvx512) {
        if (is_u8) {
          dequantize_u8_avx512(static_cast<const uint8_t*>(x.raw_data()) + b, len, scale, zp, y + b);
        } else {
          dequantize_i8_avx512(static_cast<const int8_t*>(x.raw_data()) + b, len, scale, zp, y + b);
        }
        continue;
      }
#endif
      if (is_u8) {
        dequantize_portable(static_cast<const uint8_t*>(x.raw_data()) + b, len, scale, zp, y + b);
      } else {
        dequantize_portable(static_cast<const int8_t*>(x.raw_data()) + b, len, scale, zp, y + b);
      }
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_dequantize_kernels(KernelRegistry& r) {
#ifdef FASTSERVE_DQ_X86
  r.add({.name = "dequantize_linear_8bit__avx512", .op_type = "DequantizeLinear", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kAvx512, .priority = 30,
         .accepts = per_tensor_8bit_to_f32, .run = &run_dequantize<Isa::kAvx512>});
#endif
  r.add({.name = "dequantize_linear_8bit__portable", .op_type = "DequantizeLinear", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kScalar, .priority = 10,
         .accepts = per_tensor_8bit_to_f32, .run = &run_dequantize<Isa::kScalar>});
}

}  // namespace fastserve
