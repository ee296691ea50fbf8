// Winograd F(4x4, 3x3) input / output transforms for conv_f32_winograd__avx512:
// conv_winograd_impl.h over 16 tiles per zmm (AVX-512F). Column phases are
// (de)interleaved with vpermt2ps / vpermt2pd; tails use __mmask16.
// Contract: conv_winograd.h.
#include <immintrin.h>

#include "kernels/cpu/conv/conv_winograd_impl.h"

namespace fastserve {
namespace {

struct Avx512 {
  using Reg = __m512;
  static constexpr int kWidth = 16;
  static __mmask16 first_lanes(int n) {
    return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n < 0 ? 0 : n)) - 1u);
  }
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg load_first(const float* p, int n) { return _mm512_maskz_loadu_ps(first_lanes(n), p); }
  static void store_first(float* p, int n, Reg v) { _mm512_mask_storeu_ps(p, first_lanes(n), v); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  // Zero-masking forms: GCC 12's unmasked ones trip -Wmaybe-uninitialized
  // (see gemm_avx512.cc); same instruction.
  static Reg min(Reg a, Reg b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static Reg max(Reg a, Reg b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static Reg rotate_down(Reg v, int s) {
    const __m512i idx = _mm512_and_si512(
        _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(s)),
        _mm512_set1_epi32(15));
    return _mm512_permutexvar_ps(idx, v);
  }
  static Reg shift_in(Reg v, const float* p) {
    const Reg moved =
        _mm512_permutexvar_ps(_mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15), v);
    return _mm512_mask_broadcastss_ps(moved, static_cast<__mmask16>(0x8000), _mm_load_ss(p));
  }
  // 64 floats [a0 b0 c0 d0 a1 ...] -> a, b, c, d. First (a, b) and (c, d)
  // of 8 tiles from each pair of loads, then the two halves joined.
  static void load_deinterleave4(const float* p, Reg& a, Reg& b, Reg& c, Reg& d) {
    const __m512i ab = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i cd = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    const Reg in0 = load(p), in1 = load(p + 16), in2 = load(p + 32), in3 = load(p + 48);
    const Reg ab_lo = _mm512_permutex2var_ps(in0, ab, in1);  // a0..a7 b0..b7
    const Reg ab_hi = _mm512_permutex2var_ps(in2, ab, in3);  // a8..a15 b8..b15
    const Reg cd_lo = _mm512_permutex2var_ps(in0, cd, in1);
    const Reg cd_hi = _mm512_permutex2var_ps(in2, cd, in3);
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    a = _mm512_permutex2var_ps(ab_lo, lo, ab_hi);
    b = _mm512_permutex2var_ps(ab_lo, hi, ab_hi);
    c = _mm512_permutex2var_ps(cd_lo, lo, cd_hi);
    d = _mm512_permutex2var_ps(cd_lo, hi, cd_hi);
  }
  // The inverse: pairs (a_i, b_i) and (c_i, d_i) as 64-bit units, then the
  // units interleaved.
  static void store_interleave4(float* p, Reg a, Reg b, Reg c, Reg d) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512d ab_lo = _mm512_castps_pd(_mm512_permutex2var_ps(a, lo, b));  // (a0 b0) .. (a7 b7)
    const __m512d ab_hi = _mm512_castps_pd(_mm512_permutex2var_ps(a, hi, b));  // (a8 b8) .. (a15 b15)
    const __m512d cd_lo = _mm512_castps_pd(_mm512_permutex2var_ps(c, lo, d));
    const __m512d cd_hi = _mm512_castps_pd(_mm512_permutex2var_ps(c, hi, d));
    const __m512i q_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i q_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    store(p, _mm512_castpd_ps(_mm512_permutex2var_pd(ab_lo, q_lo, cd_lo)));       // tiles 0..3
    store(p + 16, _mm512_castpd_ps(_mm512_permutex2var_pd(ab_lo, q_hi, cd_lo)));  // tiles 4..7
    store(p + 32, _mm512_castpd_ps(_mm512_permutex2var_pd(ab_hi, q_lo, cd_hi)));  // tiles 8..11
    store(p + 48, _mm512_castpd_ps(_mm512_permutex2var_pd(ab_hi, q_hi, cd_hi)));  // tiles 12..15
  }
};

}  // namespace

const WinogradTransforms kWinogradTransformsAvx512 = {"avx512", &winograd_impl::input_transform<Avx512>,
                                                      &winograd_impl::output_transform<Avx512>};

}  // namespace fastserve
