// Reference Add, Sub, Mul, Div (f32, i32, i64) and Pow (base f32/i32/i64,
// exponent f32/i32/i64) with numpy multidirectional broadcasting.
//
// Layout: dense row-major; broadcasting by index walking (broadcast_ref.h).
// Plain loops, single thread: this is the oracle.
//
// Integer semantics (ONNX leaves overflow undefined; C++ makes it UB, so it
// is defined here): Add/Sub/Mul wrap modulo 2^N; Div truncates toward zero
// like C++ and ORT, INT_MIN / -1 wraps to INT_MIN, and division by zero is an
// kInvalidArgument error naming the node (ORT would trap).
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

template <typename T>
T wrapping(BinaryOp op, T a, T b) {
  using U = std::make_unsigned_t<T>;
  const U ua = static_cast<U>(a), ub = static_cast<U>(b);
  switch (op) {
    case BinaryOp::kAdd:
      return static_cast<T>(ua + ub);
    case BinaryOp::kSub:
      return static_cast<T>(ua - ub);
    case BinaryOp::kMul:
      return static_cast<T>(ua * ub);
    case BinaryOp::kDiv:
      break;
  }
  FS_CHECK(false);
  return 0;
}

template <BinaryOp kOp, typename T>
Status run_arith(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  bool divided_by_zero = false;
  for_each_broadcast(y.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    const T va = pa[ia], vb = pb[ib];
    if constexpr (std::is_floating_point_v<T>) {
      if constexpr (kOp == BinaryOp::kAdd) py[i] = va + vb;
      if constexpr (kOp == BinaryOp::kSub) py[i] = va - vb;
      if constexpr (kOp == BinaryOp::kMul) py[i] = va * vb;
      if constexpr (kOp == BinaryOp::kDiv) py[i] = va / vb;
    } else if constexpr (kOp == BinaryOp::kDiv) {
      if (vb == 0) {
        divided_by_zero = true;
        py[i] = 0;
      } else if (vb == -1) {
        py[i] = wrapping(BinaryOp::kSub, T{0}, va);  // -INT_MIN wraps to INT_MIN
      } else {
        py[i] = static_cast<T>(va / vb);
      }
    } else {
      py[i] = wrapping(kOp, va, vb);
    }
  });
  if (divided_by_zero) return ctx.node.error(StatusCode::kInvalidArgument, "integer division by zero");
  return ok_status();
}

// Exact integer power by squaring, wrapping like Mul. e >= 0.
template <typename T>
T int_pow(T x, int64_t e) {
  T result = 1;
  while (e > 0) {
    if (e & 1) result = wrapping(BinaryOp::kMul, result, x);
    x = wrapping(BinaryOp::kMul, x, x);
    e >>= 1;
  }
  return result;
}

// Pow element: float bases compute in double and round once; integer bases
// with a non-negative integer exponent are exact (wrapping); other integer
// cases go through double and the saturating conversion Cast uses.
template <typename T, typename E>
T pow_element(T x, E e) {
  if constexpr (std::is_integral_v<T> && std::is_integral_v<E>) {
    if (e >= 0) return int_pow(x, static_cast<int64_t>(e));
    return saturating_float_to_int<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  } else if constexpr (std::is_integral_v<T>) {
    return saturating_float_to_int<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  } else {
    return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  }
}

template <typename T, typename E>
Status run_pow_typed(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const E* pb = b.data<E>();
  T* py = y.data<T>();
  for_each_broadcast(y.shape(), a.shape(), b.shape(),
                     [&](int64_t i, int64_t ia, int64_t ib) { py[i] = pow_element<T, E>(pa[ia], pb[ib]); });
  return ok_status();
}

bool pow_exponent_supported(const NodeView& node) {
  const DType e = node.input_dtype(1);
  return e == DType::kF32 || e == DType::kI32 || e == DType::kI64;
}

template <typename T>
Status run_pow(const KernelContext& ctx) {
  switch (ctx.inputs[1]->dtype()) {
    case DType::kF32:
      return run_pow_typed<T, float>(ctx);
    case DType::kI32:
      return run_pow_typed<T, int32_t>(ctx);
    case DType::kI64:
      return run_pow_typed<T, int64_t>(ctx);
    default:
      break;
  }
  return ctx.node.error(
      StatusCode::kUnsupported,
      std::string("Pow exponent dtype ") + dtype_name(ctx.inputs[1]->dtype()) + " is not supported");
}

// Add/Sub/Mul/Div need both inputs of input 0's type.
bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <BinaryOp kOp>
void add_arith(KernelRegistry& r, const char* op_type, const char* f32, const char* i32, const char* i64) {
  r.add({.name = f32,
         .op_type = op_type,
         .dtype = DType::kF32,
         .accepts = same_input_dtypes,
         .run = run_arith<kOp, float>});
  r.add({.name = i32,
         .op_type = op_type,
         .dtype = DType::kI32,
         .accepts = same_input_dtypes,
         .run = run_arith<kOp, int32_t>});
  r.add({.name = i64,
         .op_type = op_type,
         .dtype = DType::kI64,
         .accepts = same_input_dtypes,
         .run = run_arith<kOp, int64_t>});
}

}  // namespace

void register_ref_binary_kernels(KernelRegistry& r) {
  add_arith<BinaryOp::kAdd>(r, "Add", "add_f32__ref", "add_i32__ref", "add_i64__ref");
  add_arith<BinaryOp::kSub>(r, "Sub", "sub_f32__ref", "sub_i32__ref", "sub_i64__ref");
  add_arith<BinaryOp::kMul>(r, "Mul", "mul_f32__ref", "mul_i32__ref", "mul_i64__ref");
  add_arith<BinaryOp::kDiv>(r, "Div", "div_f32__ref", "div_i32__ref", "div_i64__ref");
  r.add({.name = "pow_f32__ref",
         .op_type = "Pow",
         .dtype = DType::kF32,
         .accepts = pow_exponent_supported,
         .run = run_pow<float>});
  r.add({.name = "pow_i32__ref",
         .op_type = "Pow",
         .dtype = DType::kI32,
         .accepts = pow_exponent_supported,
         .run = run_pow<int32_t>});
  r.add({.name = "pow_i64__ref",
         .op_type = "Pow",
         .dtype = DType::kI64,
         .accepts = pow_exponent_supported,
         .run = run_pow<int64_t>});
}

}  // namespace fastserve
