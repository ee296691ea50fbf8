// Reference Slice, opset 10+ (any dtype): output element j along dim k reads
// input element start[k] + j * step[k]. starts/ends/axes/steps come from
// inputs 1..4 and are clamped by resolve_slice (graph/shape_op_params.h), the
// same code that gave the output its shape; negative steps walk backwards.
#include <cstring>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_slice(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(std::vector<SliceDim> dims, resolve_slice(ctx.node, x.shape()));
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k].size != y.dim(k)) {
      return ctx.node.error(StatusCode::kInternal, "output " + y.to_string() + " does not match the slice");
    }
  }
  const size_t es = dtype_size(x.dtype());
  const std::vector<int64_t> in_strides = row_major_strides(x.shape());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  std::vector<int64_t> idx(y.rank(), 0);
  for (int64_t n = 0; n < y.numel(); ++n) {
    int64_t off = 0;
    for (size_t k = 0; k < idx.size(); ++k) off += (dims[k].start + idx[k] * dims[k].step) * in_strides[k];
    std::memcpy(dst + static_cast<size_t>(n) * es, src + static_cast<size_t>(off) * es, es);
    next_index(idx, y.shape());
  }
  return ok_status();
}

}  // namespace

void register_ref_slice_kernels(KernelRegistry& r) {
  r.add({.name = "slice__ref", .op_type = "Slice", .since_version = 10, .dtype = DType::kUndefined,
         .run = run_slice});
}

}  // namespace fastserve
