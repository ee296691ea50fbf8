// AVX2 f32 activation microkernels (Relu, LeakyRelu, Clip, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Erf, Gelu).
//
// ISA: AVX2 + FMA (compiled with -mavx2 -mfma -mf16c). 8 lanes per step; the
// tail (< 8) goes through AVX2 masked loads/stores, so nothing outside
// [x, x+n) is touched. Sigmoid/Tanh use the exp-based approximations of
// kernels/cpu/vmath/vmath_avx2.h. max/min take the constant as the first
// operand: MAXPS/MINPS return the second operand for NaN, so NaN propagates.
// Only intrinsics and internal-linkage code here.
#include <immintrin.h>

#include "kernels/cpu/unary/unary_ukernels.h"
#include "kernels/cpu/vmath/vmath_avx2.h"

namespace fastserve {
namespace {

inline __m256i tail_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

template <typename Fn>
inline void map(const float* x, float* y, int64_t n, Fn fn) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, fn(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, fn(_mm256_maskload_ps(x + i, m)));
  }
}

inline __m256 clamp(__m256 v, __m256 lo, __m256 hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }

void relu(const float* x, float* y, int64_t n, const UnaryParams&) {
  const __m256 zero = _mm256_setzero_ps();
  map(x, y, n, [zero](__m256 v) { return _mm256_max_ps(zero, v); });
}
void leaky_relu(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m256 alpha = _mm256_set1_ps(p.alpha);
  const __m256 zero = _mm256_setzero_ps();
  map(x, y, n, [alpha, zero](__m256 v) {
    return _mm256_blendv_ps(v, _mm256_mul_ps(alpha, v), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
  });
}
void clip(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m256 lo = _mm256_set1_ps(p.alpha), hi = _mm256_set1_ps(p.beta);
  map(x, y, n, [lo, hi](__m256 v) { return clamp(v, lo, hi); });
}
void sigmoid(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m256 v) { return vmath::sigmoid_avx2(v); });
}
void tanh_f32(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m256 v) { return vmath::tanh_avx2(v); });
}
void hard_sigmoid(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const __m256 alpha = _mm256_set1_ps(p.alpha), beta = _mm256_set1_ps(p.beta);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
  map(x, y, n, [=](__m256 v) { return clamp(_mm256_fmadd_ps(alpha, v, beta), zero, one); });
}
void hard_swish(const float* x, float* y, int64_t n, const UnaryParams&) {
  const __m256 sixth = _mm256_set1_ps(1.f / 6.f), half = _mm256_set1_ps(0.5f);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
  map(x, y, n, [=](__m256 v) { return _mm256_mul_ps(v, clamp(_mm256_fmadd_ps(v, sixth, half), zero, one)); });
}

void erf_f32(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m256 v) { return vmath::erf_avx2(v); });
}
void gelu(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m256 v) { return vmath::gelu_avx2(v); });
}
void gelu_tanh(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](__m256 v) { return vmath::gelu_tanh_avx2(v); });
}

}  // namespace

constinit const UnaryUkernelFn kUnaryUkernelsAvx2[kNumUnaryOps] = {
    relu, leaky_relu, clip, sigmoid, tanh_f32, hard_sigmoid, hard_swish, erf_f32, gelu, gelu_tanh};

}  // namespace fastserve
