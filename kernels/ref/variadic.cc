// Reference variadic Sum, Mean (f32, f64, f16, bf16), Max, Min (those and,
// from opset 12, every integer type): one or more inputs broadcast together
// (numpy multidirectional, opset 8+). f16/bf16 fold in float and round after
// every input, as numpy's float16 arithmetic does (compute_type.h).
//
// The output is filled with input 0 broadcast to its shape, then each
// further input is folded in, in input order (as ORT). Max and Min propagate
// NaN (numpy.maximum/minimum, ONNX's reference); Mean divides the sum by N.
#include <cmath>
#include <type_traits>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

enum class Fold { kSum, kMean, kMax, kMin };

// C is the compute type (compute_t of the element type).
template <Fold kOp, typename C>
C combine(C acc, C v) {
  if constexpr (kOp == Fold::kSum || kOp == Fold::kMean) {
    return static_cast<C>(acc + v);
  } else {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(acc) || std::isnan(v)) return acc + v;  // NaN
    }
    if constexpr (kOp == Fold::kMax) return v > acc ? v : acc;
    return v < acc ? v : acc;
  }
}

template <Fold kOp, typename T>
Status run_variadic(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  T* py = y.data<T>();
  const Shape& out = y.shape();
  const Tensor& first = *ctx.inputs[0];
  const T* p0 = first.data<T>();
  for_each_broadcast(out, out, first.shape(), [&](int64_t i, int64_t, int64_t i0) { py[i] = p0[i0]; });
  for (size_t k = 1; k < ctx.inputs.size(); ++k) {
    const Tensor& in = *ctx.inputs[k];
    const T* pk = in.data<T>();
    for_each_broadcast(out, out, in.shape(), [&](int64_t i, int64_t, int64_t ik) {
      py[i] = from_compute<T>(combine<kOp, compute_t<T>>(to_compute(py[i]), to_compute(pk[ik])));
    });
  }
  if constexpr (kOp == Fold::kMean) {
    const auto n = static_cast<compute_t<T>>(ctx.inputs.size());
    for (int64_t i = 0; i < y.numel(); ++i) py[i] = from_compute<T>(to_compute(py[i]) / n);
  }
  return ok_status();
}

// Every input present and of input 0's type.
bool inputs_of_one_dtype(const NodeView& node) {
  for (size_t i = 0; i < node.num_inputs(); ++i) {
    if (!node.has_input(i) || node.input_dtype(i) != node.input_dtype(0)) return false;
  }
  return node.num_inputs() > 0;
}

template <Fold kOp, typename T>
void add_variadic(KernelRegistry& r, const char* op_type, const char* stem, int since) {
  r.add({.name = ref_kernel_name(stem, DTypeOf<T>::value),
         .op_type = op_type,
         .since_version = since,
         .dtype = DTypeOf<T>::value,
         .accepts = inputs_of_one_dtype,
         .run = run_variadic<kOp, T>});
}

}  // namespace

void register_ref_variadic_kernels(KernelRegistry& r) {
  // Float types since opset 8 (bf16 is listed from 13; an earlier model
  // cannot carry it); integer Max and Min since 12.
  for_each_type<RefFloatTypes>([&]<typename T>() {
    add_variadic<Fold::kSum, T>(r, "Sum", "sum", 8);
    add_variadic<Fold::kMean, T>(r, "Mean", "mean", 8);
    add_variadic<Fold::kMax, T>(r, "Max", "max", 8);
    add_variadic<Fold::kMin, T>(r, "Min", "min", 8);
  });
  for_each_type<RefIntTypes>([&]<typename T>() {
    add_variadic<Fold::kMax, T>(r, "Max", "max", 12);
    add_variadic<Fold::kMin, T>(r, "Min", "min", 12);
  });
}

}  // namespace fastserve
