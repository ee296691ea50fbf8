// Reference Range (opset 11+; f32, f64, i32, i64): output[i] = start +
// i * delta for i < max(ceil((limit - start) / delta), 0). The length comes
// from shape inference (resolve_range_length); integers are computed in
// int64 (wrapping, never UB) and floats in double, then stored in the type.
#include <type_traits>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

template <typename T>
Status run_range(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  T* py = y.data<T>();
  if constexpr (std::is_integral_v<T>) {
    const int64_t s = ctx.inputs[0]->element_as_int64(0), d = ctx.inputs[2]->element_as_int64(0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      py[i] = static_cast<T>(static_cast<uint64_t>(s) + static_cast<uint64_t>(i) * static_cast<uint64_t>(d));
    }
  } else {
    const double s = ctx.inputs[0]->element_as_double(0), d = ctx.inputs[2]->element_as_double(0);
    for (int64_t i = 0; i < y.numel(); ++i) py[i] = static_cast<T>(s + static_cast<double>(i) * d);
  }
  return ok_status();
}

}  // namespace

void register_ref_range_kernels(KernelRegistry& r) {
  r.add({.name = "range_f32__ref", .op_type = "Range", .since_version = 11, .dtype = DType::kF32,
         .run = run_range<float>});
  r.add({.name = "range_f64__ref", .op_type = "Range", .since_version = 11, .dtype = DType::kF64,
         .run = run_range<double>});
  r.add({.name = "range_i32__ref", .op_type = "Range", .since_version = 11, .dtype = DType::kI32,
         .run = run_range<int32_t>});
  r.add({.name = "range_i64__ref", .op_type = "Range", .since_version = 11, .dtype = DType::kI64,
         .run = run_range<int64_t>});
}

}  // namespace fastserve
