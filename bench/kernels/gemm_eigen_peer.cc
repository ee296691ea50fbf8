// Eigen peer for gemm_bench.cc: maps row-major buffers, no copies.
#include "bench/kernels/gemm_eigen_peer.h"

#include <Eigen/Core>

namespace fastserve {

void eigen_sgemm(int threads, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::setNbThreads(threads);
  Eigen::Map<const RowMajor> am(a, m, k);
  Eigen::Map<const RowMajor> bm(b, k, n);
  Eigen::Map<RowMajor> cm(c, m, n);
  cm.noalias() = am * bm;
}

}  // namespace fastserve
