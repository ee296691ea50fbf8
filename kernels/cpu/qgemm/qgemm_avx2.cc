// qgemm_u8s8s32__avx2_14x32: the INT8 tile for AVX2 hosts without VNNI.
//
// Exact: bytes are widened to int16 (vpmovzxbw for A, vpmovsxbw for B) and
// multiplied with vpmaddwd, which sums pairs into int32 without saturation.
// (vpmaddubsw would be twice as fast but saturates u8*s8 pair sums at
// int16 -- 255 * 127 * 2 > 32767 -- so results would depend on the data.)
// Per group of 4 k, a 4-column quarter of the packed B group (16 bytes)
// widens to one ymm: [c0 k0..k3, c1 k0..k3, c2 .., c3 ..]; A's 4 bytes of a
// row widen and broadcast to the same pattern, and vpmaddwd gives per
// column two int32 partial sums (k0k1, k2k3), added at the end with
// vphaddd. One pass covers 2 rows x 16 columns: 8 accumulators, 4 widened B
// registers, 1 A: 13 of 16 ymm. The 14 x 32 tile is 7 x 2 such passes.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {
namespace {

template <int MR>
void pass(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int nn, bool accumulate) {
  __m256i acc[MR][4];
  for (int r = 0; r < MR; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = _mm256_setzero_si256();
  }
  for (int64_t g = 0; g < k4; ++g) {
    const int8_t* bg = b + g * kQNr * 4;
    __m256i bw[4];
    for (int q = 0; q < 4; ++q) {
      bw[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bg + q * 16)));
    }
    const uint8_t* ag = a + g * kQMr * 4;
    for (int r = 0; r < MR; ++r) {
      int32_t word;
      std::memcpy(&word, ag + r * 4, 4);
      const __m256i av = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(word)));
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(av, bw[q]));
    }
  }
  for (int r = 0; r < MR; ++r) {
    // hadd within 128-bit lanes gives [c0 c1 c4 c5 | c2 c3 c6 c7]; the
    // permute puts columns in order.
    __m256i v[2];
    for (int h = 0; h < 2; ++h) {
      v[h] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][2 * h], acc[r][2 * h + 1]), 0xD8);
    }
    int32_t* row = c + r * ldc;
    if (nn >= 16) {
      for (int h = 0; h < 2; ++h) {
        __m256i out = v[h];
        if (accumulate) out = _mm256_add_epi32(out, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * h)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + 8 * h), out);
      }
    } else {
      alignas(32) int32_t tmp[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), v[0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), v[1]);
      for (int j = 0; j < nn; ++j) row[j] = accumulate ? row[j] + tmp[j] : tmp[j];
    }
  }
}

void tile_avx2(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int mm, int nn,
               bool accumulate) {
  for (int half = 0; half < 2 && half * 16 < nn; ++half) {
    const int cols = nn - half * 16 < 16 ? nn - half * 16 : 16;
    // B's 16-column half of each group starts 64 bytes in.
    const int8_t* bh = b + half * 64;
    for (int r0 = 0; r0 < mm; r0 += 2) {
      int32_t* cr = c + r0 * ldc + half * 16;
      if (mm - r0 >= 2) {
        pass<2>(k4, a + r0 * 4, bh, cr, ldc, cols, accumulate);
      } else {
        pass<1>(k4, a + r0 * 4, bh, cr, ldc, cols, accumulate);
      }
    }
  }
}

}  // namespace

const QGemmUkernel kQGemmUkernelAvx2 = {.name = "qgemm_u8s8s32__avx2_14x32", .isa = Isa::kAvx2, .tile = &tile_avx2};

}  // namespace fastserve
