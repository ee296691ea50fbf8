// AVX2 f32 softmax row microkernels (softmax_ukernels.h).
//
// ISA: AVX2 + FMA (compiled with -mavx2 -mfma -mf16c). 8 lanes; tails use
// AVX2 masked loads/stores (masked-off lanes read as 0 and are then replaced
// by -inf for the max, or excluded from the sum). exp from vmath_avx2.h.
// Only intrinsics and internal-linkage code here.
#include <immintrin.h>

#include "kernels/cpu/softmax/softmax_ukernels.h"
#include "kernels/cpu/vmath/vmath_avx2.h"

namespace fastserve {
namespace {

inline __m256i tail_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float row_max(const float* x, int64_t n) {
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  __m256 acc0 = neg_inf, acc1 = neg_inf;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_max_ps(acc0, _mm256_loadu_ps(x + i));
    acc1 = _mm256_max_ps(acc1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_max_ps(acc0, _mm256_loadu_ps(x + i));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m));
    acc1 = _mm256_max_ps(acc1, v);
  }
  return hmax(_mm256_max_ps(acc0, acc1));
}

template <bool kStore>
float exp_shift_sum_impl(const float* x, float* y, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = vmath::exp_flush_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    acc = _mm256_add_ps(acc, e);
    if (kStore) _mm256_storeu_ps(y + i, e);
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    __m256 e = vmath::exp_flush_avx2(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), s));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(m));  // drop the lanes past n from the sum
    acc = _mm256_add_ps(acc, e);
    if (kStore) _mm256_maskstore_ps(y + i, m, e);
  }
  return hsum(acc);
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  return y != nullptr ? exp_shift_sum_impl<true>(x, y, n, shift) : exp_shift_sum_impl<false>(x, y, n, shift);
}

void scale(float* y, int64_t n, float s) {
  const __m256 vs = _mm256_set1_ps(s);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vs));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(_mm256_maskload_ps(y + i, m), vs));
  }
}

void sub2(const float* x, float* y, int64_t n, float a, float b) {
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), va), vb));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), va), vb));
  }
}

}  // namespace

constinit const SoftmaxUkernels kSoftmaxUkernelsAvx2 = {row_max, exp_shift_sum, scale, sub2};

}  // namespace fastserve
