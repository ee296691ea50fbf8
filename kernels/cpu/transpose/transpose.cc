// Optimized Transpose for every dtype of 1, 2, 4 or 8 bytes (moves raw bits).
// Portable C++ driver (baseline x86-64); the 4-byte AVX2 block transpose is
// in transpose_avx2.cc.
//
// Every transpose is first reduced to its essential form: input dims of size
// 1 are dropped, and input axes that stay adjacent and in order in the output
// are merged. NCHW->NHWC (perm [0,2,3,1]) becomes [N, C, H*W] with perm
// [0,2,1]; NHWC->NCHW becomes [N, H*W, C] with perm [0,2,1]; a 2-D transpose
// stays [M, N] with perm [1,0]. Then one of three copies runs:
//   identity          one memcpy, split across threads;
//   inner axis kept   the input's innermost axis is still innermost: each
//                     output row is a contiguous input run, copied by memcpy;
//   otherwise         blocked 2-D transposes between the input's innermost
//                     axis (contiguous reads) and the output's innermost axis
//                     (contiguous writes), looping over the remaining axes.
//                     Work items are strips of kStrip rows of the output
//                     plane; each strip's destination lines stay in L1 while
//                     the block function walks across it.
// Threads: ctx.pool->parallel_for over rows / strips, grains sized so each
// chunk moves at least ~64 KiB. Ranks above kMaxWalkRank
// (before reduction) and element sizes other than 1/2/4/8 bytes fall back to
// the reference.
#include "kernels/cpu/transpose/transpose.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/cpu/strided_walk.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kStrip = 64;             // output rows per work item in the blocked case
constexpr int64_t kChunkBytes = 64 * 1024;  // bytes a work item should move at least

// Scalar block transpose (layout in transpose.h) for elements of type T, in
// square tiles one 64-byte cache line wide, so every line of a and b a tile
// touches is finished inside the tile (power-of-two strides map rows to the
// same cache set, and a half-used line would be evicted and fetched again).
template <typename T>
void transpose_block_scalar(const void* a_raw, int64_t lda, void* b_raw, int64_t ldb, int64_t m, int64_t n) {
  const T* a = static_cast<const T*>(a_raw);
  T* b = static_cast<T*>(b_raw);
  constexpr int64_t kTile = 64 / static_cast<int64_t>(sizeof(T));
  for (int64_t j0 = 0; j0 < m; j0 += kTile) {
    const int64_t j1 = std::min(m, j0 + kTile);
    for (int64_t i0 = 0; i0 < n; i0 += kTile) {
      const int64_t i1 = std::min(n, i0 + kTile);
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1; ++j) b[i * ldb + j] = a[j * lda + i];
      }
    }
  }
}

TransposeBlockFn scalar_block_for(size_t elem_size) {
  switch (elem_size) {
    case 1: return transpose_block_scalar<uint8_t>;
    case 2: return transpose_block_scalar<uint16_t>;
    case 4: return transpose_block_scalar<uint32_t>;
    case 8: return transpose_block_scalar<uint64_t>;
    default: return nullptr;
  }
}

// A transpose after dropping size-1 dims and merging runs of input axes that
// stay together: output dim k is input dim perm[k].
struct ReducedTranspose {
  int rank = 0;
  int64_t dims[kMaxWalkRank] = {};  // input dims
  int perm[kMaxWalkRank] = {};
};

// Requires in.rank() <= kMaxWalkRank (fixed arrays: run() allocates nothing).
void reduce_transpose(const Shape& in, std::span<const int64_t> perm, ReducedTranspose& out) {
  const int rank = static_cast<int>(in.rank());
  // New index of each kept (non-1) input axis, and the perm over kept axes.
  int kept_index[kMaxWalkRank];
  int64_t d[kMaxWalkRank];
  int kept = 0;
  for (int a = 0; a < rank; ++a) {
    kept_index[a] = in[static_cast<size_t>(a)] != 1 ? kept : -1;
    if (kept_index[a] >= 0) d[kept++] = in[static_cast<size_t>(a)];
  }
  int p[kMaxWalkRank];
  int np = 0;
  for (int64_t a : perm) {
    if (kept_index[a] >= 0) p[np++] = kept_index[a];
  }
  // Groups, in output order, of input axes that stay consecutive.
  int first[kMaxWalkRank];
  int64_t size[kMaxWalkRank];
  int groups = 0;
  for (int k = 0; k < np; ++k) {
    if (k > 0 && p[k] == p[k - 1] + 1) {
      size[groups - 1] *= d[p[k]];
    } else {
      first[groups] = p[k];
      size[groups] = d[p[k]];
      ++groups;
    }
  }
  out.rank = groups;
  // A group's input position is the rank of its first axis among all groups' first axes.
  for (int g = 0; g < groups; ++g) {
    int pos = 0;
    for (int h = 0; h < groups; ++h) pos += first[h] < first[g];
    out.perm[g] = pos;
    out.dims[pos] = size[g];
  }
}

void copy_parallel(const uint8_t* src, uint8_t* dst, int64_t bytes, ThreadPool* pool) {
  pool->parallel_for(bytes, 4 * kChunkBytes, [&](int64_t b, int64_t e) {
    std::memcpy(dst + b, src + b, static_cast<size_t>(e - b));
  });
}

struct TransposeState {
  bool has_perm = false;      // false: reverse the dims (rank known only per run)
  std::vector<int64_t> perm;
  TransposeBlockFn block_x32 = nullptr;  // 4-byte block function for this descriptor
};

Status run_transpose(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const TransposeState& s = ctx.state_as<TransposeState>();
  const size_t rank = x.rank();
  if (s.has_perm && s.perm.size() != rank) {
    return ctx.node.error(StatusCode::kInvalidArgument, "perm has " + std::to_string(s.perm.size()) +
                                                            " entries but the input has rank " + std::to_string(rank));
  }
  if (x.numel() == 0) return ok_status();
  const size_t es = dtype_size(x.dtype());
  TransposeBlockFn block = es == 4 && s.block_x32 != nullptr ? s.block_x32 : scalar_block_for(es);
  if (block == nullptr || rank > static_cast<size_t>(kMaxWalkRank)) {
    std::vector<int64_t> perm = s.perm;
    if (!s.has_perm) {
      for (size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
    }
    transpose_ref(x, y, perm);
    return ok_status();
  }
  int64_t reversed[kMaxWalkRank];
  for (size_t k = 0; k < rank; ++k) reversed[k] = static_cast<int64_t>(rank - 1 - k);
  const std::span<const int64_t> perm = s.has_perm ? std::span<const int64_t>(s.perm)
                                                   : std::span<const int64_t>(reversed, rank);
  ReducedTranspose t;
  reduce_transpose(x.shape(), perm, t);
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  bool identity = true;
  for (int k = 0; k < t.rank; ++k) identity = identity && t.perm[k] == k;
  if (identity) {
    copy_parallel(src, dst, static_cast<int64_t>(x.nbytes()), ctx.pool);
    return ok_status();
  }

  const int r = t.rank;  // >= 2 here
  int64_t in_strides[kMaxWalkRank], out_dims[kMaxWalkRank], out_strides[kMaxWalkRank];
  in_strides[r - 1] = 1;
  for (int a = r - 1; a > 0; --a) in_strides[a - 1] = in_strides[a] * t.dims[a];
  for (int k = 0; k < r; ++k) out_dims[k] = t.dims[t.perm[k]];
  out_strides[r - 1] = 1;
  for (int k = r - 1; k > 0; --k) out_strides[k - 1] = out_strides[k] * out_dims[k];

  if (t.perm[r - 1] == r - 1) {
    // Rows of `run` contiguous elements on both sides; walk the outer output axes.
    const int64_t run = t.dims[r - 1];
    const size_t run_bytes = static_cast<size_t>(run) * es;
    StridedWalk w;
    w.rank = r - 1;
    for (int k = 0; k < r - 1; ++k) {
      w.dims[k] = out_dims[k];
      w.src_strides[k] = in_strides[t.perm[k]];
      w.dst_strides[k] = out_strides[k];
    }
    const int64_t rows = x.numel() / run;
    const int64_t grain = std::max<int64_t>(1, kChunkBytes / static_cast<int64_t>(run_bytes));
    ctx.pool->parallel_for(rows, grain, [&](int64_t b, int64_t e) {
      StridedWalk walk = w;
      walk.seek(b);
      for (int64_t q = b; q < e; ++q, walk.next()) {
        std::memcpy(dst + static_cast<size_t>(walk.dst) * es, src + static_cast<size_t>(walk.src) * es, run_bytes);
      }
    });
    return ok_status();
  }

  // Blocked case. Plane axes: the output's innermost axis `ax` (contiguous
  // writes) and the output position `bx` of the input's innermost axis
  // (contiguous reads). The remaining axes are walked.
  const int ax = r - 1;
  int bx = 0;
  while (t.perm[bx] != r - 1) ++bx;
  const int64_t len_a = out_dims[ax], len_b = out_dims[bx];
  const int64_t lda = in_strides[t.perm[ax]];  // source stride along the output's inner axis
  const int64_t ldb = out_strides[bx];          // destination stride along the input's inner axis
  StridedWalk w;
  for (int k = 0; k < r; ++k) {
    if (k == ax || k == bx) continue;
    w.dims[w.rank] = out_dims[k];
    w.src_strides[w.rank] = in_strides[t.perm[k]];
    w.dst_strides[w.rank] = out_strides[k];
    ++w.rank;
  }
  const int64_t strips = (len_b + kStrip - 1) / kStrip;
  const int64_t outer = x.numel() / (len_a * len_b);
  const int64_t strip_bytes = std::min(kStrip, len_b) * len_a * static_cast<int64_t>(es);
  const int64_t grain = std::max<int64_t>(1, kChunkBytes / strip_bytes);
  ctx.pool->parallel_for(outer * strips, grain, [&](int64_t b, int64_t e) {
    StridedWalk walk = w;
    walk.seek(b / strips);
    int64_t strip = b % strips;
    for (int64_t item = b; item < e; ++item) {
      const int64_t i0 = strip * kStrip;
      const int64_t n = std::min(kStrip, len_b - i0);
      block(src + static_cast<size_t>(walk.src + i0) * es, lda, dst + static_cast<size_t>(walk.dst + i0 * ldb) * es,
            ldb, len_a, n);
      if (++strip == strips) {
        strip = 0;
        walk.next();
      }
    }
  });
  return ok_status();
}

Status prepare_with(const NodeView& node, PrepareContext& ctx, TransposeBlockFn block_x32) {
  auto s = std::make_shared<TransposeState>();
  s->has_perm = node.has_attr("perm");
  s->perm = node.attr_ints("perm");
  s->block_x32 = block_x32;
  ctx.state = std::move(s);
  return ok_status();
}

Status prepare_scalar(const NodeView& node, PrepareContext& ctx) { return prepare_with(node, ctx, nullptr); }
Status prepare_avx2(const NodeView& node, PrepareContext& ctx) {
  return prepare_with(node, ctx, transpose_block_x32_avx2);
}

bool accepts_x32(const NodeView& node) { return dtype_size(node.input_dtype(0)) == 4; }

}  // namespace

void register_cpu_transpose_kernels(KernelRegistry& r) {
  r.add({.name = "transpose__tiled", .op_type = "Transpose", .dtype = DType::kUndefined, .priority = 10,
         .prepare = prepare_scalar, .run = run_transpose});
  r.add({.name = "transpose_x32__avx2_8x8", .op_type = "Transpose", .dtype = DType::kUndefined,
         .required_isa = Isa::kAvx2, .priority = 20, .accepts = accepts_x32, .prepare = prepare_avx2,
         .run = run_transpose});
}

}  // namespace fastserve
