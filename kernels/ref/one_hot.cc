// Reference OneHot (opset 11+): indices (any numeric type, read as int64
// after truncation), depth (a one-element numeric tensor), values [off, on]
// (any dtype: the output's). The output inserts a dim of size depth at
// `axis` (default -1, counted in the output's rank); each position holds on
// where its coordinate along that dim equals the index (negative indices
// count from depth), else off. Indices outside [-depth, depth-1] give a
// row of off.
#include <cstring>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_one_hot(const KernelContext& ctx) {
  const Tensor& idx = *ctx.inputs[0];
  const Tensor& values = *ctx.inputs[2];
  Tensor& y = *ctx.outputs[0];
  if (values.numel() != 2) return ctx.node.error(StatusCode::kInvalidArgument, "values must hold [off, on]");
  const auto out_rank = static_cast<int64_t>(y.rank());
  FS_ASSIGN_OR_RETURN(const int64_t axis,
                      resolve_node_axis(ctx.node, ctx.node.attr_int("axis", -1), out_rank, "attribute 'axis'"));
  const int64_t depth = y.dim(static_cast<size_t>(axis));
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= y.dim(static_cast<size_t>(k));
  for (int64_t k = axis + 1; k < out_rank; ++k) inner *= y.dim(static_cast<size_t>(k));
  const size_t es = dtype_size(values.dtype());
  const auto* off = static_cast<const uint8_t*>(values.raw_data());
  const uint8_t* on = off + es;
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < depth; ++j) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = static_cast<int64_t>(idx.element_as_double(o * inner + i));
        if (v < 0) v += depth;
        std::memcpy(dst + static_cast<size_t>((o * depth + j) * inner + i) * es, v == j ? on : off, es);
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_one_hot_kernels(KernelRegistry& r) {
  r.add({.name = "one_hot__ref", .op_type = "OneHot", .since_version = 11, .dtype = DType::kUndefined,
         .run = run_one_hot});
}

}  // namespace fastserve
