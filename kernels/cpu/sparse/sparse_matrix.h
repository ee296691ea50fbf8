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

// Break-even weight sparsity above which the sparse kernels beat our dense
// ones, measured with bench/kernels/sparse_bench.cc (AVX-512 host, 2
// threads, batch 1, the conv layers of ResNet-18 and the Fashion-MNIST CNN,
// the Gemm layers of both; docs/pruning.md has the table). Below it the
// dense kernels stay. A layer pruned to exactly this fraction gains about
// 1.2x on conv, and the 3x3 convs' dense path is Winograd, which does 2-4x
// fewer multiplies than direct convolution: the sparse kernel must skip
// more than that to win.
inline constexpr double kSparseConvMinSparsity = 0.7;
inline constexpr double kSparseGemmMinSparsity = 0.7;

}  // namespace fastserve
