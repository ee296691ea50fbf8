// Reference activations with attributes and the float classifiers: Elu,
// Selu, Celu, ThresholdedRelu, Softplus, Softsign, Mish, Gelu, Shrink (f32,
// f64), PRelu (f32, f64; i32, i64 from opset 16), IsNaN, IsInf (f32, f64 ->
// bool).
//
// Layout: dense, one output per input element; PRelu's slope broadcasts
// unidirectionally to X (broadcast_ref.h). Transcendentals go through double
// std:: functions and round once. Attributes are parsed in prepare() with
// ONNX's defaults. NaN propagates through every activation (ThresholdedRelu
// too, as ONNX's reference clips) except Shrink, whose spec formula gives 0
// (ONNX's reference and ORT agree). Gelu(-inf) is its limit 0, where the
// formula (and ORT) would give NaN.
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ActivationAttrs {
  double alpha = 0;
  double beta = 0;      // Selu's gamma, Shrink's lambd
  bool flag_a = false;  // Gelu: tanh approximation; IsInf: detect_positive
  bool flag_b = false;  // IsInf: detect_negative
};

Status store(PrepareContext& ctx, ActivationAttrs a) {
  ctx.state = std::make_shared<ActivationAttrs>(a);
  return ok_status();
}

Status prepare_elu(const NodeView& node, PrepareContext& ctx) {
  return store(ctx, {.alpha = node.attr_float("alpha", 1.0f)});
}
// Selu's defaults are the float constants of the spec (opset 6).
Status prepare_selu(const NodeView& node, PrepareContext& ctx) {
  return store(ctx, {.alpha = node.attr_float("alpha", 1.67326319217681884765625f),
                     .beta = node.attr_float("gamma", 1.05070102214813232421875f)});
}
Status prepare_celu(const NodeView& node, PrepareContext& ctx) {
  const float alpha = node.attr_float("alpha", 1.0f);
  if (alpha == 0.f) return node.error(StatusCode::kInvalidArgument, "alpha must not be 0");
  return store(ctx, {.alpha = alpha});
}
Status prepare_thresholded_relu(const NodeView& node, PrepareContext& ctx) {
  return store(ctx, {.alpha = node.attr_float("alpha", 1.0f)});
}
Status prepare_shrink(const NodeView& node, PrepareContext& ctx) {
  return store(ctx, {.alpha = node.attr_float("bias", 0.0f), .beta = node.attr_float("lambd", 0.5f)});
}
Status prepare_gelu(const NodeView& node, PrepareContext& ctx) {
  const std::string approximate = node.attr_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    return node.error(StatusCode::kInvalidArgument,
                      "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  }
  return store(ctx, {.flag_a = approximate == "tanh"});
}
Status prepare_is_inf(const NodeView& node, PrepareContext& ctx) {
  return store(ctx, {.flag_a = node.attr_int("detect_positive", 1) != 0,
                     .flag_b = node.attr_int("detect_negative", 1) != 0});
}

// y[i] = fn(x[i], attrs) computed in double.
template <typename T, typename Fn>
Status map_double(const KernelContext& ctx, Fn&& fn) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const ActivationAttrs* a = static_cast<const ActivationAttrs*>(ctx.state);
  const ActivationAttrs none;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) py[i] = static_cast<T>(fn(static_cast<double>(px[i]), a ? *a : none));
  return ok_status();
}

// log(1 + e^v) without overflow for large v.
double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

template <typename T>
Status run_elu(const KernelContext& ctx) {
  return map_double<T>(
      ctx, [](double v, const ActivationAttrs& a) { return v < 0 ? a.alpha * std::expm1(v) : v; });
}
template <typename T>
Status run_selu(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs& a) {
    return v > 0 ? a.beta * v : a.beta * a.alpha * std::expm1(v);
  });
}
// Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
template <typename T>
Status run_celu(const KernelContext& ctx) {
  return map_double<T>(
      ctx, [](double v, const ActivationAttrs& a) { return v > 0 ? v : a.alpha * std::expm1(v / a.alpha); });
}
template <typename T>
Status run_thresholded_relu(const KernelContext& ctx) {
  return map_double<T>(
      ctx, [](double v, const ActivationAttrs& a) { return v > a.alpha || std::isnan(v) ? v : 0.0; });
}
template <typename T>
Status run_softplus(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs&) { return softplus(v); });
}
template <typename T>
Status run_softsign(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs&) { return v / (1 + std::fabs(v)); });
}
// Mish (opset 18): x * tanh(softplus(x)).
template <typename T>
Status run_mish(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs&) { return v * std::tanh(softplus(v)); });
}
// Gelu (opset 20): x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or the tanh
// approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <typename T>
Status run_gelu(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs& a) {
    if (std::isinf(v)) return v > 0 ? v : 0.0;  // the formulas give -inf * 0 = NaN
    if (a.flag_a) {
      const double k = std::sqrt(2.0 / std::numbers::pi);
      return 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v)));
    }
    return 0.5 * v * (1 + std::erf(v / std::numbers::sqrt2));
  });
}
// Shrink: x + bias below -lambd, x - bias above lambd, else 0.
template <typename T>
Status run_shrink(const KernelContext& ctx) {
  return map_double<T>(ctx, [](double v, const ActivationAttrs& a) {
    if (v < -a.beta) return v + a.alpha;
    if (v > a.beta) return v - a.alpha;
    return 0.0;
  });
}

// bool output: IsNaN, IsInf.
template <typename T, typename Fn>
Status classify(const KernelContext& ctx, Fn&& fn) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const T* px = x.data<T>();
  bool* py = y.data<bool>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = fn(px[i]);
  return ok_status();
}
template <typename T>
Status run_is_nan(const KernelContext& ctx) {
  return classify<T>(ctx, [](T v) { return std::isnan(v); });
}
template <typename T>
Status run_is_inf(const KernelContext& ctx) {
  const ActivationAttrs& a = ctx.state_as<ActivationAttrs>();
  return classify<T>(ctx, [&a](T v) { return std::isinf(v) && (v > 0 ? a.flag_a : a.flag_b); });
}

// PRelu: x < 0 ? slope * x : x, slope broadcast to X.
template <typename T>
Status run_prelu(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& slope = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* px = x.data<T>();
  const T* ps = slope.data<T>();
  T* py = y.data<T>();
  for_each_broadcast(y.shape(), x.shape(), slope.shape(), [&](int64_t i, int64_t ix, int64_t is) {
    const T v = px[ix];
    py[i] = v < T{0} ? static_cast<T>(ps[is] * v) : v;
  });
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

struct FloatActivation {
  const char* op_type;
  int since;
  const char* f32_name;
  const char* f64_name;
  PrepareFn prepare;
  RunFn f32;
  RunFn f64;
};

}  // namespace

void register_ref_activation_kernels(KernelRegistry& r) {
  // since_version: the first version with today's attributes and semantics;
  // later versions only added types.
  const FloatActivation table[] = {
      {"Elu", 6, "elu_f32__ref", "elu_f64__ref", prepare_elu, run_elu<float>, run_elu<double>},
      {"Selu", 6, "selu_f32__ref", "selu_f64__ref", prepare_selu, run_selu<float>, run_selu<double>},
      {"Celu", 12, "celu_f32__ref", "celu_f64__ref", prepare_celu, run_celu<float>, run_celu<double>},
      {"ThresholdedRelu", 10, "thresholded_relu_f32__ref", "thresholded_relu_f64__ref",
       prepare_thresholded_relu, run_thresholded_relu<float>, run_thresholded_relu<double>},
      {"Softplus", 1, "softplus_f32__ref", "softplus_f64__ref", nullptr, run_softplus<float>,
       run_softplus<double>},
      {"Softsign", 1, "softsign_f32__ref", "softsign_f64__ref", nullptr, run_softsign<float>,
       run_softsign<double>},
      {"Mish", 18, "mish_f32__ref", "mish_f64__ref", nullptr, run_mish<float>, run_mish<double>},
      {"Gelu", 20, "gelu_f32__ref", "gelu_f64__ref", prepare_gelu, run_gelu<float>, run_gelu<double>},
      {"Shrink", 9, "shrink_f32__ref", "shrink_f64__ref", prepare_shrink, run_shrink<float>,
       run_shrink<double>},
      {"IsNaN", 9, "is_nan_f32__ref", "is_nan_f64__ref", nullptr, run_is_nan<float>, run_is_nan<double>},
      {"IsInf", 10, "is_inf_f32__ref", "is_inf_f64__ref", prepare_is_inf, run_is_inf<float>,
       run_is_inf<double>},
  };
  for (const FloatActivation& a : table) {
    r.add({.name = a.f32_name,
           .op_type = a.op_type,
           .since_version = a.since,
           .dtype = DType::kF32,
           .prepare = a.prepare,
           .run = a.f32});
    r.add({.name = a.f64_name,
           .op_type = a.op_type,
           .since_version = a.since,
           .dtype = DType::kF64,
           .prepare = a.prepare,
           .run = a.f64});
  }
  // fastserve.FusedGelu (passes/fuse_gelu.cc): ONNX Gelu for older opsets.
  r.add({.name = "fused_gelu_f32__ref",
         .op_type = "FusedGelu",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .prepare = prepare_gelu,
         .run = run_gelu<float>});
  // PRelu broadcasts its slope unidirectionally since opset 7; integer types
  // since 16.
  r.add({.name = "prelu_f32__ref",
         .op_type = "PRelu",
         .since_version = 7,
         .dtype = DType::kF32,
         .accepts = same_input_dtypes,
         .run = run_prelu<float>});
  r.add({.name = "prelu_f64__ref",
         .op_type = "PRelu",
         .since_version = 7,
         .dtype = DType::kF64,
         .accepts = same_input_dtypes,
         .run = run_prelu<double>});
  r.add({.name = "prelu_i32__ref",
         .op_type = "PRelu",
         .since_version = 16,
         .dtype = DType::kI32,
         .accepts = same_input_dtypes,
         .run = run_prelu<int32_t>});
  r.add({.name = "prelu_i64__ref",
         .op_type = "PRelu",
         .since_version = 16,
         .dtype = DType::kI64,
         .accepts = same_input_dtypes,
         .run = run_prelu<int64_t>});
}

}  // namespace fastserve
