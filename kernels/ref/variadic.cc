// Reference variadic Sum, Mean (f32, f64), Max, Min (f32, f64 and, from
// opset 12, every integer type): one or more inputs broadcast together
// (numpy multidirectional, opset 8+).
//
// The output is filled with input 0 broadcast to its shape, then each
// further input is folded in, in input order (as ORT). Max and Min propagate
// NaN (numpy.maximum/minimum, ONNX's reference); Mean divides the sum by N.
#include <cmath>
#include <type_traits>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

enum class Fold { kSum, kMean, kMax, kMin };

template <Fold kOp, typename T>
T combine(T acc, T v) {
  if constexpr (kOp == Fold::kSum || kOp == Fold::kMean) {
    return static_cast<T>(acc + v);
  } else {
    if constexpr (std::is_floating_point_v<T>) {
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
    for_each_broadcast(out, out, in.shape(),
                       [&](int64_t i, int64_t, int64_t ik) { py[i] = combine<kOp, T>(py[i], pk[ik]); });
  }
  if constexpr (kOp == Fold::kMean) {
    const T n = static_cast<T>(ctx.inputs.size());
    for (int64_t i = 0; i < y.numel(); ++i) py[i] /= n;
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
void add_variadic(KernelRegistry& r, const char* op_type, int since, const char* name) {
  r.add({.name = name,
         .op_type = op_type,
         .since_version = since,
         .dtype = DTypeOf<T>::value,
         .accepts = inputs_of_one_dtype,
         .run = run_variadic<kOp, T>});
}

template <typename T>
void add_int_max_min(KernelRegistry& r, const char* max_name, const char* min_name) {
  add_variadic<Fold::kMax, T>(r, "Max", 12, max_name);
  add_variadic<Fold::kMin, T>(r, "Min", 12, min_name);
}

}  // namespace

void register_ref_variadic_kernels(KernelRegistry& r) {
  add_variadic<Fold::kSum, float>(r, "Sum", 8, "sum_f32__ref");
  add_variadic<Fold::kSum, double>(r, "Sum", 8, "sum_f64__ref");
  add_variadic<Fold::kMean, float>(r, "Mean", 8, "mean_f32__ref");
  add_variadic<Fold::kMean, double>(r, "Mean", 8, "mean_f64__ref");
  add_variadic<Fold::kMax, float>(r, "Max", 8, "max_f32__ref");
  add_variadic<Fold::kMax, double>(r, "Max", 8, "max_f64__ref");
  add_variadic<Fold::kMin, float>(r, "Min", 8, "min_f32__ref");
  add_variadic<Fold::kMin, double>(r, "Min", 8, "min_f64__ref");
  add_int_max_min<int8_t>(r, "max_i8__ref", "min_i8__ref");
  add_int_max_min<int16_t>(r, "max_i16__ref", "min_i16__ref");
  add_int_max_min<int32_t>(r, "max_i32__ref", "min_i32__ref");
  add_int_max_min<int64_t>(r, "max_i64__ref", "min_i64__ref");
  add_int_max_min<uint8_t>(r, "max_u8__ref", "min_u8__ref");
  add_int_max_min<uint16_t>(r, "max_u16__ref", "min_u16__ref");
  add_int_max_min<uint32_t>(r, "max_u32__ref", "min_u32__ref");
  add_int_max_min<uint64_t>(r, "max_u64__ref", "min_u64__ref");
}

}  // namespace fastserve
