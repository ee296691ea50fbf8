// DequantizeLinear rows, AVX-512F (see dequantize_linear.cc).
#include <immintrin.h>

#include <cstdint>

namespace fastserve {
namespace {

template <bool kUnsigned, typename T>
void dequantize(const T* x, int64_t n, float scale, float zp, float* y) {
  const __m512 vs = _mm512_set1_ps(scale), vz = _mm512_set1_ps(zp);
  auto widen = [](__m128i b) { return kUnsigned ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b); };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m512 v = _mm512_cvtepi32_ps(widen(b));
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_sub_ps(v, vz), vs));
  }
  for (; i < n; ++i) y[i] = (static_cast<float>(x[i]) - zp) * scale;
}

}  // namespace

void dequantize_u8_avx512(const uint8_t* x, int64_t n, float scale, float zp, float* y) {
  dequantize<true>(x, n, scale, zp, y);
}
void dequantize_i8_avx512(const int8_t* x, int64_t n, float scale, float zp, float* y) {
  dequantize<false>(x, n, scale, zp, y);
}

}  // namespace fastserve
