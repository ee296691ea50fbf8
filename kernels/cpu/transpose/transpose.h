// Block transposes used by the optimized Transpose (transpose.cc).
//
// A block function copies an m x n matrix a (row j at a + j*lda, n contiguous
// elements) to its transpose b (row i at b + i*ldb, m contiguous elements):
//   b[i*ldb + j] = a[j*lda + i]   for j < m, i < n.
// Strides are in elements. Elements are moved as raw bits (1, 2, 4 or 8
// bytes), so every dtype of that size goes through the same code.
#pragma once

#include <cstdint>

namespace fastserve {

using TransposeBlockFn = void (*)(const void* a, int64_t lda, void* b, int64_t ldb, int64_t m, int64_t n);

// 4-byte elements, 8x8 register tiles with AVX2 shuffles (transpose_avx2.cc).
void transpose_block_x32_avx2(const void* a, int64_t lda, void* b, int64_t ldb, int64_t m, int64_t n);

}  // namespace fastserve
