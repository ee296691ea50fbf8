// nm24_f32__avx512_8x16: the 2:4 microkernel (nm24_ukernel.h) on AVX-512F.
// A block of 16 output features is one zmm; per group of 4 along K: the 16
// position bytes widened to dword indices (vpmovzxbd; slot 1's shifted
// right by 2), the two value vectors loaded, and for each row of the chunk
// A[r][4g..4g+3] broadcast to the four 128-bit lanes (vbroadcastf32x4),
// permuted in-lane (vpermilps, 1-cycle latency: it reads only the low 2
// index bits) and multiplied in with two FMAs. Up to 8 rows a chunk; chunks
// of at most 4 rows keep two accumulator sets that take alternate groups,
// so even M = 1 has 4 independent FMA chains. The feature tail is masked.
#include <immintrin.h>

#include <algorithm>

#include "kernels/cpu/sparse/nm24_ukernel.h"

namespace fastserve {
namespace {

constexpr int kMaxRows = 8;

template <int MR>
__attribute__((always_inline)) inline void group_step(const float* const* x, int64_t off, const float* val,
                                                      const uint8_t* pos, __m512* acc0, __m512* acc1) {
  const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pos)));
  const __m512i i1 = _mm512_srli_epi32(i0, 2);
  const __m512 v0 = _mm512_loadu_ps(val), v1 = _mm512_loadu_ps(val + kNm24Block);
  for (int r = 0; r < MR; ++r) {
    const __m512 a = _mm512_broadcast_f32x4(_mm_loadu_ps(x[r] + off));
    acc0[r] = _mm512_fmadd_ps(v0, _mm512_permutevar_ps(a, i0), acc0[r]);
    acc1[r] = _mm512_fmadd_ps(v1, _mm512_permutevar_ps(a, i1), acc1[r]);
  }
}

// Rows [0, MR) of A (row pointers `ar`) against block b, into `out` rows.
template <int MR>
void block_rows(const Nm24Matrix& w, int64_t b, const float* const* ar, float* const* out,
                const Nm24Params& p) {
  constexpr int kSets = MR <= 4 ? 2 : 1;
  constexpr int64_t B = kNm24Block;
  const float* val = w.block_val(b);
  const uint8_t* pos = w.block_pos(b);
  const int64_t full = w.k / 4;
  __m512 acc0[kSets][MR], acc1[kSets][MR];
  for (int s = 0; s < kSets; ++s) {
    for (int r = 0; r < MR; ++r) acc0[s][r] = acc1[s][r] = _mm512_setzero_ps();
  }
  int64_t g = 0;
  for (; g + kSets <= full; g += kSets) {
    for (int s = 0; s < kSets; ++s) {
      group_step<MR>(ar, (g + s) * 4, val + (g + s) * 2 * B, pos + (g + s) * B, acc0[s], acc1[s]);
    }
  }
  for (; g < full; ++g) group_step<MR>(ar, g * 4, val + g * 2 * B, pos + g * B, acc0[0], acc1[0]);
  if (w.groups > full) {
    // The shorter last group reads a zero-padded copy of its activations.
    alignas(16) float tail[MR][4] = {};
    const float* tp[MR];
    for (int r = 0; r < MR; ++r) {
      for (int64_t t = 0; t < w.k - full * 4; ++t) tail[r][t] = ar[r][full * 4 + t];
      tp[r] = tail[r];
    }
    group_step<MR>(tp, 0, val + full * 2 * B, pos + full * B, acc0[0], acc1[0]);
  }
  const int64_t f0 = b * B;
  const int cols = static_cast<int>(std::min(B, w.n - f0));
  const __mmask16 m = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1u);
  const __m512 bias = p.bias != nullptr ? _mm512_maskz_loadu_ps(m, p.bias + f0) : _mm512_setzero_ps();
  const __m512 lo = _mm512_set1_ps(p.clamp_min), hi = _mm512_set1_ps(p.clamp_max);
  for (int r = 0; r < MR; ++r) {
    __m512 y = _mm512_add_ps(acc0[0][r], acc1[0][r]);
    if constexpr (kSets > 1) y = _mm512_add_ps(y, _mm512_add_ps(acc0[1][r], acc1[1][r]));
    y = _mm512_add_ps(y, bias);
    // Zero-masking forms: GCC 12's unmasked max/min trip -Wmaybe-uninitialized.
    if (p.activation == GemmActivation::kRelu) {
      y = _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), y, _mm512_setzero_ps());
    } else if (p.activation == GemmActivation::kClamp) {
      y = _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF),
                              _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), y, lo), hi);
    }
    _mm512_mask_storeu_ps(out[r] + f0, m, y);
  }
}

using BlockRowsFn = void (*)(const Nm24Matrix&, int64_t, const float* const*, float* const*,
                             const Nm24Params&);
constexpr BlockRowsFn kBlockRows[kMaxRows + 1] = {nullptr,        &block_rows<1>, &block_rows<2>,
                                                  &block_rows<3>, &block_rows<4>, &block_rows<5>,
                                                  &block_rows<6>, &block_rows<7>, &block_rows<8>};

void nm24_avx512(const Nm24Matrix& w, int64_t block_begin, int64_t block_end, const float* a, int64_t lda,
                 int64_t rows, float* c, int64_t ldc, const Nm24Params& p) {
  for (int64_t b = block_begin; b < block_end; ++b) {
    for (int64_t r0 = 0; r0 < rows; r0 += kMaxRows) {
      const int mr = static_cast<int>(std::min<int64_t>(kMaxRows, rows - r0));
      const float* ar[kMaxRows];
      float* out[kMaxRows];
      for (int r = 0; r < mr; ++r) {
        ar[r] = a + (r0 + r) * lda;
        out[r] = c + (r0 + r) * ldc;
      }
      kBlockRows[mr](w, b, ar, out, p);
    }
  }
}

}  // namespace

const Nm24Ukernel kNm24Avx512 = {"nm24_f32__avx512_8x16", Isa::kAvx512, &nm24_avx512};

}  // namespace fastserve
