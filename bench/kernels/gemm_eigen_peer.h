// Eigen's GEMM as a benchmark peer (gemm_eigen_peer.cc, built with AVX2+FMA
// and OpenMP; see bench/CMakeLists.txt).
#pragma once

#include <cstdint>

namespace fastserve {

// C[M,N] = A[M,K] * B[K,N], all row-major and dense, on `threads` OpenMP threads.
void eigen_sgemm(int threads, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);

}  // namespace fastserve
