// Optimized Slice (opset 10+) for every dtype (moves bytes), portable C++.
//
// Trailing dims the slice keeps whole (start 0, step 1, full size) are
// contiguous in both tensors, and so is the last partially sliced dim when its
// step is 1: together they form a run copied with one memcpy. The remaining
// outer dims are walked with StridedWalk (additions, no per-element division);
// negative steps are negative source strides. Runs of one 1/2/4/8-byte
// element use a typed store instead of memcpy. ctx.pool splits the runs so a
// chunk moves at least ~64 KiB. Clamping: resolve_slice, as the reference.
#include <algorithm>
#include <cstring>
#include <string>

#include "graph/shape_op_params.h"
#include "kernels/cpu/strided_walk.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kChunkBytes = 64 * 1024;

template <typename T>
void copy_single_elements(const uint8_t* src, uint8_t* dst, StridedWalk walk, int64_t count) {
  for (int64_t q = 0; q < count; ++q, walk.next()) {
    T v;
    std::memcpy(&v, src + walk.src * static_cast<int64_t>(sizeof(T)), sizeof(T));
    std::memcpy(dst + walk.dst * static_cast<int64_t>(sizeof(T)), &v, sizeof(T));
  }
}

Status run_slice(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(std::vector<SliceDim> dims, resolve_slice(ctx.node, x.shape()));
  const int rank = static_cast<int>(x.rank());
  for (int k = 0; k < rank; ++k) {
    if (dims[static_cast<size_t>(k)].size != y.dim(static_cast<size_t>(k))) {
      return ctx.node.error(StatusCode::kInternal, "output " + y.to_string() + " does not match the slice");
    }
  }
  if (y.numel() == 0) return ok_status();
  const int64_t es = static_cast<int64_t>(dtype_size(x.dtype()));
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());

  // Row-major input strides and the offset of the first element read.
  std::vector<int64_t> in_strides(static_cast<size_t>(rank), 1);
  for (int k = rank - 1; k > 0; --k) {
    in_strides[static_cast<size_t>(k - 1)] = in_strides[static_cast<size_t>(k)] * x.dim(static_cast<size_t>(k));
  }
  int64_t base = 0;
  for (int k = 0; k < rank; ++k) base += dims[static_cast<size_t>(k)].start * in_strides[static_cast<size_t>(k)];

  // The contiguous run: whole trailing dims, plus the next one if its step is 1.
  int split = rank;  // dims [split, rank) are inside the run
  int64_t run = 1;
  while (split > 0) {
    const SliceDim& sd = dims[static_cast<size_t>(split - 1)];
    const bool whole = sd.step == 1 && sd.size == x.dim(static_cast<size_t>(split - 1));
    if (!whole) break;
    run *= sd.size;
    --split;
  }
  if (split > 0 && dims[static_cast<size_t>(split - 1)].step == 1) {
    run *= dims[static_cast<size_t>(split - 1)].size;
    --split;
  }
  if (split > kMaxWalkRank) {
    return ctx.node.error(StatusCode::kUnsupported, "slice__memcpy walks at most " + std::to_string(kMaxWalkRank) +
                                                        " dims");
  }
  StridedWalk w;
  w.rank = split;
  int64_t dst_stride = run;
  for (int k = split - 1; k >= 0; --k) {
    w.dims[k] = dims[static_cast<size_t>(k)].size;
    w.src_strides[k] = dims[static_cast<size_t>(k)].step * in_strides[static_cast<size_t>(k)];
    w.dst_strides[k] = dst_stride;
    dst_stride *= w.dims[k];
  }
  const int64_t rows = y.numel() / run;
  const int64_t run_bytes = run * es;
  const uint8_t* src0 = src + base * es;
  const int64_t grain = std::max<int64_t>(1, kChunkBytes / run_bytes);
  ctx.pool->parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    StridedWalk walk = w;
    walk.seek(b);
    if (run == 1 && (es == 1 || es == 2 || es == 4 || es == 8)) {
      switch (es) {
        case 1: copy_single_elements<uint8_t>(src0, dst, walk, e - b); break;
        case 2: copy_single_elements<uint16_t>(src0, dst, walk, e - b); break;
        case 4: copy_single_elements<uint32_t>(src0, dst, walk, e - b); break;
        default: copy_single_elements<uint64_t>(src0, dst, walk, e - b); break;
      }
      return;
    }
    for (int64_t q = b; q < e; ++q, walk.next()) {
      std::memcpy(dst + walk.dst * es, src0 + walk.src * es, static_cast<size_t>(run_bytes));
    }
  });
  return ok_status();
}

bool accepts_slice(const NodeView& node) {
  // Inputs of known rank beyond the walker's reach stay with the reference.
  const TensorInfo& x = node.input(0);
  return !x.shape_known || x.shape.rank() <= static_cast<size_t>(kMaxWalkRank);
}

}  // namespace

void register_cpu_slice_kernels(KernelRegistry& r) {
  r.add({.name = "slice__memcpy", .op_type = "Slice", .since_version = 10, .dtype = DType::kUndefined,
         .priority = 10, .accepts = accepts_slice, .run = run_slice});
}

}  // namespace fastserve
