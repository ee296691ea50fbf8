// Reference Where(condition, X, Y) for any element type: out = condition ?
// X : Y with all three broadcast together (numpy multidirectional, opset 9+).
//
// Data movement: elements are copied as bytes (dtype_size of X), so one
// descriptor serves every type. Layout: dense row-major, index walking
// (broadcast_ref.h).
#include <cstring>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_where(const KernelContext& ctx) {
  const Tensor& cond = *ctx.inputs[0];
  const Tensor& x = *ctx.inputs[1];
  const Tensor& y = *ctx.inputs[2];
  Tensor& out = *ctx.outputs[0];
  const size_t size = dtype_size(out.dtype());
  FS_CHECK(size > 0 && x.dtype() == out.dtype() && y.dtype() == out.dtype());
  const bool* pc = cond.data<bool>();
  const auto* px = static_cast<const unsigned char*>(x.raw_data());
  const auto* py = static_cast<const unsigned char*>(y.raw_data());
  auto* po = static_cast<unsigned char*>(out.raw_data());
  for_each_broadcast_n<3>(out.shape(), {&cond.shape(), &x.shape(), &y.shape()},
                          [&](int64_t i, const std::array<int64_t, 3>& o) {
                            const unsigned char* src = pc[o[0]] ? px + o[1] * size : py + o[2] * size;
                            std::memcpy(po + i * size, src, size);
                          });
  return ok_status();
}

// Condition bool; X and Y of one fixed-size type (not string).
bool where_types_supported(const NodeView& node) {
  const DType x = node.input_dtype(1);
  return node.input_dtype(0) == DType::kBool && x == node.input_dtype(2) && x != DType::kString &&
         dtype_size(x) > 0;
}

}  // namespace

void register_ref_where_kernels(KernelRegistry& r) {
  r.add({.name = "where__ref",
         .op_type = "Where",
         .since_version = 9,
         .dtype = DType::kUndefined,
         .accepts = where_types_supported,
         .run = run_where});
}

}  // namespace fastserve
