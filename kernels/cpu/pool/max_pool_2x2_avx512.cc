// max_pool_f32_2x2s2__avx512: MaxPool with a 2x2 window, stride 2, no
// padding or dilation, floor mode (VGG's and most small CNNs' pooling), FP32
// NCHW. Each output row reads two input rows: a vertical max of 32 input
// columns, then the even and odd columns picked apart with two
// vpermt2ps and maxed, 16 outputs per step; the row tail is masked. The
// separable portable kernel (pool.cc) spends its time on the stride-2
// column gather here (the Fashion-MNIST CNN's two pools: 6 us each).
#include <immintrin.h>

#include <algorithm>

#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// One output row of `ow` values from input rows r0 and r1.
inline void pool_row(const float* r0, const float* r1, int64_t ow, float* y) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  int64_t ox = 0;
  for (; ox + 16 <= ow; ox += 16) {
    const __m512 lo = _mm512_max_ps(_mm512_loadu_ps(r0 + 2 * ox), _mm512_loadu_ps(r1 + 2 * ox));
    const __m512 hi = _mm512_max_ps(_mm512_loadu_ps(r0 + 2 * ox + 16), _mm512_loadu_ps(r1 + 2 * ox + 16));
    _mm512_storeu_ps(
        y + ox, _mm512_max_ps(_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi)));
  }
  if (ox < ow) {
    // 2 * (ow - ox) < 32 inputs left, all inside the row (floor mode).
    const int in_left = static_cast<int>(2 * (ow - ox));
    const __mmask16 m_lo = static_cast<__mmask16>(in_left >= 16 ? 0xFFFF : (1u << in_left) - 1u);
    const __mmask16 m_hi = static_cast<__mmask16>(in_left > 16 ? (1u << (in_left - 16)) - 1u : 0u);
    const __mmask16 m_out = static_cast<__mmask16>((1u << (ow - ox)) - 1u);
    const __m512 lo =
        _mm512_max_ps(_mm512_maskz_loadu_ps(m_lo, r0 + 2 * ox), _mm512_maskz_loadu_ps(m_lo, r1 + 2 * ox));
    const __m512 hi = _mm512_max_ps(_mm512_maskz_loadu_ps(m_hi, r0 + 2 * ox + 16),
                                    _mm512_maskz_loadu_ps(m_hi, r1 + 2 * ox + 16));
    _mm512_mask_storeu_ps(
        y + ox, m_out,
        _mm512_max_ps(_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi)));
  }
}

}  // namespace

// Registered (and accepted) by pool.cc, which is built for the baseline ISA.
Status run_max_pool_2x2_avx512(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4 || y.rank() != 4) {
    return ctx.node.error(StatusCode::kInvalidArgument, "want a rank-4 input, got " + x.shape().to_string());
  }
  const int64_t h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
  if (2 * oh > h || 2 * ow > w) {
    return ctx.node.error(
        StatusCode::kInvalidArgument,
        "output " + y.shape().to_string() + " does not fit a 2x2 stride-2 pool of " + x.shape().to_string());
  }
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, oh * ow * 4));
  ctx.pool->parallel_for(planes, grain, [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = xd + pl * h * w;
      float* yp = yd + pl * oh * ow;
      for (int64_t oy = 0; oy < oh; ++oy) pool_row(xp + 2 * oy * w, xp + (2 * oy + 1) * w, ow, yp + oy * ow);
    }
  });
  return ok_status();
}

}  // namespace fastserve
