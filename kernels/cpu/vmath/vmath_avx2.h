// AVX2+FMA f32 exp / sigmoid / tanh on 8 lanes (method and accuracy:
// vmath_constants.h). Include only from *_avx2.cc files; every function is
// static (internal linkage), so no other TU can link to a copy compiled for
// this ISA.
#pragma once

#include <immintrin.h>

#include "kernels/cpu/vmath/vmath_constants.h"

namespace fastserve::vmath {

static inline __m256 exp_avx2(__m256 x) {
  // max/min with the constant first return x when x is NaN.
  x = _mm256_max_ps(_mm256_set1_ps(kExpLo), x);
  x = _mm256_min_ps(_mm256_set1_ps(kExpHi), x);
  const __m256 nf = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kExpP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP5));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i n = _mm256_cvtps_epi32(nf);  // exact: nf is an integer
  const __m256i n1 = _mm256_srai_epi32(n, 1);
  const __m256i n2 = _mm256_sub_epi32(n, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

static inline __m256 sigmoid_avx2(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 neg_abs = _mm256_or_ps(x, sign);  // -|x|
  const __m256 e = exp_avx2(neg_abs);
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(r, _mm256_mul_ps(e, r), neg);
}

static inline __m256 tanh_avx2(__m256 x) {
  // Computed on |x|, then x's sign is put back (tanh is odd; keeps -0 and NaN).
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign_bit, x);
  const __m256 z = _mm256_mul_ps(ax, ax);
  __m256 q = _mm256_set1_ps(kTanhQ0);
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kTanhQ1));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kTanhQ2));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kTanhQ3));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kTanhQ4));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(q, z), ax, ax);
  const __m256 e = exp_avx2(_mm256_add_ps(ax, ax));
  const __m256 big = _mm256_sub_ps(
      _mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  // ax < 0.625 is false for NaN, which takes the (NaN) big branch.
  const __m256 r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(kTanhSmall), _CMP_LT_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, sign_bit));
}

// exp(x), or 0 where it would be a denormal (x < kExpNormalLo); NaN stays NaN.
static inline __m256 exp_flush_avx2(__m256 x) {
  const __m256 lo = _mm256_set1_ps(kExpNormalLo);
  const __m256 below = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  return _mm256_andnot_ps(below, exp_avx2(_mm256_max_ps(lo, x)));
}

// erfc(z) for z >= 0 (or NaN) through the Chebyshev fit.
static inline __m256 erfc_fit_avx2(__m256 z) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
  __m256 p = _mm256_set1_ps(kErfcC9);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC8));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC7));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC6));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC5));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC4));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC3));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC2));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC1));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC0));
  return _mm256_mul_ps(t, exp_avx2(_mm256_fnmadd_ps(z, z, p)));
}

// erf(z) / z for |z| < 0.5, the series.
static inline __m256 erf_series_avx2(__m256 z) {
  const __m256 z2 = _mm256_mul_ps(z, z);
  __m256 s = _mm256_set1_ps(kErfS5);
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(kErfS4));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(kErfS3));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(kErfS2));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(kErfS1));
  return _mm256_mul_ps(_mm256_set1_ps(kTwoOverSqrtPi), _mm256_fmadd_ps(s, z2, _mm256_set1_ps(1.0f)));
}

static inline __m256 erf_avx2(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 z = _mm256_andnot_ps(sign_bit, x);
  const __m256 small = _mm256_mul_ps(z, erf_series_avx2(z));
  // MINPS returns its second operand when either is NaN: the constant goes
  // first so a NaN z stays NaN.
  const __m256 zc = _mm256_min_ps(_mm256_set1_ps(kErfOne), z);
  const __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f), erfc_fit_avx2(zc));
  __m256 r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(z, _mm256_set1_ps(kErfSmall), _CMP_LT_OQ));
  r = _mm256_blendv_ps(r, _mm256_set1_ps(1.0f), _mm256_cmp_ps(z, _mm256_set1_ps(kErfOne), _CMP_GT_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, sign_bit));
}

static inline __m256 gelu_avx2(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(kGeluLo), x);  // constant first: NaN stays NaN
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 half_x = _mm256_mul_ps(_mm256_set1_ps(0.5f), x);
  const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(sign_bit, x), _mm256_set1_ps(kInvSqrt2));
  const __m256 small = _mm256_mul_ps(
      half_x, _mm256_fmadd_ps(_mm256_mul_ps(x, _mm256_set1_ps(kInvSqrt2)), erf_series_avx2(z), _mm256_set1_ps(1.0f)));
  const __m256 erfc = erfc_fit_avx2(z);
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 big = _mm256_mul_ps(half_x, _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), erfc), erfc, neg));
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(z, _mm256_set1_ps(kErfSmall), _CMP_LT_OQ));
}

static inline __m256 gelu_tanh_avx2(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(kGeluLo), x);
  const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
  const __m256 u = _mm256_mul_ps(_mm256_set1_ps(2.0f * kGeluTanhK), _mm256_fmadd_ps(_mm256_set1_ps(kGeluTanhC), x3, x));
  return _mm256_mul_ps(x, sigmoid_avx2(u));
}

}  // namespace fastserve::vmath
