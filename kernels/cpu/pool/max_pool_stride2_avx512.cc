// The stride-2 MaxPools most CNNs use, FP32 NCHW, AVX-512, floor mode:
//   max_pool_f32_2x2s2__avx512   2x2 window, no padding (VGG, small CNNs):
//     a vertical max of two input rows 32 columns at a time, the even and
//     odd columns picked apart with two vpermt2ps and maxed, 16 outputs a
//     step; the row tail is masked;
//   max_pool_f32_3x3s2p1__avx512 3x3 window, padding 1 (ResNet's stem): the
//     vertical max of the valid rows into a row padded with -inf, then
//     out[x] = max(t[2x], t[2x+1], t[2x+2]) from three vpermt2ps.
// The separable portable kernel (pool.cc) spends its time on the stride-2
// column gather these replace. pool.cc registers them and holds accepts().
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// The even / odd lane indices of a 32-float pair for vpermt2ps. Plain ints,
// loaded inside the kernels: a namespace-scope __m512i would be built by a
// static initializer with AVX-512 instructions, which runs at start-up on
// every machine and kills the binary with SIGILL on one without AVX-512.
alignas(64) constexpr int32_t kEvenIdx[16] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
alignas(64) constexpr int32_t kOddIdx[16] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
inline __m512i even_lanes() { return _mm512_load_si512(kEvenIdx); }
inline __m512i odd_lanes() { return _mm512_load_si512(kOddIdx); }

// One output row of `ow` values from input rows r0 and r1.
inline void pool_row(const float* r0, const float* r1, int64_t ow, float* y) {
  const __m512i even = even_lanes(), odd = odd_lanes();
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

// Built in pool.cc for the baseline ISA: the error message's strings and
// NodeView::error are inline code that, compiled here, would be AVX-512
// copies the linker may keep for every caller (check_isa_objects.sh).
Status max_pool_stride2_shape_error(const KernelContext& ctx, const char* what);

// Registered (and accepted) by pool.cc, which is built for the baseline ISA.
Status run_max_pool_2x2_avx512(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4 || y.rank() != 4) {
    return max_pool_stride2_shape_error(ctx, "want a rank-4 input");
  }
  const int64_t h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
  if (2 * oh > h || 2 * ow > w) {
    return max_pool_stride2_shape_error(ctx, "the output does not fit a 2x2 stride-2 pool of the input");
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

namespace {

// Row t (length >= w + 2 + 48, t[0] and t[w + 1 ..] already -inf) gets
// t[1 + x] = max over rows[0 .. count) of rows[i][x].
inline void vertical_max(const float* const* rows, int count, int64_t w, float* t) {
  int64_t x = 0;
  for (; x + 16 <= w; x += 16) {
    __m512 m = _mm512_loadu_ps(rows[0] + x);
    for (int i = 1; i < count; ++i) m = _mm512_max_ps(m, _mm512_loadu_ps(rows[i] + x));
    _mm512_storeu_ps(t + 1 + x, m);
  }
  if (x < w) {
    const __mmask16 mk = static_cast<__mmask16>((1u << (w - x)) - 1u);
    __m512 m = _mm512_maskz_loadu_ps(mk, rows[0] + x);
    for (int i = 1; i < count; ++i) m = _mm512_max_ps(m, _mm512_maskz_loadu_ps(mk, rows[i] + x));
    _mm512_mask_storeu_ps(t + 1 + x, mk, m);
  }
}

// y[x] = max(t[2x], t[2x+1], t[2x+2]) for x < ow; t is padded past 2 * ow + 2.
inline void columns_3_stride_2(const float* t, int64_t ow, float* y) {
  const __m512i even = even_lanes(), odd = odd_lanes();
  for (int64_t x = 0; x < ow; x += 16) {
    const float* p = t + 2 * x;
    const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
    const __m512 a2 = _mm512_loadu_ps(p + 2), b2 = _mm512_loadu_ps(p + 18);
    const __m512 m =
        _mm512_max_ps(_mm512_max_ps(_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b)),
                      _mm512_permutex2var_ps(a2, even, b2));
    if (x + 16 <= ow) {
      _mm512_storeu_ps(y + x, m);
    } else {
      _mm512_mask_storeu_ps(y + x, static_cast<__mmask16>((1u << (ow - x)) - 1u), m);
    }
  }
}

}  // namespace

Status run_max_pool_3x3s2p1_avx512(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4 || y.rank() != 4) {
    return max_pool_stride2_shape_error(ctx, "want a rank-4 input");
  }
  const int64_t h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
  if (oh != (h - 1) / 2 + 1 || ow != (w - 1) / 2 + 1) {
    return max_pool_stride2_shape_error(ctx, "the output is not a 3x3 stride-2 pad-1 pool of the input");
  }
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, oh * ow * 9));
  ctx.pool->parallel_for(planes, grain, [&](int64_t begin, int64_t end) {
    // -inf stands for the padding: it never wins a max.
    std::vector<float> row(static_cast<size_t>(w + 2 + 48), -std::numeric_limits<float>::infinity());
    float* t = row.data();
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = xd + pl * h * w;
      float* yp = yd + pl * oh * ow;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const float* rows[3];
        int count = 0;
        for (int64_t iy = 2 * oy - 1; iy <= 2 * oy + 1; ++iy) {
          if (iy >= 0 && iy < h) rows[count++] = xp + iy * w;
        }
        vertical_max(rows, count, w, t);
        columns_3_stride_2(t, ow, yp + oy * ow);
      }
    }
  });
  return ok_status();
}

}  // namespace fastserve
