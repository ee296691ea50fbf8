// Optimized Concat for every dtype (moves bytes), portable C++.
//
// Viewed as [outer, axis, inner], output row o is the inputs' rows o laid end
// to end: input j contributes one contiguous run of d_j * inner elements. The
// work items are the (row, input) pairs, each one memcpy; ctx.pool splits them
// so a chunk moves at least ~64 KiB. Concat along axis 0 (outer == 1) is one
// memcpy per input.
#include <algorithm>
#include <cstring>
#include <memory>

#include "graph/shape_op_params.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kChunkBytes = 64 * 1024;

struct ConcatState {
  int64_t axis;  // as written; normalized per run against the rank
};

Status prepare_concat(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<ConcatState>(ConcatState{node.attr_int("axis", 1)});
  return ok_status();
}

Status run_concat(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  const int64_t rank = static_cast<int64_t>(y.rank());
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(ctx.node, ctx.state_as<ConcatState>().axis, rank, "axis"));
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= y.dim(static_cast<size_t>(k));
  for (int64_t k = axis + 1; k < rank; ++k) inner *= y.dim(static_cast<size_t>(k));
  const int64_t es = static_cast<int64_t>(dtype_size(y.dtype()));
  const int64_t row_bytes = y.dim(static_cast<size_t>(axis)) * inner * es;
  if (row_bytes == 0 || outer == 0) return ok_status();
  const int64_t count = static_cast<int64_t>(ctx.inputs.size());
  auto* dst = static_cast<uint8_t*>(y.raw_data());

  // Where each input's run starts within an output row is the sum of the
  // earlier runs; recomputed per item (count is small) to keep run() free of
  // allocations.
  const int64_t grain = std::max<int64_t>(1, kChunkBytes * count / row_bytes);
  ctx.pool->parallel_for(outer * count, grain, [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      const int64_t o = item / count, j = item % count;
      int64_t col = 0;
      for (int64_t i = 0; i < j; ++i) col += ctx.inputs[static_cast<size_t>(i)]->dim(static_cast<size_t>(axis));
      const Tensor& in = *ctx.inputs[static_cast<size_t>(j)];
      const int64_t run = in.dim(static_cast<size_t>(axis)) * inner * es;
      if (run == 0) continue;
      std::memcpy(dst + o * row_bytes + col * inner * es, static_cast<const uint8_t*>(in.raw_data()) + o * run,
                  static_cast<size_t>(run));
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_concat_kernels(KernelRegistry& r) {
  r.add({.name = "concat__memcpy", .op_type = "Concat", .dtype = DType::kUndefined, .priority = 10,
         .prepare = prepare_concat, .run = run_concat});
}

}  // namespace fastserve
