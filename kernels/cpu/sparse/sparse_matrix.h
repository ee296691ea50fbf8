// A constant weight matrix in CSR form for the sparse kernels
// (kernels/cpu/sparse/), and the rule that decides when a layer runs
// sparse.
//
// CSR (compressed sparse row): row r's nonzeros are val[row_ptr[r] ..
// row_ptr[r+1]) at columns col[...], ascending. The sparse kernels compute
// C[rows x n] = S[rows x K] * D[K x n] with S in this form and D dense: the
// conv's W [M x C*kh*kw] times its im2col columns, and for Gemm / MatMul
// B^T [N x K] times A^T (the output features are S's rows).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "fastserve/tensor.h"

namespace fastserve {

struct SparseMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> row_ptr;  // rows + 1
  std::vector<int32_t> col;      // nnz
  std::vector<float> val;        // nnz
  int64_t nnz() const { return static_cast<int64_t>(val.size()); }
};

// S[r][c] = scale * a[r*row_stride + c*col_stride] for r < rows, c < cols,
// keeping the entries that are not exactly 0.
SparseMatrix sparse_from_dense(const float* a, int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride,
                               float scale = 1.f);

// True when at least `min_fraction` of t's float32 values are exactly 0
// (stops reading as soon as the answer is known, so dense weights cost a
// fraction of a pass).
bool zero_fraction_at_least(const Tensor& t, double min_fraction);
// The fraction of exact zeros in a float32 tensor (0 for other types).
double zero_fraction(const Tensor& t);

// Break-even weight sparsity at and above which the sparse kernels run,
// measured with bench/kernels/sparse_bench.cc (AVX-512 host, batch 1,
// 1 thread, median of 7, with the conv's K chunks; docs/pruning.md has the
// table), dense time / sparse time of the kernel the registry picks
// otherwise:
//   conv 3x3 stride 1 (Winograd dense), 64 ch at 56x56 .. 256 at 14x14:
//     80%: 0.93-1.21x   90%: 1.60-2.11x;  512 at 7x7 (im2col dense): 1.72x at 80%
//   conv 3x3 stride 2, 64 -> 128 at 56x56 (im2col dense): 1.07x at 60%
//   Gemm 1568 -> 64 (the CNN's), batch 1: 0.58x at 80%, 1.11x at 90%;
//   Gemm 512 -> 1000 (ResNet-18's fc): 1.34x at 80%
// Winograd does 2.25-4x fewer multiplies than direct convolution, which is
// why the 3x3 stride-1 layers need more than 80% zeros (the 64-channel one
// is still 0.93x there). Below these the dense kernels stay.
inline constexpr double kSparseConvMinSparsity = 0.85;
inline constexpr double kSparseGemmMinSparsity = 0.9;

// True for the name of a kernel that runs a pruned weight in a compressed
// form: CSR (`*_sparse__*`) or 2:4 (`*_2_4__*`, nm24_matrix.h). What
// `fastserve inspect` and `bench --profile` count as sparse layers.
inline bool is_sparse_kernel_name(std::string_view name) {
  return name.find("_sparse__") != std::string_view::npos || name.find("_2_4__") != std::string_view::npos;
}

}  // namespace fastserve
