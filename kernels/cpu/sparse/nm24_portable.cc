// nm24_f32__portable_16: the 2:4 microkernel (nm24_ukernel.h) in plain C++
// at the baseline ISA: the format's product stated plainly, which the SIMD
// variants are tested alongside; also the function that picks the
// microkernel for a session ISA. One row of A at a time over a block's 16
// features. Its picks are scalar loads, so it ran at 0.33-0.85x of the
// portable GEMM (nm24_matrix.h) and no descriptor uses it: without AVX2 a
// 2:4 layer runs dense.
#include <algorithm>

#include "kernels/cpu/sparse/nm24_ukernel.h"

namespace fastserve {
namespace {

void nm24_portable(const Nm24Matrix& w, int64_t block_begin, int64_t block_end, const float* a, int64_t lda,
                   int64_t rows, float* c, int64_t ldc, const Nm24Params& p) {
  constexpr int64_t B = kNm24Block;
  const int64_t full = w.k / 4;
  for (int64_t b = block_begin; b < block_end; ++b) {
    const float* val = w.block_val(b);
    const uint8_t* pos = w.block_pos(b);
    const int64_t f0 = b * B, cols = std::min(B, w.n - f0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* ar = a + r * lda;
      // The last, shorter group reads a zero-padded copy: never past the row.
      float tail[4] = {0.f, 0.f, 0.f, 0.f};
      for (int64_t t = 0; t < w.k - full * 4; ++t) tail[t] = ar[full * 4 + t];
      float acc[B] = {};
      for (int64_t g = 0; g < w.groups; ++g) {
        const float* x = g < full ? ar + g * 4 : tail;
        const float* v0 = val + g * 2 * B;
        const float* v1 = v0 + B;
        const uint8_t* pg = pos + g * B;
        for (int64_t j = 0; j < B; ++j) acc[j] += v0[j] * x[pg[j] & 3] + v1[j] * x[(pg[j] >> 2) & 3];
      }
      float* out = c + r * ldc + f0;
      for (int64_t j = 0; j < cols; ++j)
        out[j] = nm24_activate(acc[j] + (p.bias != nullptr ? p.bias[f0 + j] : 0.f), p);
    }
  }
}

}  // namespace

const Nm24Ukernel kNm24Portable = {"nm24_f32__portable_16", Isa::kScalar, &nm24_portable};

const Nm24Ukernel& nm24_ukernel_for_isa(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kNm24Avx512;
  if (isa >= Isa::kAvx2) return kNm24Avx2;
#endif
  (void)isa;
  return kNm24Portable;
}

}  // namespace fastserve
