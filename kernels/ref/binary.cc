// Reference Add, Sub, Mul, Div (every integer type, f32, f64, f16, bf16)
// and Pow (base i32/i64/f32/f64/f16/bf16, exponent any of those or any
// integer type) with numpy multidirectional broadcasting.
//
// Layout: dense row-major; broadcasting by index walking (broadcast_ref.h).
// Plain loops, single thread: this is the oracle. f16/bf16 compute in float
// and round once (compute_type.h), which is their exact IEEE result.
//
// Integer semantics (ONNX leaves overflow undefined; C++ makes it UB, so it
// is defined here): Add/Sub/Mul wrap modulo 2^N; Div truncates toward zero
// like C++ and ORT, INT_MIN / -1 wraps to INT_MIN, and division by zero is an
// kInvalidArgument error naming the node (ORT would trap).
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/fused_activation.h"
#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

// Integer Add/Sub/Mul modulo 2^N. The arithmetic is done in an unsigned type
// at least as wide as unsigned int, so that promotion of narrow types to
// (signed) int cannot overflow (65535 * 65535 would).
template <typename T>
T wrapping(BinaryOp op, T a, T b) {
  using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
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
    if constexpr (kIsFloatStorage<T>) {
      const compute_t<T> va = to_compute(pa[ia]), vb = to_compute(pb[ib]);
      if constexpr (kOp == BinaryOp::kAdd) py[i] = from_compute<T>(va + vb);
      if constexpr (kOp == BinaryOp::kSub) py[i] = from_compute<T>(va - vb);
      if constexpr (kOp == BinaryOp::kMul) py[i] = from_compute<T>(va * vb);
      if constexpr (kOp == BinaryOp::kDiv) py[i] = from_compute<T>(va / vb);
    } else if constexpr (kOp == BinaryOp::kDiv) {
      const T va = pa[ia], vb = pb[ib];
      if (vb == 0) {
        divided_by_zero = true;
        py[i] = 0;
      } else if (std::is_signed_v<T> && vb == static_cast<T>(-1)) {
        py[i] = wrapping(BinaryOp::kSub, T{0}, va);  // -INT_MIN wraps to INT_MIN
      } else {
        py[i] = static_cast<T>(va / vb);
      }
    } else {
      py[i] = wrapping(kOp, pa[ia], pb[ib]);
    }
  });
  if (divided_by_zero) return ctx.node.error(StatusCode::kInvalidArgument, "integer division by zero");
  return ok_status();
}

// Exact integer power by squaring, wrapping like Mul.
template <typename T>
T int_pow(T x, uint64_t e) {
  T result = 1;
  while (e > 0) {
    if (e & 1) result = wrapping(BinaryOp::kMul, result, x);
    x = wrapping(BinaryOp::kMul, x, x);
    e >>= 1;
  }
  return result;
}

template <typename E>
bool is_negative(E e) {
  if constexpr (std::is_unsigned_v<E>) {
    return false;
  } else {
    return e < E{0};
  }
}

// Pow element: float bases compute in double and round once; integer bases
// with a non-negative integer exponent are exact (wrapping); other integer
// cases go through double and the saturating conversion Cast uses.
template <typename T, typename E>
T pow_element(T x, E e) {
  if constexpr (std::is_integral_v<T> && std::is_integral_v<E>) {
    if (!is_negative(e)) return int_pow(x, static_cast<uint64_t>(e));
    return saturating_float_to_int<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  } else if constexpr (std::is_integral_v<T>) {
    return saturating_float_to_int<T>(std::pow(static_cast<double>(x), static_cast<double>(to_compute(e))));
  } else {
    return from_compute<T>(std::pow(static_cast<double>(to_compute(x)), static_cast<double>(to_compute(e))));
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

// Pow-15's exponent types (T1): every integer and float type.
bool pow_exponent_supported(const NodeView& node) {
  return visit_dtype<RefNumericTypes>(
      node.input_dtype(1), []<typename E>() { return true; }, [] { return false; });
}

template <typename T>
Status run_pow(const KernelContext& ctx) {
  const DType e = ctx.inputs[1]->dtype();
  return visit_dtype<RefNumericTypes>(
      e, [&]<typename E>() { return run_pow_typed<T, E>(ctx); },
      [&] {
        return ctx.node.error(StatusCode::kUnsupported,
                              std::string("Pow exponent dtype ") + dtype_name(e) + " is not supported");
      });
}

// fastserve.FusedAdd (float32): the Add above, then the activation.
Status run_fused_add(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(FusedActivation act, parse_fused_activation(ctx.node));
  FS_RETURN_IF_ERROR((run_arith<BinaryOp::kAdd, float>(ctx)));
  Tensor& y = *ctx.outputs[0];
  apply_fused_activation(act, y.data<float>(), y.numel());
  return ok_status();
}

// Add/Sub/Mul/Div need both inputs of input 0's type.
bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <BinaryOp kOp, typename T>
void add_arith(KernelRegistry& r, const char* op_type, const char* stem) {
  r.add({.name = ref_kernel_name(stem, DTypeOf<T>::value),
         .op_type = op_type,
         .dtype = DTypeOf<T>::value,
         .accepts = same_input_dtypes,
         .run = run_arith<kOp, T>});
}

}  // namespace

void register_ref_binary_kernels(KernelRegistry& r) {
  for_each_type<RefNumericTypes>([&]<typename T>() {
    add_arith<BinaryOp::kAdd, T>(r, "Add", "add");
    add_arith<BinaryOp::kSub, T>(r, "Sub", "sub");
    add_arith<BinaryOp::kMul, T>(r, "Mul", "mul");
    add_arith<BinaryOp::kDiv, T>(r, "Div", "div");
  });
  r.add({.name = "fused_add_f32__ref",
         .op_type = "FusedAdd",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .accepts = same_input_dtypes,
         .run = run_fused_add});
  // Pow-15's base types (T).
  for_each_type<TypeList<float, double, Half, BFloat16, int32_t, int64_t>>([&]<typename T>() {
    r.add({.name = ref_kernel_name("pow", DTypeOf<T>::value),
           .op_type = "Pow",
           .dtype = DTypeOf<T>::value,
           .accepts = pow_exponent_supported,
           .run = run_pow<T>});
  });
}

}  // namespace fastserve
