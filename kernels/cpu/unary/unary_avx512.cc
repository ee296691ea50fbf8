// AVX-512 f32 activation microkernels (Relu, LeakyRelu, Clip, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Erf, Gelu).
//
// ISA: AVX-512F (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl
// -mfma). 16 lanes per step; the tail is one masked load/store. Sigmoid/Tanh
// use the exp-based approximations of kernels/cpu/vmath/vmath_avx512.h.
// max/min take the constant as the first operand so NaN propagates. Only
// intrinsics and internal-linkage code here.
// GCC 12.1-12.2's headers fill the unused pass-through operand of many
// AVX-512 intrinsics (_mm512_max_ps, _mm512_cvtps_epi32, ...) with a
// self-initialized _mm512_undefined_ps(), which -O2 reports as
// -Wuninitialized at every call site (GCC bug 105593, fixed in 12.3).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include "kernels/cpu/unary/unary_ukernels.h"
#include "kernels/cpu/vmath/vmath_avx512.h"

namespace fastserve {
namespace {

template <typename Fn>
inline void map(const float* x, float* y, int64_t n, Fn fn) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, fn(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const auto m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, fn(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

inline __m512 clamp(__m512 v, __m512 lo, __m512 hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); }

void relu(const float* x, float* y, int64_t n, const UnaryParams&) {
  const __m512 zero = _mm512_setzero_ps();
  map(x, y, n, [zero](__m512 v) { return _mm512_max_ps(zero, v); });
}
void leaky_relu(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m512 alpha = _mm512_set1_ps(p.alpha);
  const __m512 zero = _mm512_setzero_ps();
  map(x, y, n, [alpha, zero](__m512 v) {
    return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), alpha, v);
  });
}
void clip(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m512 lo = _mm512_set1_ps(p.alpha), hi = _mm512_set1_ps(p.beta);
  map(x, y, n, [lo, hi](__m512 v) { return clamp(v, lo, hi); });
}
void sigmoid(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m512 v) { return vmath::sigmoid_avx512(v); });
}
void tanh_f32(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m512 v) { return vmath::tanh_avx512(v); });
}
void hard_sigmoid(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m512 alpha = _mm512_set1_ps(p.alpha), beta = _mm512_set1_ps(p.beta);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
  map(x, y, n, [=](__m512 v) { return clamp(_mm512_fmadd_ps(alpha, v, beta), zero, one); });
}
void hard_swish(const float* x, float* y, int64_t n, const UnaryParams&) {
  const __m512 sixth = _mm512_set1_ps(1.f / 6.f), half = _mm512_set1_ps(0.5f);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
  map(x, y, n, [=](__m512 v) { return _mm512_mul_ps(v, clamp(_mm512_fmadd_ps(v, sixth, half), zero, one)); });
}

void erf_f32(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m512 v) { return vmath::erf_avx512(v); });
}
void gelu(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m512 v) { return vmath::gelu_avx512(v); });
}
void gelu_tanh(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m512 v) { return vmath::gelu_tanh_avx512(v); });
}

}  // namespace

constinit const UnaryUkernelFn kUnaryUkernelsAvx512[kNumUnaryOps] = {
    relu, leaky_relu, clip, sigmoid, tanh_f32, hard_sigmoid, hard_swish, erf_f32, gelu, gelu_tanh};

}  // namespace fastserve
