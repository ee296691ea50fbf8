// Reference Identity (any dtype) and Dropout in inference mode.
//
// Both copy input 0 to output 0 byte for byte (dense layout). Dropout's
// optional second output, the mask, is all true in inference. Dropout with
// training_mode = true (input 2, opset 12+) is not supported: accepts()
// rejects a constant true and run() a runtime one. The ratio (attribute
// before 12, input 1 from 12) has no effect at inference.
#include <algorithm>
#include <cstring>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

void copy_tensor(const Tensor& x, Tensor& y) {
  FS_CHECK(x.nbytes() == y.nbytes());
  if (x.nbytes() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
}

Status run_identity(const KernelContext& ctx) {
  copy_tensor(*ctx.inputs[0], *ctx.outputs[0]);
  return ok_status();
}

bool training_mode_on(const Tensor& t) { return t.numel() == 1 && t.element_as_int64(0) != 0; }

bool dropout_accepts(const NodeView& node) {
  const Tensor* training = node.input_value(2);
  return training == nullptr || !training_mode_on(*training);
}

Status run_dropout(const KernelContext& ctx) {
  if (ctx.inputs.size() > 2 && ctx.inputs[2] != nullptr && training_mode_on(*ctx.inputs[2])) {
    return ctx.node.error(StatusCode::kUnsupported, "training_mode=true is not supported (inference only)");
  }
  copy_tensor(*ctx.inputs[0], *ctx.outputs[0]);
  if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) {
    Tensor& mask = *ctx.outputs[1];
    bool* m = mask.data<bool>();
    std::fill(m, m + mask.numel(), true);
  }
  return ok_status();
}

}  // namespace

void register_ref_identity_kernels(KernelRegistry& r) {
  r.add({.name = "identity__ref", .op_type = "Identity", .dtype = DType::kUndefined, .run = run_identity});
  r.add({.name = "dropout__ref",
         .op_type = "Dropout",
         .dtype = DType::kUndefined,
         .accepts = dropout_accepts,
         .run = run_dropout});
}

}  // namespace fastserve
