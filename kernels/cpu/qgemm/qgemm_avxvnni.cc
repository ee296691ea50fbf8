// qgemm_u8s8s32__avxvnni_14x32: the INT8 tile with AVX-VNNI (the VEX
// vpdpbusd on ymm of Alder Lake / Sapphire Rapids-class cores and Zen 5),
// for hosts capped to AVX2 or without AVX-512.
//
// One pass covers 6 rows x 16 columns: 12 ymm accumulators, 2 for the B
// group's 16-column half (64 bytes) and 1 for the broadcast A word: 15 of
// 16 registers. The 14 x 32 tile is passes of 6, 6 and 2 rows over both
// halves. Each vpdpbusd does 8 columns x 4 products without saturation.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {
namespace {

template <int MR>
void pass(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int nn, bool accumulate) {
  __m256i acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int64_t g = 0; g < k4; ++g) {
    const int8_t* bg = b + g * kQNr * 4;
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bg));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bg + 32));
    const uint8_t* ag = a + g * kQMr * 4;
    for (int r = 0; r < MR; ++r) {
      int32_t word;
      std::memcpy(&word, ag + r * 4, 4);
      const __m256i av = _mm256_set1_epi32(word);
      acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], av, b0);
      acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], av, b1);
    }
  }
  for (int r = 0; r < MR; ++r) {
    int32_t* row = c + r * ldc;
    if (nn >= 16) {
      for (int h = 0; h < 2; ++h) {
        __m256i out = acc[r][h];
        if (accumulate) out = _mm256_add_epi32(out, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * h)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + 8 * h), out);
      }
    } else {
      alignas(32) int32_t tmp[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), acc[r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), acc[r][1]);
      for (int j = 0; j < nn; ++j) row[j] = accumulate ? row[j] + tmp[j] : tmp[j];
    }
  }
}

using PassFn = void (*)(int64_t, const uint8_t*, const int8_t*, int32_t*, int64_t, int, bool);
constexpr PassFn kPasses[] = {&pass<1>, &pass<2>, &pass<3>, &pass<4>, &pass<5>, &pass<6>};

void tile_avxvnni(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int mm, int nn,
                  bool accumulate) {
  for (int half = 0; half < 2 && half * 16 < nn; ++half) {
    const int cols = nn - half * 16 < 16 ? nn - half * 16 : 16;
    for (int r0 = 0; r0 < mm; r0 += 6) {
      const int rows = mm - r0 < 6 ? mm - r0 : 6;
      kPasses[rows - 1](k4, a + r0 * 4, b + half * 64, c + r0 * ldc + half * 16, ldc, cols, accumulate);
    }
  }
}

}  // namespace

const QGemmUkernel kQGemmUkernelAvxVnni = {.name = "qgemm_u8s8s32__avxvnni_14x32", .isa = Isa::kAvx2,
                                           .tile = &tile_avxvnni};

}  // namespace fastserve
