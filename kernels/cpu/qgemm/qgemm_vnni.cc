// qgemm_u8s8s32__vnni_14x32: the INT8 tile with AVX-512 VNNI.
//
// 14 rows x 32 columns = 28 zmm accumulators (int32), 2 zmm for the B group
// and 1 for the broadcast A word: 31 of 32 registers. Per group of 4 k: two
// 64-byte loads of B, 14 32-bit broadcasts of A, 28 vpdpbusd (each 16
// columns x 4 products of u8 x s8, summed into int32 lanes without
// saturation). Two vpdpbusd issue per cycle on two ports, so the tile
// spends 14 cycles per group: 128 multiply-adds per cycle.
#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>

#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {
namespace {

template <int MR>
void tile_rows(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int nn, bool accumulate) {
  __m512i acc[MR][2];
#pragma GCC unroll 14
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  for (int64_t g = 0; g < k4; ++g) {
    const __m512i b0 = _mm512_loadu_si512(b + g * kQNr * 4);
    const __m512i b1 = _mm512_loadu_si512(b + g * kQNr * 4 + 64);
    const uint8_t* ag = a + g * kQMr * 4;
#pragma GCC unroll 14
    for (int r = 0; r < MR; ++r) {
      int32_t word;
      std::memcpy(&word, ag + r * 4, 4);
      const __m512i av = _mm512_set1_epi32(word);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
    }
  }
  const __mmask16 m0 = nn >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << nn) - 1u);
  const __mmask16 m1 = nn >= 32   ? static_cast<__mmask16>(0xFFFF)
                       : nn <= 16 ? static_cast<__mmask16>(0)
                                  : static_cast<__mmask16>((1u << (nn - 16)) - 1u);
#pragma GCC unroll 14
  for (int r = 0; r < MR; ++r) {
    int32_t* row = c + r * ldc;
    __m512i v0 = acc[r][0], v1 = acc[r][1];
    if (accumulate) {
      v0 = _mm512_add_epi32(v0, _mm512_maskz_loadu_epi32(m0, row));
      v1 = _mm512_add_epi32(v1, _mm512_maskz_loadu_epi32(m1, row + 16));
    }
    _mm512_mask_storeu_epi32(row, m0, v0);
    _mm512_mask_storeu_epi32(row + 16, m1, v1);
  }
}

// Row tails: the tile for exactly mm rows (no wasted dot products).
template <int... I>
constexpr auto make_table(std::integer_sequence<int, I...>) {
  using Fn = void (*)(int64_t, const uint8_t*, const int8_t*, int32_t*, int64_t, int, bool);
  return std::array<Fn, sizeof...(I)>{&tile_rows<I + 1>...};
}

void tile_vnni(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int mm, int nn,
               bool accumulate) {
  static constexpr auto kTable = make_table(std::make_integer_sequence<int, kQMr>{});
  kTable[static_cast<size_t>(mm - 1)](k4, a, b, c, ldc, nn, accumulate);
}

}  // namespace

const QGemmUkernel kQGemmUkernelVnni = {.name = "qgemm_u8s8s32__vnni_14x32", .isa = Isa::kAvx512Vnni,
                                        .tile = &tile_vnni};
const QGemmUkernel kQGemmUkernelAmx = {.name = "qgemm_u8s8s32__amx_32x32", .isa = Isa::kAvx512Vnni,
                                       .tile = &tile_vnni, .amx = true};

}  // namespace fastserve

namespace fastserve {

// Row sums of A (uint8) with vpdpbusd against a vector of ones: 64 bytes per
// instruction. (The zero-point terms need them for every row.)
void qgemm_row_sums_vnni(const uint8_t* a, int64_t lda, int64_t rows, int64_t k, int32_t* out) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* src = a + r * lda;
    __m512i acc = _mm512_setzero_si512();
    int64_t kk = 0;
    for (; kk + 64 <= k; kk += 64) acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(src + kk), ones);
    if (kk < k) {
      const __mmask64 m = (k - kk) >= 64 ? ~__mmask64{0} : ((__mmask64{1} << (k - kk)) - 1);
      acc = _mm512_dpbusd_epi32(acc, _mm512_maskz_loadu_epi8(m, src + kk), ones);
    }
    out[r] = _mm512_reduce_add_epi32(acc);
  }
}

// row[j] -= za * col_sums[j] + zb_j * shifted_sum over [c0, c1), 16 lanes at a time.
void qgemm_correct_row_avx512(int32_t* row, int64_t c0, int64_t c1, int32_t za, const int32_t* col_sums,
                              int32_t zb, const int32_t* zb_cols, int32_t shifted_sum) {
  const __m512i vza = _mm512_set1_epi32(za), vss = _mm512_set1_epi32(shifted_sum);
  const __m512i vrt = _mm512_set1_epi32(zb * shifted_sum);
  int64_t j = c0;
  for (; j + 16 <= c1; j += 16) {
    __m512i term = _mm512_mullo_epi32(vza, _mm512_loadu_si512(col_sums + j));
    term = _mm512_add_epi32(term, zb_cols != nullptr ? _mm512_mullo_epi32(_mm512_loadu_si512(zb_cols + j), vss) : vrt);
    _mm512_storeu_si512(row + j, _mm512_sub_epi32(_mm512_loadu_si512(row + j), term));
  }
  for (; j < c1; ++j) row[j] -= za * col_sums[j] + (zb_cols != nullptr ? zb_cols[j] : zb) * shifted_sum;
}

}  // namespace fastserve
