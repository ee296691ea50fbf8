// Reference Reshape, Flatten, Squeeze and Unsqueeze (any dtype).
//
// All four keep the elements in the same row-major order and change only the
// shape, which shape inference already gave the output; run() copies the
// bytes. The output is a buffer the runtime allocated: turning it into an
// alias of the input (no copy at all) is the memory planner's job, not the
// kernel's, so the kernel never assumes or creates aliasing.
#include <cstring>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_copy(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.numel() != y.numel() || x.dtype() != y.dtype()) {
    return ctx.node.error(StatusCode::kInternal, "output " + y.to_string() + " does not hold the elements of input " +
                                                     x.to_string());
  }
  if (x.nbytes() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
  return ok_status();
}

}  // namespace

void register_ref_reshape_kernels(KernelRegistry& r) {
  // Reshape-1..4 took the shape as an attribute; from 5 it is input 1.
  r.add({.name = "reshape__ref", .op_type = "Reshape", .since_version = 5, .dtype = DType::kUndefined,
         .run = run_copy});
  r.add({.name = "flatten__ref", .op_type = "Flatten", .dtype = DType::kUndefined, .run = run_copy});
  r.add({.name = "squeeze__ref", .op_type = "Squeeze", .dtype = DType::kUndefined, .run = run_copy});
  r.add({.name = "unsqueeze__ref", .op_type = "Unsqueeze", .dtype = DType::kUndefined, .run = run_copy});
}

}  // namespace fastserve
