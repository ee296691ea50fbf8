// nm24_f32__avx2_2x16: the 2:4 microkernel (nm24_ukernel.h) on AVX2 + FMA.
// A block of 16 output features is two ymm halves, both done in one pass
// so every cache line of the block's values is read once. Per group: the 8
// position bytes of each half widened to dword indices (vpmovzxbd), the
// 4 activations A[r][4g..4g+3] broadcast to both 128-bit lanes
// (vbroadcastf128), picked in-lane with vpermilps (low 2 index bits, so
// slot 1's index is the byte shifted right by 2) and two FMAs per half.
// Rows in chunks of 2 (16 ymm registers: 8 accumulators, the values, the
// indices and the broadcast); a 1-row chunk keeps two accumulator sets on
// alternate groups so it still has 8 FMA chains. Feature tail masked with
// vmaskmov.
#include <immintrin.h>

#include <algorithm>

#include "kernels/cpu/sparse/nm24_ukernel.h"

namespace fastserve {
namespace {

constexpr int kMaxRows = 2;

template <int MR>
__attribute__((always_inline)) inline void group_step(const float* const* x, int64_t off, const float* val,
                                                      const uint8_t* pos, __m256 (*acc)[2][MR]) {
  __m256 a[MR];
  for (int r = 0; r < MR; ++r) a[r] = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(x[r] + off));
  for (int h = 0; h < 2; ++h) {
    const __m256i i0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(pos + h * 8)));
    const __m256i i1 = _mm256_srli_epi32(i0, 2);
    const __m256 v0 = _mm256_loadu_ps(val + h * 8), v1 = _mm256_loadu_ps(val + kNm24Block + h * 8);
    for (int r = 0; r < MR; ++r) {
      acc[h][0][r] = _mm256_fmadd_ps(v0, _mm256_permutevar_ps(a[r], i0), acc[h][0][r]);
      acc[h][1][r] = _mm256_fmadd_ps(v1, _mm256_permutevar_ps(a[r], i1), acc[h][1][r]);
    }
  }
}

__m256i lane_mask(int count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lanes);
}

template <int MR>
void block_rows(const Nm24Matrix& w, int64_t b, const float* const* ar, float* const* out,
                const Nm24Params& p) {
  constexpr int kSets = MR == 1 ? 2 : 1;
  constexpr int64_t B = kNm24Block;
  const float* val = w.block_val(b);
  const uint8_t* pos = w.block_pos(b);
  const int64_t full = w.k / 4;
  __m256 acc[kSets][2][2][MR];  // [set][half][slot][row]
  for (int s = 0; s < kSets; ++s) {
    for (int h = 0; h < 2; ++h) {
      for (int r = 0; r < MR; ++r) acc[s][h][0][r] = acc[s][h][1][r] = _mm256_setzero_ps();
    }
  }
  int64_t g = 0;
  for (; g + kSets <= full; g += kSets) {
    for (int s = 0; s < kSets; ++s)
      group_step<MR>(ar, (g + s) * 4, val + (g + s) * 2 * B, pos + (g + s) * B, acc[s]);
  }
  for (; g < full; ++g) group_step<MR>(ar, g * 4, val + g * 2 * B, pos + g * B, acc[0]);
  if (w.groups > full) {
    alignas(16) float tail[MR][4] = {};
    const float* tp[MR];
    for (int r = 0; r < MR; ++r) {
      for (int64_t t = 0; t < w.k - full * 4; ++t) tail[r][t] = ar[r][full * 4 + t];
      tp[r] = tail[r];
    }
    group_step<MR>(tp, 0, val + full * 2 * B, pos + full * B, acc[0]);
  }
  const int64_t f0 = b * B;
  const int cols = static_cast<int>(std::min(B, w.n - f0));
  const __m256 lo = _mm256_set1_ps(p.clamp_min), hi = _mm256_set1_ps(p.clamp_max);
  for (int h = 0; h < 2; ++h) {
    const int hc = std::min(8, cols - h * 8);
    if (hc <= 0) break;
    const __m256i m = lane_mask(hc);
    const __m256 bias = p.bias != nullptr ? _mm256_maskload_ps(p.bias + f0 + h * 8, m) : _mm256_setzero_ps();
    for (int r = 0; r < MR; ++r) {
      __m256 y = _mm256_add_ps(acc[0][h][0][r], acc[0][h][1][r]);
      if constexpr (kSets > 1) y = _mm256_add_ps(y, _mm256_add_ps(acc[1][h][0][r], acc[1][h][1][r]));
      y = _mm256_add_ps(y, bias);
      if (p.activation == GemmActivation::kRelu) {
        y = _mm256_max_ps(y, _mm256_setzero_ps());
      } else if (p.activation == GemmActivation::kClamp) {
        y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
      }
      _mm256_maskstore_ps(out[r] + f0 + h * 8, m, y);
    }
  }
}

void nm24_avx2(const Nm24Matrix& w, int64_t block_begin, int64_t block_end, const float* a, int64_t lda,
               int64_t rows, float* c, int64_t ldc, const Nm24Params& p) {
  for (int64_t b = block_begin; b < block_end; ++b) {
    for (int64_t r0 = 0; r0 < rows; r0 += kMaxRows) {
      const int mr = static_cast<int>(std::min<int64_t>(kMaxRows, rows - r0));
      const float* ar[kMaxRows] = {a + r0 * lda, a + (r0 + mr - 1) * lda};
      float* out[kMaxRows] = {c + r0 * ldc, c + (r0 + mr - 1) * ldc};
      if (mr == 2) {
        block_rows<2>(w, b, ar, out, p);
      } else {
        block_rows<1>(w, b, ar, out, p);
      }
    }
  }
}

}  // namespace

const Nm24Ukernel kNm24Avx2 = {"nm24_f32__avx2_2x16", Isa::kAvx2, &nm24_avx2};

}  // namespace fastserve
