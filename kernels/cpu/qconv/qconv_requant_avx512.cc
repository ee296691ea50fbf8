// requant_row_avx512: the INT8 epilogue on 16 lanes (see qconv.h):
// float(acc + bias) * scale, vcvtps2dq (round to nearest even, the MXCSR
// default, as nearbyintf), + zp, clamp to [lo, hi], vpmovdb to bytes. The
// same operations as requant_row_portable, so both give the same bytes.
#include <immintrin.h>

#include "kernels/cpu/qconv/qconv.h"

namespace fastserve {

void requant_row_avx512(const int32_t* acc, int64_t n, const int32_t* bias, const float* scale, int32_t zp,
                        int32_t lo, int32_t hi, uint8_t* y) {
  const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  const __m512 fmin = _mm512_set1_ps(-1e9f), fmax = _mm512_set1_ps(1e9f);
  int64_t j = 0;
  auto one = [&](__mmask16 m) {
    const __m512i s = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, acc + j), _mm512_maskz_loadu_epi32(m, bias + j));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_maskz_loadu_ps(m, scale + j));
    v = _mm512_min_ps(_mm512_max_ps(v, fmin), fmax);
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), vzp);
    q = _mm512_min_epi32(_mm512_max_epi32(q, vlo), vhi);
    _mm_mask_storeu_epi8(y + j, m, _mm512_cvtepi32_epi8(q));
  };
  for (; j + 16 <= n; j += 16) one(static_cast<__mmask16>(0xFFFF));
  if (j < n) one(static_cast<__mmask16>((1u << (n - j)) - 1u));
}

}  // namespace fastserve
