// Reference activations with attributes and the float classifiers: Elu,
// Selu, Celu, ThresholdedRelu, Softplus, Softsign, Mish, Gelu, Shrink (f32,
// f64, f16, bf16), PRelu (those; i32, i64 from opset 16), IsNaN, IsInf
// (f32, f64, f16, bf16 -> bool).
//
// Layout: dense, one output per input element; PRelu's slope broadcasts
// unidirectionally to X (broadcast_ref.h). Transcendentals go through double
// std:: functions and round once (f16/bf16 through float, compute_type.h).
// Attributes are parsed in prepare() with ONNX's defaults. NaN propagates through every activation
// (ThresholdedRelu too, as ONNX's reference clips) except Shrink, whose spec formula gives 0 (ONNX's
// reference and ORT agree). Gelu(-inf) is its limit 0, where the formula (and ORT) would give NaN.
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
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

// The activations, each a functor: y = F::apply(x, attrs), computed in double.
struct Elu {
  static double apply(double v, const ActivationAttrs& a) { return v < 0 ? a.alpha * std::expm1(v) : v; }
};
struct Selu {
  static double apply(double v, const ActivationAttrs& a) {
    return v > 0 ? a.beta * v : a.beta * a.alpha * std::expm1(v);
  }
};
// Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
struct Celu {
  static double apply(double v, const ActivationAttrs& a) {
    return v > 0 ? v : a.alpha * std::expm1(v / a.alpha);
  }
};
struct ThresholdedRelu {
  static double apply(double v, const ActivationAttrs& a) { return v > a.alpha || std::isnan(v) ? v : 0.0; }
};
// log(1 + e^v) without overflow for large v.
double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }
struct Softplus {
  static double apply(double v, const ActivationAttrs&) { return softplus(v); }
};
struct Softsign {
  static double apply(double v, const ActivationAttrs&) { return v / (1 + std::fabs(v)); }
};
// Mish (opset 18): x * tanh(softplus(x)).
struct Mish {
  static double apply(double v, const ActivationAttrs&) { return v * std::tanh(softplus(v)); }
};
// Gelu (opset 20): x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or the tanh
// approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct Gelu {
  static double apply(double v, const ActivationAttrs& a) {
    if (std::isinf(v)) return v > 0 ? v : 0.0;  // the formulas give -inf * 0 = NaN
    if (a.flag_a) {
      const double k = std::sqrt(2.0 / std::numbers::pi);
      return 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v)));
    }
    return 0.5 * v * (1 + std::erf(v / std::numbers::sqrt2));
  }
};
// Shrink: x + bias below -lambd, x - bias above lambd, else 0.
struct Shrink {
  static double apply(double v, const ActivationAttrs& a) {
    if (v < -a.beta) return v + a.alpha;
    if (v > a.beta) return v - a.alpha;
    return 0.0;
  }
};
// The classifiers (bool output): y = F::test(x, attrs).
struct IsNaN {
  static bool test(double v, const ActivationAttrs&) { return std::isnan(v); }
};
struct IsInf {
  static bool test(double v, const ActivationAttrs& a) {
    return std::isinf(v) && (v > 0 ? a.flag_a : a.flag_b);
  }
};

const ActivationAttrs& attrs_of(const KernelContext& ctx) {
  static const ActivationAttrs kNone;
  return ctx.state != nullptr ? ctx.state_as<ActivationAttrs>() : kNone;
}

// y[i] = F::apply(x[i]) in double, stored as T (f16/bf16 through float).
template <typename T, typename F>
Status run_map(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const ActivationAttrs& a = attrs_of(ctx);
  const T* px = x.data<T>();
  T* py = ctx.outputs[0]->data<T>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i)
    py[i] = from_compute<T>(F::apply(static_cast<double>(to_compute(px[i])), a));
  return ok_status();
}

template <typename T, typename F>
Status run_classify(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const ActivationAttrs& a = attrs_of(ctx);
  const T* px = x.data<T>();
  bool* py = ctx.outputs[0]->data<bool>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = F::test(static_cast<double>(to_compute(px[i])), a);
  return ok_status();
}

// One descriptor per float type (f32, f64, f16, bf16) for the functor F: a
// map when it has apply(), a classifier when it has test().
template <typename F>
void add_activation(KernelRegistry& r, const char* op_type, int since, const char* stem, PrepareFn prepare) {
  for_each_type<RefFloatTypes>([&]<typename T>() {
    RunFn run = nullptr;
    if constexpr (requires { &F::test; }) {
      run = run_classify<T, F>;
    } else {
      run = run_map<T, F>;
    }
    r.add({.name = ref_kernel_name(stem, DTypeOf<T>::value),
           .op_type = op_type,
           .since_version = since,
           .dtype = DTypeOf<T>::value,
           .prepare = prepare,
           .run = run});
  });
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
    const compute_t<T> v = to_compute(px[ix]);
    py[i] = v < 0 ? from_compute<T>(to_compute(ps[is]) * v) : px[ix];
  });
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

}  // namespace

void register_ref_activation_kernels(KernelRegistry& r) {
  // since_version: the first version with today's attributes and semantics;
  // later versions only added types.
  add_activation<Elu>(r, "Elu", 6, "elu", prepare_elu);
  add_activation<Selu>(r, "Selu", 6, "selu", prepare_selu);
  add_activation<Celu>(r, "Celu", 12, "celu", prepare_celu);
  add_activation<ThresholdedRelu>(r, "ThresholdedRelu", 10, "thresholded_relu", prepare_thresholded_relu);
  add_activation<Softplus>(r, "Softplus", 1, "softplus", nullptr);
  add_activation<Softsign>(r, "Softsign", 1, "softsign", nullptr);
  add_activation<Mish>(r, "Mish", 18, "mish", nullptr);
  add_activation<Gelu>(r, "Gelu", 20, "gelu", prepare_gelu);
  add_activation<Shrink>(r, "Shrink", 9, "shrink", prepare_shrink);
  add_activation<IsNaN>(r, "IsNaN", 9, "is_nan", nullptr);
  add_activation<IsInf>(r, "IsInf", 10, "is_inf", prepare_is_inf);
  // fastserve.FusedGelu (passes/fuse_gelu.cc): ONNX Gelu for older opsets.
  r.add({.name = "fused_gelu_f32__ref",
         .op_type = "FusedGelu",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .prepare = prepare_gelu,
         .run = run_map<float, Gelu>});
  // PRelu broadcasts its slope unidirectionally since opset 7; integer types
  // since 16.
  const auto add_prelu = [&r]<typename T>(int since) {
    r.add({.name = ref_kernel_name("prelu", DTypeOf<T>::value),
           .op_type = "PRelu",
           .since_version = since,
           .dtype = DTypeOf<T>::value,
           .accepts = same_input_dtypes,
           .run = run_prelu<T>});
  };
  for_each_type<RefFloatTypes>([&]<typename T>() { add_prelu.template operator()<T>(7); });
  add_prelu.template operator()<int32_t>(16);
  add_prelu.template operator()<int64_t>(16);
}

}  // namespace fastserve
