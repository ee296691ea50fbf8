// DynamicQuantizeLinear microkernels, AVX-512F/BW (see dynamic_quantize.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/cpu/qgemm/dynamic_quantize.h"

namespace fastserve {
namespace {

void range_avx512(const float* x, int64_t n, float* lo, float* hi) {
  __m512 vlo = _mm512_set1_ps(*lo), vhi = _mm512_set1_ps(*hi);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    // min/max with the accumulator as the second operand: a NaN in v gives
    // the accumulator back (x86 min/max return the second operand on NaN).
    vlo = _mm512_min_ps(v, vlo);
    vhi = _mm512_max_ps(v, vhi);
  }
  float l = _mm512_reduce_min_ps(vlo), h = _mm512_reduce_max_ps(vhi);
  for (; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    l = std::min(l, x[i]);
    h = std::max(h, x[i]);
  }
  *lo = l;
  *hi = h;
}

void quantize_avx512(const float* x, int64_t n, float scale, float zero_point, uint8_t* y) {
  const __m512 vs = _mm512_set1_ps(scale), vz = _mm512_set1_ps(zero_point);
  const __m512 v0 = _mm512_setzero_ps(), v255 = _mm512_set1_ps(255.f);
  int64_t i = 0;
  auto one = [&](__m512 v) {
    __m512 q = _mm512_roundscale_ps(_mm512_div_ps(v, vs), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_add_ps(q, vz);
    // NaN lanes: max/min with the bound as the first operand return the
    // second (q) ... so clamp with q second and replace NaN by the zero point.
    const __mmask16 nan = _mm512_cmp_ps_mask(q, q, _CMP_UNORD_Q);
    q = _mm512_min_ps(_mm512_max_ps(q, v0), v255);
    q = _mm512_mask_blend_ps(nan, q, vz);
    return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q));
  };
  for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), one(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m128i r = one(_mm512_maskz_loadu_ps(m, x + i));
    _mm_mask_storeu_epi8(y + i, m, r);
  }
}

}  // namespace

const DynamicQuantizeUkernels kDynamicQuantizeAvx512 = {.range = &range_avx512, .quantize = &quantize_avx512};

}  // namespace fastserve
