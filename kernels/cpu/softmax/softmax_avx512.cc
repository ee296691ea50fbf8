// AVX-512 f32 softmax row microkernels (softmax_ukernels.h).
//
// ISA: AVX-512F (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl
// -mfma). 16 lanes; tails are masked (masked-off lanes load as -inf for the
// max and are left out of the sum). exp from vmath_avx512.h. Only intrinsics
// and internal-linkage code here.
// GCC 12.1-12.2's headers fill the unused pass-through operand of many
// AVX-512 intrinsics (_mm512_max_ps, _mm512_cvtps_epi32, ...) with a
// self-initialized _mm512_undefined_ps(), which -O2 reports as
// -Wuninitialized at every call site (GCC bug 105593, fixed in 12.3).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include "kernels/cpu/softmax/softmax_ukernels.h"
#include "kernels/cpu/vmath/vmath_avx512.h"

namespace fastserve {
namespace {

inline __mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

float row_max(const float* x, int64_t n) {
  const __m512 neg_inf = _mm512_set1_ps(-__builtin_inff());
  __m512 acc0 = neg_inf, acc1 = neg_inf;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_max_ps(acc0, _mm512_loadu_ps(x + i));
    acc1 = _mm512_max_ps(acc1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_max_ps(acc0, _mm512_loadu_ps(x + i));
  if (i < n) acc1 = _mm512_max_ps(acc1, _mm512_mask_loadu_ps(neg_inf, tail_mask(n - i), x + i));
  return _mm512_reduce_max_ps(_mm512_max_ps(acc0, acc1));
}

template <bool kStore>
float exp_shift_sum_impl(const float* x, float* y, int64_t n, float shift) {
  const __m512 s = _mm512_set1_ps(shift);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 e0 = vmath::exp_flush_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    const __m512 e1 = vmath::exp_flush_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
    acc0 = _mm512_add_ps(acc0, e0);
    acc1 = _mm512_add_ps(acc1, e1);
    if (kStore) {
      _mm512_storeu_ps(y + i, e0);
      _mm512_storeu_ps(y + i + 16, e1);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 e = vmath::exp_flush_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    acc0 = _mm512_mask_add_ps(acc0, m, acc0, e);
    if (kStore) _mm512_mask_storeu_ps(y + i, m, e);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  return y != nullptr ? exp_shift_sum_impl<true>(x, y, n, shift) : exp_shift_sum_impl<false>(x, y, n, shift);
}

void scale(float* y, int64_t n, float s) {
  const __m512 vs = _mm512_set1_ps(s);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), vs));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), vs));
  }
}

void sub2(const float* x, float* y, int64_t n, float a, float b) {
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), va), vb));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), va), vb));
  }
}

}  // namespace

constinit const SoftmaxUkernels kSoftmaxUkernelsAvx512 = {row_max, exp_shift_sum, scale, sub2};

}  // namespace fastserve
