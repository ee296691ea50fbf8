// MatMulIntegerToFloat's epilogue on 16 lanes, AVX-512F: a row of int32
// GEMM results (in the output's own bytes) becomes float(acc) * scale
// (+ bias), the same operations as the portable loop in matmul_integer.cc.
#include <immintrin.h>

#include <cstdint>

namespace fastserve {

// No FMA: GCC would contract the multiply and the bias add into one
// rounding, and the result must equal the unfused Mul then Add.
__attribute__((optimize("fp-contract=off")))

void int32_row_to_float_avx512(float* row, int64_t n, const float* scale, bool per_column, const float* bias) {
  int64_t j = 0;
  const __m512 s1 = _mm512_set1_ps(scale[0]);
  for (; j + 16 <= n; j += 16) {
    const __m512i acc = _mm512_loadu_si512(row + j);
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), per_column ? _mm512_loadu_ps(scale + j) : s1);
    if (bias != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + j));
    _mm512_storeu_ps(row + j, v);
  }
  if (j < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - j)) - 1u);
    const __m512i acc = _mm512_maskz_loadu_epi32(m, row + j);
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), per_column ? _mm512_maskz_loadu_ps(m, scale + j) : s1);
    if (bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + j));
    _mm512_mask_storeu_ps(row + j, m, v);
  }
}

}  // namespace fastserve
