// Reference Identity (any dtype): copies input 0 to output 0 byte for byte
// (dense layout). Dropout, which does the same at inference, is dropout.cc.
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

}  // namespace

void register_ref_identity_kernels(KernelRegistry& r) {
  r.add({.name = "identity__ref", .op_type = "Identity", .dtype = DType::kUndefined, .run = run_identity});
}

}  // namespace fastserve
