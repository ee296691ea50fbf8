// Reference Size (any input dtype): int64 scalar, the element count.
// Reference Shape (any input dtype): output is int64 [end - start], the
// input's dims start..end-1. Opset 15's start/end attributes count from the
// back when negative and clamp to [0, rank] (resolve_shape_range).
#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_shape(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  auto [start, end] = resolve_shape_range(ctx.node, static_cast<int64_t>(x.rank()));
  FS_CHECK(y.dtype() == DType::kI64 && y.numel() == end - start);
  int64_t* out = y.data<int64_t>();
  for (int64_t k = start; k < end; ++k) out[k - start] = x.dim(static_cast<size_t>(k));
  return ok_status();
}

// Size: the input's element count as an int64 scalar.
Status run_size(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  FS_CHECK(y.dtype() == DType::kI64 && y.numel() == 1);
  y.data<int64_t>()[0] = ctx.inputs[0]->numel();
  return ok_status();
}

}  // namespace

void register_ref_shape_op_kernels(KernelRegistry& r) {
  r.add({.name = "shape__ref", .op_type = "Shape", .dtype = DType::kUndefined, .run = run_shape});
  r.add({.name = "size__ref", .op_type = "Size", .dtype = DType::kUndefined, .run = run_size});
}

}  // namespace fastserve
