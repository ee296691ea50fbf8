// Reference Split (any dtype): output j is the slab of the input along `axis`
// that starts after outputs 0..j-1. The slab sizes (the 'split' attribute or
// input, 'num_outputs', or an equal split, per opset) were resolved by shape
// inference into the outputs' shapes, so run() reads them from there.
#include <cstring>
#include <memory>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct SplitState {
  int64_t axis;  // as written; normalized per run against the rank
};

Status prepare_split(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<SplitState>(SplitState{node.attr_int("axis", 0)});
  return ok_status();
}

Status run_split(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const int64_t rank = static_cast<int64_t>(x.rank());
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(ctx.node, ctx.state_as<SplitState>().axis, rank, "axis"));
  const size_t es = dtype_size(x.dtype());
  const std::vector<int64_t> in_strides = row_major_strides(x.shape());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  int64_t offset = 0;  // axis coordinate where the current output starts
  for (Tensor* out : ctx.outputs) {
    FS_CHECK(out != nullptr && out->rank() == x.rank() && out->dtype() == x.dtype());
    auto* dst = static_cast<uint8_t*>(out->raw_data());
    std::vector<int64_t> idx(x.rank(), 0);
    for (int64_t n = 0; n < out->numel(); ++n) {
      int64_t off = offset * in_strides[static_cast<size_t>(axis)];
      for (size_t k = 0; k < idx.size(); ++k) off += idx[k] * in_strides[k];
      std::memcpy(dst + static_cast<size_t>(n) * es, src + static_cast<size_t>(off) * es, es);
      next_index(idx, out->shape());
    }
    offset += out->dim(static_cast<size_t>(axis));
  }
  if (offset > x.dim(static_cast<size_t>(axis))) {
    return ctx.node.error(StatusCode::kInternal, "outputs cover more than the input's axis");
  }
  return ok_status();
}

}  // namespace

void register_ref_split_kernels(KernelRegistry& r) {
  r.add({.name = "split__ref", .op_type = "Split", .since_version = 2, .dtype = DType::kUndefined,
         .prepare = prepare_split, .run = run_split});
}

}  // namespace fastserve
