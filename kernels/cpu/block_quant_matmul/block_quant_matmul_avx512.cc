// block_quant_matmul__avx512: one 16-column panel, up to 4 rows of A.
//
// Per k: the panel's 8 bytes widen to 16 nibble indices (the high nibbles
// by a 16-bit shift: vpermps reads only the index's low 4 bits, so the
// bits shifted in from the next byte do not matter), vpermps looks up each
// code's float value in a 16-entry table, one fused op applies the block's
// scale and zero point (w = value * s - zp * s), and each row adds
// a[r][k] * w: 5 shuffle/convert uops per 16 weights, shared by the rows.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/block_quant_matmul/block_quant_matmul.h"

namespace fastserve {
namespace {

// The 16 weights of one k in a panel: codes -> values (vpermps on the
// nibble indices) -> value * scale - zero_point * scale.
inline __m512 dequant16(const uint8_t* codes8, __m512 tab, __m512 s, __m512 zs) {
  uint64_t word;
  std::memcpy(&word, codes8, 8);
  const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(word));
  const __m128i nib = _mm_unpacklo_epi8(bytes, _mm_srli_epi16(bytes, 4));
  return _mm512_fmsub_ps(_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(nib), tab), s, zs);
}

__m512 code_table(bool is_signed) {
  alignas(64) float table[16];
  for (int c = 0; c < 16; ++c) table[c] = block_quant_code_value(static_cast<uint8_t>(c), is_signed);
  return _mm512_load_ps(table);
}

template <int R>
void panel_rows(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, float* y, int64_t ldy, int nn) {
  const __m512 tab = code_table(w.is_signed);
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const uint8_t* codes = w.codes.data() + panel * w.k * 8;
  const int64_t col0 = panel * kBqCols;
  for (int64_t b = 0; b < w.blocks; ++b) {
    const __m512 s = _mm512_loadu_ps(w.scales.data() + b * w.n_pad + col0);
    const __m512 zs = _mm512_loadu_ps(w.zs.data() + b * w.n_pad + col0);
    const int64_t k1 = b * w.block + w.block < w.k ? b * w.block + w.block : w.k;
    for (int64_t k = b * w.block; k < k1; ++k) {
      const __m512 wv = dequant16(codes + k * 8, tab, s, zs);
      for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]), wv, acc[r]);
    }
  }
  const __mmask16 m = nn >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << nn) - 1u);
  for (int r = 0; r < R; ++r) {
    __m512 out = acc[r];
    if (!w.bias.empty()) out = _mm512_add_ps(out, _mm512_loadu_ps(w.bias.data() + col0));
    _mm512_mask_storeu_ps(y + r * ldy, m, out);
  }
}

template <int R>
void gemm_rows(const float* wp, int64_t k, const float* a, int64_t lda, const float* bias16, float* y, int64_t ldy,
               int nn) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m512 wv = _mm512_loadu_ps(wp + kk * kBqCols);
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + kk]), wv, acc[r]);
  }
  const __mmask16 m = nn >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << nn) - 1u);
  for (int r = 0; r < R; ++r) {
    __m512 out = acc[r];
    if (bias16 != nullptr) out = _mm512_add_ps(out, _mm512_loadu_ps(bias16));
    _mm512_mask_storeu_ps(y + r * ldy, m, out);
  }
}

}  // namespace

void block_quant_dequant_panel_avx512(const BlockQuantPacked& w, int64_t panel, float* out) {
  const __m512 tab = code_table(w.is_signed);
  const uint8_t* codes = w.codes.data() + panel * w.k * 8;
  const int64_t col0 = panel * kBqCols;
  for (int64_t b = 0; b < w.blocks; ++b) {
    const __m512 s = _mm512_loadu_ps(w.scales.data() + b * w.n_pad + col0);
    const __m512 zs = _mm512_loadu_ps(w.zs.data() + b * w.n_pad + col0);
    const int64_t k1 = b * w.block + w.block < w.k ? b * w.block + w.block : w.k;
    for (int64_t k = b * w.block; k < k1; ++k) {
      _mm512_storeu_ps(out + k * kBqCols, dequant16(codes + k * 8, tab, s, zs));
    }
  }
}

void block_quant_gemm_panel_avx512(const float* wp, int64_t k, const float* a, int64_t lda, int rows,
                                   const float* bias16, float* y, int64_t ldy, int nn) {
  switch (rows) {
    case 1: return gemm_rows<1>(wp, k, a, lda, bias16, y, ldy, nn);
    case 2: return gemm_rows<2>(wp, k, a, lda, bias16, y, ldy, nn);
    case 3: return gemm_rows<3>(wp, k, a, lda, bias16, y, ldy, nn);
    case 4: return gemm_rows<4>(wp, k, a, lda, bias16, y, ldy, nn);
    case 5: return gemm_rows<5>(wp, k, a, lda, bias16, y, ldy, nn);
    case 6: return gemm_rows<6>(wp, k, a, lda, bias16, y, ldy, nn);
    case 7: return gemm_rows<7>(wp, k, a, lda, bias16, y, ldy, nn);
    default: return gemm_rows<8>(wp, k, a, lda, bias16, y, ldy, nn);
  }
}

void block_quant_panel_avx512(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, int rows,
                              float* y, int64_t ldy, int nn) {
  switch (rows) {
    case 1: return panel_rows<1>(w, panel, a, lda, y, ldy, nn);
    case 2: return panel_rows<2>(w, panel, a, lda, y, ldy, nn);
    case 3: return panel_rows<3>(w, panel, a, lda, y, ldy, nn);
    default: return panel_rows<4>(w, panel, a, lda, y, ldy, nn);
  }
}

}  // namespace fastserve
