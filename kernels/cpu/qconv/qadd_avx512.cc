// qadd_u8_avx512: fastserve.QAdd on 16 uint8 lanes, the portable kernel's
// float operations one by one (subtract, multiply, add, divide, round to
// nearest even, + zero point, clamp), so the bytes are the same. Each step
// is its own instruction: no FMA (a fused multiply-add would round once
// where the unfused DequantizeLinear / Add chain rounds twice).
#include <immintrin.h>

#include "kernels/cpu/qconv/qdq_elementwise.h"

namespace fastserve {

namespace {

// The product forced out of the register before the add: keeps the
// compiler from contracting mul + add into an FMA.
inline __m512 mul_rounded(__m512 a, __m512 b) {
  __m512 p = _mm512_mul_ps(a, b);
  __asm__("" : "+v"(p));
  return p;
}

}  // namespace

void qadd_u8_avx512(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y) {
  const __m512 as = _mm512_set1_ps(p.a_s), azp = _mm512_set1_ps(p.a_zp), bs = _mm512_set1_ps(p.b_s),
               bzp = _mm512_set1_ps(p.b_zp), cs = _mm512_set1_ps(p.c_s);
  const __m512i zp = _mm512_set1_epi32(p.c_zp), lo = _mm512_set1_epi32(p.lo), hi = _mm512_set1_epi32(p.hi);
  const __m512 fmin = _mm512_set1_ps(-1e9f), fmax = _mm512_set1_ps(1e9f);
  int64_t i = 0;
  auto one = [&](__mmask16 m) {
    const __m512 fa = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, a + i)));
    const __m512 fb = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, b + i)));
    const __m512 v = _mm512_add_ps(mul_rounded(_mm512_sub_ps(fa, azp), as), mul_rounded(_mm512_sub_ps(fb, bzp), bs));
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_div_ps(v, cs), fmin), fmax)), zp);
    q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
    _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(q));
  };
  for (; i + 16 <= n; i += 16) one(static_cast<__mmask16>(0xFFFF));
  if (i < n) one(static_cast<__mmask16>((1u << (n - i)) - 1u));
}

}  // namespace fastserve
