// Reference Gather (any data dtype; int32 or int64 indices of any rank):
// out[a..., i..., b...] = data[a..., indices[i...], b...] along `axis`.
// Negative indices count from the end of the axis; an index outside
// [-d, d-1] is an kOutOfRange error naming the node (never a read out of
// bounds). Viewed as data [outer, d, inner], each index copies one
// contiguous block of `inner` elements.
#include <cstring>
#include <memory>
#include <string>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct GatherState {
  int64_t axis;  // as written; normalized per run against the rank
};

Status prepare_gather(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<GatherState>(GatherState{node.attr_int("axis", 0)});
  return ok_status();
}

Status run_gather(const KernelContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  const Tensor& indices = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  if (indices.dtype() != DType::kI32 && indices.dtype() != DType::kI64) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          std::string("indices must be int32 or int64, got ") + dtype_name(indices.dtype()));
  }
  const int64_t rank = static_cast<int64_t>(data.rank());
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(ctx.node, ctx.state_as<GatherState>().axis, rank, "axis"));
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= data.dim(static_cast<size_t>(k));
  for (int64_t k = axis + 1; k < rank; ++k) inner *= data.dim(static_cast<size_t>(k));
  const int64_t d = data.dim(static_cast<size_t>(axis));
  const int64_t count = indices.numel();
  FS_CHECK(y.numel() == outer * count * inner);

  const size_t block = static_cast<size_t>(inner) * dtype_size(data.dtype());
  const auto* src = static_cast<const uint8_t*>(data.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t i = 0; i < count; ++i) {
    int64_t idx = indices.dtype() == DType::kI32 ? indices.data<int32_t>()[i] : indices.data<int64_t>()[i];
    if (idx < -d || idx >= d) {
      return ctx.node.error(StatusCode::kOutOfRange, "index " + std::to_string(idx) + " (indices element " +
                                                         std::to_string(i) + ") is out of range for axis " +
                                                         std::to_string(axis) + " of size " + std::to_string(d));
    }
    if (idx < 0) idx += d;
    for (int64_t o = 0; o < outer; ++o) {
      if (block == 0) continue;
      std::memcpy(dst + static_cast<size_t>(o * count + i) * block, src + static_cast<size_t>(o * d + idx) * block,
                  block);
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_gather_kernels(KernelRegistry& r) {
  r.add({.name = "gather__ref", .op_type = "Gather", .dtype = DType::kUndefined, .prepare = prepare_gather,
         .run = run_gather});
}

}  // namespace fastserve
