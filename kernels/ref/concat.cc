// Reference Concat (any dtype): inputs are stacked along `axis` (negative
// counts from the back) in input order; every other dim is equal. Inputs with
// a 0-sized dim contribute nothing. Each input element is copied to the output
// position whose axis coordinate is shifted by the sizes of earlier inputs.
#include <cstring>
#include <memory>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ConcatState {
  int64_t axis;  // as written; normalized per run against the rank
};

Status prepare_concat(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<ConcatState>(ConcatState{node.attr_int("axis", 1)});  // Concat-1 defaulted to 1
  return ok_status();
}

Status run_concat(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  const int64_t rank = static_cast<int64_t>(y.rank());
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(ctx.node, ctx.state_as<ConcatState>().axis, rank, "axis"));
  const size_t es = dtype_size(y.dtype());
  const std::vector<int64_t> out_strides = row_major_strides(y.shape());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  int64_t offset = 0;  // axis coordinate where the current input starts
  for (const Tensor* in : ctx.inputs) {
    FS_CHECK(in != nullptr && in->rank() == y.rank() && in->dtype() == y.dtype());
    const auto* src = static_cast<const uint8_t*>(in->raw_data());
    std::vector<int64_t> idx(y.rank(), 0);
    for (int64_t n = 0; n < in->numel(); ++n) {
      int64_t off = offset * out_strides[static_cast<size_t>(axis)];
      for (size_t k = 0; k < idx.size(); ++k) off += idx[k] * out_strides[k];
      std::memcpy(dst + static_cast<size_t>(off) * es, src + static_cast<size_t>(n) * es, es);
      next_index(idx, in->shape());
    }
    offset += in->dim(static_cast<size_t>(axis));
  }
  return ok_status();
}

}  // namespace

void register_ref_concat_kernels(KernelRegistry& r) {
  r.add({.name = "concat__ref", .op_type = "Concat", .dtype = DType::kUndefined,
         .prepare = prepare_concat, .run = run_concat});
}

}  // namespace fastserve
