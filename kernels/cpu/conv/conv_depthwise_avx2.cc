// conv_f32_depthwise__avx2: depthwise 3x3 plane microkernels, AVX2 + FMA
// (8 floats per ymm; stride 2 de-interleaves with shufps + vpermpd). Body:
// conv_depthwise_impl.h; contract: conv_depthwise_ukernels.h.
#include <immintrin.h>

#include "kernels/cpu/conv/conv_depthwise_impl.h"

namespace fastserve {
namespace {

struct Avx2 {
  using Reg = __m256;
  static constexpr int kWidth = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float x) { return _mm256_set1_ps(x); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg load_first(const float* p, int n) {
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  // shufps picks [a0 a2 b0 b2 | a4 a6 b4 b6]; vpermpd reorders the 64-bit
  // pairs to [a0 a2 a4 a6 b0 b2 b4 b6].
  static Reg load_even(const float* p) {
    const Reg t = _mm256_shuffle_ps(load(p), load(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static Reg load_odd(const float* p) {
    const Reg t = _mm256_shuffle_ps(load(p), load(p + 8), _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
  }
};

}  // namespace

const DepthwiseUkernels kDepthwiseUkernelsAvx2 = {"avx2", 8, &depthwise_impl::dw3x3_plane<Avx2, 1>,
                                                  &depthwise_impl::dw3x3_plane<Avx2, 2>};

}  // namespace fastserve
