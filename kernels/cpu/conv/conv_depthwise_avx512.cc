// conv_f32_depthwise__avx512: depthwise 3x3 plane microkernels, AVX-512F
// (16 floats per zmm; aligned loads, tap offsets by valignd; stride 2
// de-interleaves with vpermt2ps). Body:
// conv_depthwise_impl.h; contract: conv_depthwise_ukernels.h.
#include <immintrin.h>

#include "kernels/cpu/conv/conv_depthwise_impl.h"

namespace fastserve {
namespace {

struct Avx512 {
  using Reg = __m512;
  static constexpr int kWidth = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg load_first(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << (n < 0 ? 0 : n)) - 1u), p);
  }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  // Zero-masking forms: GCC 12's unmasked ones trip -Wmaybe-uninitialized
  // (see gemm_avx512.cc); same instruction.
  static Reg max(Reg a, Reg b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static Reg min(Reg a, Reg b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  // Lanes N..15 of lo, then lanes 0..N-1 of hi (valignd).
  template <int N>
  static Reg shift(Reg lo, Reg hi) {
    return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), N));
  }
  // Lanes 2j (odd: 2j + 1) of the 32 floats lo:hi (index bit 4 selects hi).
  static Reg even(Reg lo, Reg hi) {
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
  static Reg odd(Reg lo, Reg hi) {
    const __m512i idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
};

}  // namespace

const DepthwiseUkernels kDepthwiseUkernelsAvx512 = {"avx512", 16, &depthwise_impl::dw3x3_plane<Avx512, 1>,
                                                    &depthwise_impl::dw3x3_plane<Avx512, 2>};

}  // namespace fastserve
