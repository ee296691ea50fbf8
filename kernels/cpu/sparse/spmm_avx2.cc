// spmm_f32__avx2_64: the SpMM microkernel (spmm_ukernel.h) on AVX2 + FMA:
// a 64-column block is 8 ymm accumulators (one set: 8 FMA chains), the
// column tail masked with vmaskmov. Body: spmm_impl.h.
#include <immintrin.h>

#include "kernels/cpu/simd/vec_avx2.h"
#include "kernels/cpu/sparse/spmm_impl.h"

namespace fastserve {
namespace {

// 8 nonzeros a step: their x values gathered (vgatherdps, ymm), two
// accumulators; the row's last < 8 nonzeros scalar.
void spmv_avx2(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* x, float* y,
               const SpmmParams& p) {
  const int32_t* col = s.col.data();
  const float* val = s.val.data();
  for (int64_t r = row_begin; r < row_end; ++r) {
    int64_t i = s.row_ptr[static_cast<size_t>(r)];
    const int64_t end = s.row_ptr[static_cast<size_t>(r) + 1];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (; i + 16 <= end; i += 16) {
      const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + i));
      const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + i + 8));
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(val + i), _mm256_i32gather_ps(x, c0, 4), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(val + i + 8), _mm256_i32gather_ps(x, c1, 4), acc1);
    }
    float v = Avx2::reduce_add(_mm256_add_ps(acc0, acc1));
    for (; i < end; ++i) v += val[i] * x[col[i]];
    v += p.bias != nullptr ? p.bias[r] : 0.f;
    if (p.beta != 0.f) v += y[r];
    y[r] = spmm_activate(v, p);
  }
}

}  // namespace

const SpmmUkernel kSpmmAvx2 = {"spmm_f32__avx2_64", Isa::kAvx2, &spmm_impl::spmm<Avx2, 8, 1>, &spmv_avx2};

}  // namespace fastserve
