// The Avx2 vector traits the GEMM and SpMM microkernel bodies take
// (gemm_ukernel_impl.h, spmm_impl.h: Reg, Mask, kWidth, zero, set1, load,
// broadcast, fma, mul, add, max, min, reduce_add, mask, load_mask, store,
// store_mask). Include it only from *_avx2.cc files (cmake/isa.cmake gives
// them the instruction set); the anonymous namespace keeps each file's copy
// to itself, as the bodies' instantiations must be.
#pragma once

#include <immintrin.h>

namespace fastserve {
namespace {

struct Avx2 {
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int kWidth = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float x) { return _mm256_set1_ps(x); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  static float reduce_add(Reg v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
  }
  static Mask mask(int count) {
    // Lane i is on when i < count.
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg load_mask(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static void store_mask(float* p, Mask m, Reg v) { _mm256_maskstore_ps(p, m, v); }
};

}  // namespace
}  // namespace fastserve
