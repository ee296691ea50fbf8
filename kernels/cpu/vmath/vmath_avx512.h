// AVX-512F f32 exp / sigmoid / tanh on 16 lanes (method and accuracy:
// vmath_constants.h). Include only from *_avx512.cc files; every function is
// static (internal linkage), so no other TU can link to a copy compiled for
// this ISA.
#pragma once

#include <immintrin.h>

#include "kernels/cpu/vmath/vmath_constants.h"

namespace fastserve::vmath {

static inline __m512 exp_avx512(__m512 x) {
  // max/min with the constant first return x when x is NaN.
  x = _mm512_max_ps(_mm512_set1_ps(kExpLo), x);
  x = _mm512_min_ps(_mm512_set1_ps(kExpHi), x);
  const __m512 nf = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kExpP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP5));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  const __m512i n = _mm512_cvtps_epi32(nf);  // exact: nf is an integer
  const __m512i n1 = _mm512_srai_epi32(n, 1);
  const __m512i n2 = _mm512_sub_epi32(n, n1);
  const __m512i bias = _mm512_set1_epi32(127);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
  return _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
}

static inline __m512 sigmoid_avx512(__m512 x) {
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512 neg_abs = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), sign));  // -|x|
  const __m512 e = exp_avx512(neg_abs);
  const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(r, neg, e, r);
}

static inline __m512 tanh_avx512(__m512 x) {
  // Computed on |x|, then x's sign is put back (tanh is odd; keeps -0 and NaN).
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(x)));
  const __m512 z = _mm512_mul_ps(ax, ax);
  __m512 q = _mm512_set1_ps(kTanhQ0);
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kTanhQ1));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kTanhQ2));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kTanhQ3));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kTanhQ4));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(q, z), ax, ax);
  const __m512 e = exp_avx512(_mm512_add_ps(ax, ax));
  const __m512 big = _mm512_sub_ps(
      _mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  // ax < 0.625 is false for NaN, which keeps the (NaN) big branch.
  const __m512 r =
      _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(kTanhSmall), _CMP_LT_OQ), small);
  return _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(r), _mm512_and_si512(_mm512_castps_si512(x), sign)));
}

// exp(x), or 0 where it would be a denormal (x < kExpNormalLo); NaN stays NaN.
static inline __m512 exp_flush_avx512(__m512 x) {
  const __m512 lo = _mm512_set1_ps(kExpNormalLo);
  const __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ);  // x >= lo, or NaN
  return _mm512_maskz_mov_ps(keep, exp_avx512(_mm512_max_ps(lo, x)));
}

// erfc(z) for z >= 0 (or NaN) through the Chebyshev fit.
static inline __m512 erfc_fit_avx512(__m512 z) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, one));
  __m512 p = _mm512_set1_ps(kErfcC9);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC8));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC7));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC6));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC5));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC4));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC3));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC2));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC1));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC0));
  return _mm512_mul_ps(t, exp_avx512(_mm512_fnmadd_ps(z, z, p)));
}

// erf(z) / z for |z| < 0.5, the series.
static inline __m512 erf_series_avx512(__m512 z) {
  const __m512 z2 = _mm512_mul_ps(z, z);
  __m512 s = _mm512_set1_ps(kErfS5);
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(kErfS4));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(kErfS3));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(kErfS2));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(kErfS1));
  return _mm512_mul_ps(_mm512_set1_ps(kTwoOverSqrtPi), _mm512_fmadd_ps(s, z2, _mm512_set1_ps(1.0f)));
}

static inline __m512 erf_avx512(__m512 x) {
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512 z = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(x)));
  const __m512 small = _mm512_mul_ps(z, erf_series_avx512(z));
  const __m512 zc = _mm512_min_ps(_mm512_set1_ps(kErfOne), z);  // constant first: a NaN z stays NaN
  const __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.0f), erfc_fit_avx512(zc));
  __m512 r = _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(z, _mm512_set1_ps(kErfSmall), _CMP_LT_OQ), small);
  r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(z, _mm512_set1_ps(kErfOne), _CMP_GT_OQ), _mm512_set1_ps(1.0f));
  return _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(r), _mm512_and_si512(_mm512_castps_si512(x), sign)));
}

static inline __m512 gelu_avx512(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(kGeluLo), x);  // constant first: NaN stays NaN
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512 half_x = _mm512_mul_ps(_mm512_set1_ps(0.5f), x);
  const __m512 z = _mm512_mul_ps(_mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(x))),
                                 _mm512_set1_ps(kInvSqrt2));
  const __m512 small = _mm512_mul_ps(
      half_x, _mm512_fmadd_ps(_mm512_mul_ps(x, _mm512_set1_ps(kInvSqrt2)), erf_series_avx512(z), _mm512_set1_ps(1.0f)));
  const __m512 erfc = erfc_fit_avx512(z);
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  const __m512 big = _mm512_mul_ps(half_x, _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_set1_ps(2.0f), erfc), neg, erfc));
  return _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(z, _mm512_set1_ps(kErfSmall), _CMP_LT_OQ), small);
}

static inline __m512 gelu_tanh_avx512(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(kGeluLo), x);
  const __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
  const __m512 u =
      _mm512_mul_ps(_mm512_set1_ps(2.0f * kGeluTanhK), _mm512_fmadd_ps(_mm512_set1_ps(kGeluTanhC), x3, x));
  return _mm512_mul_ps(x, sigmoid_avx512(u));
}

}  // namespace fastserve::vmath
