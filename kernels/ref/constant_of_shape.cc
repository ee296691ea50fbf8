// Reference ConstantOfShape (opset 9+): a tensor of the shape given by input
// 0 (int64, 1-D) filled with the one element of the 'value' attribute
// (default float32 0), whose dtype is the output's. The output shape comes
// from shape inference (graph/infer_shape_build.cc), which read the input.
#include <cstring>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_constant_of_shape(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(const Tensor value, resolve_constant_of_shape_value(ctx.node));
  Tensor& y = *ctx.outputs[0];
  FS_CHECK(y.dtype() == value.dtype());
  const size_t es = dtype_size(value.dtype());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * es, value.raw_data(), es);
  return ok_status();
}

}  // namespace

void register_ref_constant_of_shape_kernels(KernelRegistry& r) {
  // Input 0 is always int64; the output's dtype comes from the attribute.
  r.add({.name = "constant_of_shape__ref", .op_type = "ConstantOfShape", .since_version = 9,
         .dtype = DType::kI64, .run = run_constant_of_shape});
}

}  // namespace fastserve
