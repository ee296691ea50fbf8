// Reference unary math: Sqrt, Reciprocal, Exp, Log, Neg, Abs, Erf, Floor,
// Ceil, Round, Sign, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh,
// Acosh, Atanh on f32 and f64; Neg, Abs, Sign also on integers.
//
// Layout: dense, one output element per input element. Float ops evaluate the
// double-precision std:: function and round once, so the f32 oracle is
// accurate to the last bit. IEEE results outside the domain are kept
// (Sqrt(-1) = NaN, Log(0) = -inf, Reciprocal(0) = inf); NaN propagates.
// Round is half to even (std::nearbyint in the default rounding mode), as
// ONNX specifies. Integer Neg and Abs wrap (Neg(INT_MIN) = INT_MIN, as ORT and
// numpy), which C++ leaves undefined, so they go through the unsigned type.
#include <cmath>
#include <type_traits>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

using DoubleFn = double (*)(double);

double op_sqrt(double v) { return std::sqrt(v); }
double op_reciprocal(double v) { return 1.0 / v; }
double op_exp(double v) { return std::exp(v); }
double op_log(double v) { return std::log(v); }
double op_erf(double v) { return std::erf(v); }
double op_floor(double v) { return std::floor(v); }
double op_ceil(double v) { return std::ceil(v); }
double op_round(double v) { return std::nearbyint(v); }
double op_sin(double v) { return std::sin(v); }
double op_cos(double v) { return std::cos(v); }
double op_tan(double v) { return std::tan(v); }
double op_asin(double v) { return std::asin(v); }
double op_acos(double v) { return std::acos(v); }
double op_atan(double v) { return std::atan(v); }
double op_sinh(double v) { return std::sinh(v); }
double op_cosh(double v) { return std::cosh(v); }
double op_asinh(double v) { return std::asinh(v); }
double op_acosh(double v) { return std::acosh(v); }
double op_atanh(double v) { return std::atanh(v); }

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

template <typename T, DoubleFn kFn>
Status run_float_math(const KernelContext& ctx) {
  return map_elements<T>(ctx, [](T v) { return static_cast<T>(kFn(static_cast<double>(v))); });
}

template <typename T>
Status run_neg(const KernelContext& ctx) {
  if constexpr (std::is_floating_point_v<T>) {
    return map_elements<T>(ctx, [](T v) { return -v; });
  } else {
    using U = std::make_unsigned_t<T>;
    return map_elements<T>(ctx, [](T v) { return static_cast<T>(U{0} - static_cast<U>(v)); });
  }
}

template <typename T>
Status run_abs(const KernelContext& ctx) {
  if constexpr (std::is_floating_point_v<T>) {
    return map_elements<T>(ctx, [](T v) { return std::fabs(v); });
  } else if constexpr (std::is_unsigned_v<T>) {
    return map_elements<T>(ctx, [](T v) { return v; });
  } else {
    using U = std::make_unsigned_t<T>;
    return map_elements<T>(ctx, [](T v) { return v < 0 ? static_cast<T>(U{0} - static_cast<U>(v)) : v; });
  }
}

// Sign: -1, 0 or 1; a float zero keeps its sign and NaN stays NaN (numpy).
template <typename T>
Status run_sign(const KernelContext& ctx) {
  return map_elements<T>(ctx, [](T v) { return v > T{0} ? T{1} : (v < T{0} ? static_cast<T>(-1) : v); });
}

// f32 and f64 descriptors of one double-precision function.
template <DoubleFn kFn>
void add_float_math(KernelRegistry& r, const char* op_type, int since, const char* f32_name,
                    const char* f64_name) {
  r.add({.name = f32_name,
         .op_type = op_type,
         .since_version = since,
         .dtype = DType::kF32,
         .run = run_float_math<float, kFn>});
  r.add({.name = f64_name,
         .op_type = op_type,
         .since_version = since,
         .dtype = DType::kF64,
         .run = run_float_math<double, kFn>});
}

template <typename T>
void add_int_sign_ops(KernelRegistry& r, const char* neg, const char* abs, const char* sign) {
  constexpr DType dt = DTypeOf<T>::value;
  if (neg != nullptr)
    r.add({.name = neg, .op_type = "Neg", .since_version = 6, .dtype = dt, .run = run_neg<T>});
  r.add({.name = abs, .op_type = "Abs", .since_version = 6, .dtype = dt, .run = run_abs<T>});
  r.add({.name = sign, .op_type = "Sign", .since_version = 9, .dtype = dt, .run = run_sign<T>});
}

}  // namespace

void register_ref_math_unary_kernels(KernelRegistry& r) {
  // since_version is the first version with today's semantics; later
  // versions only added types (bf16, f16).
  add_float_math<op_sqrt>(r, "Sqrt", 6, "sqrt_f32__ref", "sqrt_f64__ref");
  add_float_math<op_reciprocal>(r, "Reciprocal", 6, "reciprocal_f32__ref", "reciprocal_f64__ref");
  add_float_math<op_exp>(r, "Exp", 6, "exp_f32__ref", "exp_f64__ref");
  add_float_math<op_log>(r, "Log", 6, "log_f32__ref", "log_f64__ref");
  add_float_math<op_erf>(r, "Erf", 9, "erf_f32__ref", "erf_f64__ref");
  add_float_math<op_floor>(r, "Floor", 6, "floor_f32__ref", "floor_f64__ref");
  add_float_math<op_ceil>(r, "Ceil", 6, "ceil_f32__ref", "ceil_f64__ref");
  add_float_math<op_round>(r, "Round", 11, "round_f32__ref", "round_f64__ref");
  add_float_math<op_sin>(r, "Sin", 7, "sin_f32__ref", "sin_f64__ref");
  add_float_math<op_cos>(r, "Cos", 7, "cos_f32__ref", "cos_f64__ref");
  add_float_math<op_tan>(r, "Tan", 7, "tan_f32__ref", "tan_f64__ref");
  add_float_math<op_asin>(r, "Asin", 7, "asin_f32__ref", "asin_f64__ref");
  add_float_math<op_acos>(r, "Acos", 7, "acos_f32__ref", "acos_f64__ref");
  add_float_math<op_atan>(r, "Atan", 7, "atan_f32__ref", "atan_f64__ref");
  add_float_math<op_sinh>(r, "Sinh", 9, "sinh_f32__ref", "sinh_f64__ref");
  add_float_math<op_cosh>(r, "Cosh", 9, "cosh_f32__ref", "cosh_f64__ref");
  add_float_math<op_asinh>(r, "Asinh", 9, "asinh_f32__ref", "asinh_f64__ref");
  add_float_math<op_acosh>(r, "Acosh", 9, "acosh_f32__ref", "acosh_f64__ref");
  add_float_math<op_atanh>(r, "Atanh", 9, "atanh_f32__ref", "atanh_f64__ref");

  r.add({.name = "neg_f32__ref",
         .op_type = "Neg",
         .since_version = 6,
         .dtype = DType::kF32,
         .run = run_neg<float>});
  r.add({.name = "neg_f64__ref",
         .op_type = "Neg",
         .since_version = 6,
         .dtype = DType::kF64,
         .run = run_neg<double>});
  r.add({.name = "abs_f32__ref",
         .op_type = "Abs",
         .since_version = 6,
         .dtype = DType::kF32,
         .run = run_abs<float>});
  r.add({.name = "abs_f64__ref",
         .op_type = "Abs",
         .since_version = 6,
         .dtype = DType::kF64,
         .run = run_abs<double>});
  r.add({.name = "sign_f32__ref",
         .op_type = "Sign",
         .since_version = 9,
         .dtype = DType::kF32,
         .run = run_sign<float>});
  r.add({.name = "sign_f64__ref",
         .op_type = "Sign",
         .since_version = 9,
         .dtype = DType::kF64,
         .run = run_sign<double>});
  // Neg is defined on signed types only; Abs and Sign on every numeric type.
  add_int_sign_ops<int8_t>(r, "neg_i8__ref", "abs_i8__ref", "sign_i8__ref");
  add_int_sign_ops<int16_t>(r, "neg_i16__ref", "abs_i16__ref", "sign_i16__ref");
  add_int_sign_ops<int32_t>(r, "neg_i32__ref", "abs_i32__ref", "sign_i32__ref");
  add_int_sign_ops<int64_t>(r, "neg_i64__ref", "abs_i64__ref", "sign_i64__ref");
  add_int_sign_ops<uint8_t>(r, nullptr, "abs_u8__ref", "sign_u8__ref");
  add_int_sign_ops<uint16_t>(r, nullptr, "abs_u16__ref", "sign_u16__ref");
  add_int_sign_ops<uint32_t>(r, nullptr, "abs_u32__ref", "sign_u32__ref");
  add_int_sign_ops<uint64_t>(r, nullptr, "abs_u64__ref", "sign_u64__ref");
}

}  // namespace fastserve
