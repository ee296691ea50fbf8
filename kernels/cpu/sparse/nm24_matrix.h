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

#include "core/cpu_features.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

inline constexpr int64_t kNm24Block = 16;  // output features per block

struct Nm24Matrix {
  int64_t n = 0, k = 0;      // output features, reduction length
  int64_t groups = 0;        // ceil(k / 4)
  int64_t blocks = 0;        // ceil(n / kNm24Block)
  std::vector<float> val;    // blocks * groups * 2 * 16
  std::vector<uint8_t> pos;  // blocks * groups * 16
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
// of the dense GEMM of the same ISA, measured with
// bench/kernels/sparse24_bench.cc (AVX-512 host, one thread, median of 7
// (AVX2 and portable: FASTSERVE_MAX_ISA, median of 5 / 3); docs/pruning.md
// has the table), dense time / 2:4 time on the six FC shapes (ResNet-18
// fc, the CNN's Gemm, BERT-base's two FCs, GPT-2's QKV, 4096 x 4096):
//   AVX-512  M = 1: 1.20-3.29x   M = 2: 2.54-3.50x   M = 4: 1.84-3.40x
//            M = 8: 1.60-2.70x   M = 16: 1.42-1.97x  M = 32: 1.26-1.45x
//            M = 64: 1.08-1.24x  M = 128: 1.08-1.21x
//   AVX2     M = 1: 0.85-1.93x   M = 2: 2.31-3.37x   M = 4: 1.16-2.28x
//            M = 8: 0.97-1.35x   M = 16: 0.89-1.12x  M = 32: 0.90-0.95x
//   portable M = 1..32: 0.33-0.85x
// On AVX-512 it never lost: the dense microkernel does 4 FMAs per 4
// weights and a 2:4 group 2 FMAs and 2 in-lane permutes on the same ports,
// so once both are compute-bound they tie and the 2:4 kernel keeps its
// smaller stream; the cap is 32, where every shape still gains >= 1.26x
// (past it the margin is within what the noisy 2-thread runs moved by, and
// large batches keep the dense GEMM's cache blocking). AVX2 widens the
// positions once per 8 features, not 16, and with 16 registers keeps 2
// rows a chunk, so its fixed cost per group is about twice AVX-512's: it
// wins up to M = 8 on the five large layers (1.26-1.35x there); the CNN's
// 64-feature Gemm, a 3-4 us layer in L2, is 0.85x at M = 1 and 0.97x at
// M = 8, accepted for one threshold per ISA. The portable kernel picks
// each lane's inputs with scalar loads and never wins: no portable
// descriptor is registered.
inline constexpr int64_t kNm24MaxRowsAvx512 = 32;
inline constexpr int64_t kNm24MaxRowsAvx2 = 8;

// The break-even for the 2:4 kernel of a session ISA (0: none runs).
constexpr int64_t nm24_max_rows(Isa isa) {
  return isa >= Isa::kAvx512 ? kNm24MaxRowsAvx512 : isa >= Isa::kAvx2 ? kNm24MaxRowsAvx2 : 0;
}

}  // namespace fastserve
