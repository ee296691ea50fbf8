// spmm_f32__avx512_64: the SpMM microkernel (spmm_ukernel.h) on AVX-512F:
// a 64-column block is 4 zmm accumulators; column tails use __mmask16 loads
// and stores. Body: spmm_impl.h. The loop is bound by its loads, not the FMA
// latency: each nonzero loads 4 vectors of D, most of them split across two
// cache lines (the rows of a stride-1 conv start at any float), so a second
// set of accumulators taking alternate nonzeros (8 chains) measured 8%
// slower than one (ResNet-18's 64-channel 3x3 layer at 90% sparsity, one
// thread: 0.393 against 0.363 ms per image for the microkernel alone).
#include <immintrin.h>

#include "kernels/cpu/simd/vec_avx512.h"
#include "kernels/cpu/sparse/spmm_impl.h"

namespace fastserve {
namespace {

// 16 nonzeros a step: their x values gathered (vgatherdps), two
// accumulators for independent chains, the row's tail masked.
void spmv_avx512(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* x, float* y,
                 const SpmmParams& p) {
  const int32_t* col = s.col.data();
  const float* val = s.val.data();
  for (int64_t r = row_begin; r < row_end; ++r) {
    int64_t i = s.row_ptr[static_cast<size_t>(r)];
    const int64_t end = s.row_ptr[static_cast<size_t>(r) + 1];
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (; i + 32 <= end; i += 32) {
      const __m512i c0 = _mm512_loadu_si512(col + i), c1 = _mm512_loadu_si512(col + i + 16);
      acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(val + i), _mm512_i32gather_ps(c0, x, 4), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(val + i + 16), _mm512_i32gather_ps(c1, x, 4), acc1);
    }
    for (; i < end; i += 16) {
      const __mmask16 m = Avx512::mask(static_cast<int>(end - i));
      const __m512i c = _mm512_maskz_loadu_epi32(m, col + i);
      const __m512 xv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, c, x, 4);
      acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, val + i), xv, acc0);
    }
    float v = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + (p.bias != nullptr ? p.bias[r] : 0.f);
    if (p.beta != 0.f) v += y[r];
    y[r] = spmm_activate(v, p);
  }
}

}  // namespace

const SpmmUkernel kSpmmAvx512 = {"spmm_f32__avx512_64", Isa::kAvx512, &spmm_impl::spmm<Avx512, 4, 1>, &spmv_avx512};

}  // namespace fastserve
