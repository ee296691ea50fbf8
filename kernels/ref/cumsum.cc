// Reference CumSum (opset 11+; f32, f64, i32, i64): running sums along the
// axis given by scalar input 1 (negative counts from the back). exclusive
// leaves out the element itself (the first output is 0); reverse sums from
// the end. Viewed as [outer, d, inner]; f32 accumulates in double,
// integers wrap (no UB).
#include <string>
#include <type_traits>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

template <typename T>
Status run_cumsum(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& a = *ctx.inputs[1];
  if (a.numel() != 1) return ctx.node.error(StatusCode::kInvalidArgument, "axis must be a scalar");
  const auto rank = static_cast<int64_t>(x.rank());
  FS_ASSIGN_OR_RETURN(const int64_t axis, resolve_node_axis(ctx.node, a.element_as_int64(0), rank, "input 'axis'"));
  const bool exclusive = ctx.node.attr_int("exclusive", 0) != 0;
  const bool reverse = ctx.node.attr_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= x.dim(static_cast<size_t>(k));
  for (int64_t k = axis + 1; k < rank; ++k) inner *= x.dim(static_cast<size_t>(k));
  const int64_t d = x.dim(static_cast<size_t>(axis));
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  const T* px = x.data<T>();
  T* py = ctx.outputs[0]->data<T>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      Acc acc = 0;
      for (int64_t s = 0; s < d; ++s) {
        const int64_t j = reverse ? d - 1 - s : s;
        const int64_t off = (o * d + j) * inner + i;
        const Acc v = static_cast<Acc>(px[off]);
        if (!exclusive) acc += v;
        py[off] = static_cast<T>(acc);
        if (exclusive) acc += v;
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_cumsum_kernels(KernelRegistry& r) {
  r.add({.name = "cumsum_f32__ref", .op_type = "CumSum", .since_version = 11, .dtype = DType::kF32,
         .run = run_cumsum<float>});
  r.add({.name = "cumsum_f64__ref", .op_type = "CumSum", .since_version = 11, .dtype = DType::kF64,
         .run = run_cumsum<double>});
  r.add({.name = "cumsum_i32__ref", .op_type = "CumSum", .since_version = 11, .dtype = DType::kI32,
         .run = run_cumsum<int32_t>});
  r.add({.name = "cumsum_i64__ref", .op_type = "CumSum", .since_version = 11, .dtype = DType::kI64,
         .run = run_cumsum<int64_t>});
}

}  // namespace fastserve
