// QuantizeLinear rows, AVX-512F (see quantize_linear.cc): vdivps, NaN to 0
// (its result is the zero point), vcvtps2dq (round to nearest even),
// + zero point, clamp, vpmovdb.
#include <immintrin.h>

#include <cstdint>

namespace fastserve {

void quantize_f32_avx512(const float* x, int64_t n, float scale, int32_t zp, int32_t lo, int32_t hi, uint8_t* y) {
  const __m512 vs = _mm512_set1_ps(scale), fmin = _mm512_set1_ps(-1e9f), fmax = _mm512_set1_ps(1e9f);
  const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  int64_t i = 0;
  auto one = [&](__mmask16 m) {
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), vs);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);
    v = _mm512_min_ps(_mm512_max_ps(v, fmin), fmax);
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), vzp);
    q = _mm512_min_epi32(_mm512_max_epi32(q, vlo), vhi);
    _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(q));
  };
  for (; i + 16 <= n; i += 16) one(static_cast<__mmask16>(0xFFFF));
  if (i < n) one(static_cast<__mmask16>((1u << (n - i)) - 1u));
}

}  // namespace fastserve
