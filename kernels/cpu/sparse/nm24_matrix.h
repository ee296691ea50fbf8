// A 2:4-sparse constant weight in compressed form for the 2:4 kernels
// (nm24_ukernel.h), the detector that says when a weight is 2:4, and the
// break-even batch below which the 2:4 kernel runs.
//
// 2:4 (NVIDIA's "2:4 structured sparsity", `fastserve prune --method 2:4`):
// in every group of 4 consecutive weights along the reduction axis K at
// most 2 are nonzero. The weight W is seen as W^T [N x K] (output features
// n, reduction k): Gemm's B [K x N] down its columns, with transB along the
// rows of B [N x K]. K is padded with zeros to a multiple of 4 (the last
// group may be shorter); N to a multiple of kNm24Block.
//
// Layout, for a block b of kNm24Block = 16 output features and a group g of
// 4 along K (G = ceil(K/4) groups):
//   val[((b*G + g)*2 + s)*16 + j]   the s-th kept value of feature 16b+j in
//                                   group g (s = 0, 1), 0 when fewer kept
//   pos[(b*G + g)*16 + j]           bits 0-1: slot 0's position in the group
//                                   (0..3), bits 2-3: slot 1's
// so a block's values are one contiguous stream (2 x 16 floats per group)
// and its positions another (16 bytes per group): 9 bytes per 4 weights
// instead of 16. A vector of 16 (AVX-512) or 8 (AVX2) features loads its
// 16 / 8 position bytes at once and widens them to lane indices. Empty
// slots point at a position that exists (< K), so the kernels never read
// a padded activation in a product that matters.
#pragma once

#include <cstdint>
#include <vector>

#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

inline constexpr int64_t kNm24Block = 16;  // output features per block

struct Nm24Matrix {
  int64_t n = 0, k = 0;          // output features, reduction length
  int64_t groups = 0;            // ceil(k / 4)
  int64_t blocks = 0;            // ceil(n / kNm24Block)
  std::vector<float> val;        // blocks * groups * 2 * 16
  std::vector<uint8_t> pos;      // blocks * groups * 16
  const float* block_val(int64_t b) const { return val.data() + b * groups * 2 * kNm24Block; }
  const uint8_t* block_pos(int64_t b) const { return pos.data() + b * groups * kNm24Block; }
};

// How a 2-D weight tensor holds W^T[n][k]: kKN is Gemm's / MatMul's B
// [K x N] (W^T[n][k] = B[k][n]); kNK is Gemm's B with transB, [N x K].
enum class WeightLayout : uint8_t { kKN, kNK };

// True when `w` is a float32 matrix in which every group of 4 consecutive
// values along K (in `layout`) holds at most 2 nonzeros (a shorter last
// group: at most 2 too). Exact zeros only; stops at the first dense group.
bool is_2_4_sparse(const Tensor& w, WeightLayout layout);

// W^T[n][k] = scale * w[n*n_stride + k*k_stride] compressed; an error when a
// group has more than 2 nonzeros.
Result<Nm24Matrix> nm24_from_dense(const float* w, int64_t n, int64_t k, int64_t n_stride, int64_t k_stride,
                                   float scale = 1.f);
// The matrix expanded back to W^T, row-major [n x k] (tests; inverse of
// nm24_from_dense with strides (k, 1)).
std::vector<float> nm24_to_dense(const Nm24Matrix& m);

// Break-even rows of A (M) at and below which the 2:4 kernel runs instead
// of the dense GEMM, measured with bench/kernels/sparse_bench.cc
// (sparse24/..., AVX-512 host, 1 and 2 threads, median of 7; the table is
// in docs/pruning.md), 2:4 time / dense time:
//   M = 1:  0.56-0.86x on every shape   M = 2: ...   M = 4: ...   M = 8: ...
// The dense GEMM's microkernel reaches its FMA peak once M fills its rows
// (14 on AVX-512), while the 2:4 kernel's two permutes per row and group
// keep it at about half the dense FLOP rate: it only wins while the layer
// is bound by streaming the weight.
inline constexpr int64_t kNm24MaxRows = 4;

}  // namespace fastserve
