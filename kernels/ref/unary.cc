// Reference activations: Relu (f32, i32, i64), LeakyRelu, Sigmoid, Tanh,
// HardSigmoid, HardSwish (f32), Clip (f32, i32, i64, i8, u8).
//
// Layout: dense, one output element per input element. Transcendentals go
// through double-precision std:: functions so the oracle is accurate to the
// last f32 bit. NaN inputs propagate through every op (Relu(NaN) = NaN,
// Clip(NaN) = NaN), which the optimized kernels match.
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Attributes with ONNX's defaults (parsed once in prepare()).
struct ActivationParams {
  float alpha = 0.f;
  float beta = 0.f;
};

Status prepare_leaky_relu(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<ActivationParams>(ActivationParams{node.attr_float("alpha", 0.01f), 0.f});
  return ok_status();
}
Status prepare_hard_sigmoid(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<ActivationParams>(
      ActivationParams{node.attr_float("alpha", 0.2f), node.attr_float("beta", 0.5f)});
  return ok_status();
}

template <typename T, typename Fn>
Status map_elements(const KernelContext& ctx, Fn&& fn) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) py[i] = fn(px[i]);
  return ok_status();
}

template <typename T>
Status run_relu(const KernelContext& ctx) {
  // `x < 0 ? 0 : x` keeps NaN and -0.0 as they are.
  return map_elements<T>(ctx, [](T v) { return v < T{0} ? T{0} : v; });
}

Status run_leaky_relu(const KernelContext& ctx) {
  const float alpha = ctx.state_as<ActivationParams>().alpha;
  return map_elements<float>(ctx, [alpha](float v) { return v < 0.f ? alpha * v : v; });
}

Status run_sigmoid(const KernelContext& ctx) {
  return map_elements<float>(
      ctx, [](float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v)))); });
}

Status run_tanh(const KernelContext& ctx) {
  return map_elements<float>(ctx,
                             [](float v) { return static_cast<float>(std::tanh(static_cast<double>(v))); });
}

// HardSigmoid: max(0, min(1, alpha*x + beta)); the comparisons are written so
// NaN passes through.
float clamp01(float v) {
  v = v < 0.f ? 0.f : v;
  return v > 1.f ? 1.f : v;
}

Status run_hard_sigmoid(const KernelContext& ctx) {
  const ActivationParams& p = ctx.state_as<ActivationParams>();
  return map_elements<float>(ctx, [&p](float v) { return clamp01(p.alpha * v + p.beta); });
}

// HardSwish (opset 14): x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
Status run_hard_swish(const KernelContext& ctx) {
  return map_elements<float>(ctx, [](float v) { return v * clamp01(v * (1.f / 6.f) + 0.5f); });
}

// Clip (opset 11+): bounds are optional scalar inputs 1 and 2 and default to
// the type's lowest / max. Min(max, Max(x, min)): when min > max every output
// is max, as the spec says.
template <typename T>
Status run_clip(const KernelContext& ctx) {
  T lo = std::numeric_limits<T>::lowest();
  T hi = std::numeric_limits<T>::max();
  for (size_t i = 1; i <= 2 && i < ctx.inputs.size(); ++i) {
    const Tensor* b = ctx.inputs[i];
    if (b == nullptr) continue;
    if (b->numel() != 1 || b->dtype() != DTypeOf<T>::value) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            std::string(i == 1 ? "min" : "max") + " must be a scalar of the input's dtype");
    }
    (i == 1 ? lo : hi) = b->data<T>()[0];
  }
  return map_elements<T>(ctx, [lo, hi](T v) {
    T r = v < lo ? lo : v;
    return r > hi ? hi : r;
  });
}

}  // namespace

void register_ref_unary_kernels(KernelRegistry& r) {
  r.add({.name = "relu_f32__ref", .op_type = "Relu", .dtype = DType::kF32, .run = run_relu<float>});
  // Integer Relu is opset 14+.
  r.add({.name = "relu_i32__ref",
         .op_type = "Relu",
         .since_version = 14,
         .dtype = DType::kI32,
         .run = run_relu<int32_t>});
  r.add({.name = "relu_i64__ref",
         .op_type = "Relu",
         .since_version = 14,
         .dtype = DType::kI64,
         .run = run_relu<int64_t>});
  r.add({.name = "leaky_relu_f32__ref",
         .op_type = "LeakyRelu",
         .dtype = DType::kF32,
         .prepare = prepare_leaky_relu,
         .run = run_leaky_relu});
  r.add({.name = "sigmoid_f32__ref", .op_type = "Sigmoid", .dtype = DType::kF32, .run = run_sigmoid});
  r.add({.name = "tanh_f32__ref", .op_type = "Tanh", .dtype = DType::kF32, .run = run_tanh});
  r.add({.name = "hard_sigmoid_f32__ref",
         .op_type = "HardSigmoid",
         .dtype = DType::kF32,
         .prepare = prepare_hard_sigmoid,
         .run = run_hard_sigmoid});
  r.add({.name = "hard_swish_f32__ref", .op_type = "HardSwish", .dtype = DType::kF32, .run = run_hard_swish});
  // Clip with bound inputs is opset 11+; integer types are opset 12+.
  r.add({.name = "clip_f32__ref",
         .op_type = "Clip",
         .since_version = 11,
         .dtype = DType::kF32,
         .run = run_clip<float>});
  r.add({.name = "clip_i32__ref",
         .op_type = "Clip",
         .since_version = 12,
         .dtype = DType::kI32,
         .run = run_clip<int32_t>});
  r.add({.name = "clip_i64__ref",
         .op_type = "Clip",
         .since_version = 12,
         .dtype = DType::kI64,
         .run = run_clip<int64_t>});
  r.add({.name = "clip_i8__ref",
         .op_type = "Clip",
         .since_version = 12,
         .dtype = DType::kI8,
         .run = run_clip<int8_t>});
  r.add({.name = "clip_u8__ref",
         .op_type = "Clip",
         .since_version = 12,
         .dtype = DType::kU8,
         .run = run_clip<uint8_t>});
}

}  // namespace fastserve
