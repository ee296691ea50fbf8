// The Avx512 vector traits the GEMM and SpMM microkernel bodies take
// (gemm_ukernel_impl.h, spmm_impl.h: Reg, Mask, kWidth, zero, set1, load,
// broadcast, fma, mul, add, max, min, reduce_add, mask, load_mask, store,
// store_mask). Include it only from *_avx512.cc files (cmake/isa.cmake gives
// them the instruction set); the anonymous namespace keeps each file's copy
// to itself, as the bodies' instantiations must be.
#pragma once

#include <immintrin.h>

namespace fastserve {
namespace {

struct Avx512 {
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int kWidth = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  // The zero-masking forms: GCC 12's unmasked ones start from
  // _mm512_undefined_ps() and trip -Wmaybe-uninitialized; same instruction.
  static Reg max(Reg a, Reg b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static Reg min(Reg a, Reg b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static float reduce_add(Reg v) { return _mm512_reduce_add_ps(v); }
  static Mask mask(int count) {
    if (count <= 0) return 0;
    if (count >= kWidth) return static_cast<Mask>(0xFFFF);
    return static_cast<Mask>((1u << count) - 1u);
  }
  static Reg load_mask(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static void store_mask(float* p, Mask m, Reg v) { _mm512_mask_storeu_ps(p, m, v); }
};

}  // namespace
}  // namespace fastserve
