// Winograd F(4x4, 3x3) input / output transforms for conv_f32_winograd__avx2:
// conv_winograd_impl.h over 8 tiles per ymm (AVX2 + FMA). Column phases are
// (de)interleaved with unpck / shufps / vperm2f128; tails use vmaskmovps.
// Contract: conv_winograd.h.
#include <immintrin.h>

#include "kernels/cpu/conv/conv_winograd_impl.h"

namespace fastserve {
namespace {

struct Avx2 {
  using Reg = __m256;
  static constexpr int kWidth = 8;
  static __m256i first_lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float x) { return _mm256_set1_ps(x); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static Reg load_first(const float* p, int n) { return _mm256_maskload_ps(p, first_lanes(n)); }
  static void store_first(float* p, int n, Reg v) { _mm256_maskstore_ps(p, first_lanes(n), v); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg rotate_down(Reg v, int s) {
    const __m256i idx = _mm256_and_si256(_mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(s)),
                                         _mm256_set1_epi32(7));
    return _mm256_permutevar8x32_ps(v, idx);
  }
  static Reg shift_in(Reg v, const float* p) {
    const Reg moved = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7));
    return _mm256_blend_ps(moved, _mm256_broadcast_ss(p), 0x80);
  }
  // 32 floats [a0 b0 c0 d0 a1 b1 c1 d1 ... a7 b7 c7 d7] -> a, b, c, d.
  static void load_deinterleave4(const float* p, Reg& a, Reg& b, Reg& c, Reg& d) {
    const Reg in0 = load(p), in1 = load(p + 8), in2 = load(p + 16), in3 = load(p + 24);
    const Reg u0 = _mm256_permute2f128_ps(in0, in2, 0x20);  // tiles 0 | 4
    const Reg u1 = _mm256_permute2f128_ps(in0, in2, 0x31);  // tiles 1 | 5
    const Reg u2 = _mm256_permute2f128_ps(in1, in3, 0x20);  // tiles 2 | 6
    const Reg u3 = _mm256_permute2f128_ps(in1, in3, 0x31);  // tiles 3 | 7
    const Reg t0 = _mm256_unpacklo_ps(u0, u1);              // a0 a1 b0 b1 | a4 a5 b4 b5
    const Reg t1 = _mm256_unpackhi_ps(u0, u1);              // c0 c1 d0 d1 | ...
    const Reg t2 = _mm256_unpacklo_ps(u2, u3);              // a2 a3 b2 b3 | ...
    const Reg t3 = _mm256_unpackhi_ps(u2, u3);              // c2 c3 d2 d3 | ...
    a = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    b = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    c = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    d = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  }
  // The inverse: a, b, c, d -> 32 floats [a0 b0 c0 d0 a1 ...].
  static void store_interleave4(float* p, Reg a, Reg b, Reg c, Reg d) {
    const Reg t0 = _mm256_unpacklo_ps(a, b);  // a0 b0 a1 b1 | a4 b4 a5 b5
    const Reg t1 = _mm256_unpackhi_ps(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
    const Reg t2 = _mm256_unpacklo_ps(c, d);
    const Reg t3 = _mm256_unpackhi_ps(c, d);
    const Reg u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));  // a0 b0 c0 d0 | a4 b4 c4 d4
    const Reg u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));  // tiles 1 | 5
    const Reg u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));  // tiles 2 | 6
    const Reg u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));  // tiles 3 | 7
    store(p, _mm256_permute2f128_ps(u0, u1, 0x20));
    store(p + 8, _mm256_permute2f128_ps(u2, u3, 0x20));
    store(p + 16, _mm256_permute2f128_ps(u0, u1, 0x31));
    store(p + 24, _mm256_permute2f128_ps(u2, u3, 0x31));
  }
};

}  // namespace

const WinogradTransforms kWinogradTransformsAvx2 = {"avx2", &winograd_impl::input_transform<Avx2>,
                                                    &winograd_impl::output_transform<Avx2>};

}  // namespace fastserve
