// The depthwise 3x3 plane body, written once over a vector-traits type V and
// instantiated per ISA by conv_depthwise_{portable,avx2,avx512}.cc (each
// defines V in an anonymous namespace, and everything here has internal
// linkage, so copies compiled with different flags never mix). Include it
// only from those files. Contract: conv_depthwise_ukernels.h.
//
// V provides: Reg, kWidth, zero, set1, load, load_first(p, n) (lanes [0, n),
// the rest 0, never faulting), load_even(p) / load_odd(p) (the even / odd
// elements of the 2*kWidth floats at p), store, fma(a, b, c) = a*b + c, add,
// max, min.
//
// Instead of load_even / load_odd, V may provide shift<N>(lo, hi) (lanes N..
// of the concatenation lo:hi, valignd) and even(lo, hi) / odd(lo, hi) on
// registers (AVX-512): then every load is a whole aligned vector and the tap
// offsets come from register shifts. On the Ice Lake AVX-512 host a 64-byte
// load that crosses a cache line costs about two aligned ones: in a minimal
// 9-FMA loop the loads at +1 and +2 floats took 14 cycles per output
// vector, against 5.7 with every load aligned.
//
// The zero-padded copy of the input plane (see dw3x3_plane) makes every
// output vector branch-free; stride 2 de-interleaves even and odd input
// columns in registers; every load stays inside the padded rows.
#pragma once

#include <cstdint>

#include "kernels/cpu/conv/conv_depthwise_ukernels.h"

namespace fastserve::depthwise_impl {
namespace {

// One output plane. The input is first copied into a zero-padded buffer
// whose rows cover every tap of every output column, rounded up to whole
// vectors; the borders (and padding) then cost nothing more than that copy,
// and every output vector runs the same branch-free loop. (Computing the
// border columns with bounds checks instead left 2 of every 56 columns, plus
// the row's vector tail, to a scalar path that took half the time.)
template <class V, int S>
void dw3x3_plane(const DepthwisePlaneArgs& a) {
  using Reg = typename V::Reg;
  constexpr int64_t W = V::kWidth;
  const int64_t ow_pad = (a.ow + W - 1) / W * W;
  const int64_t rows = S * (a.oh - 1) + 3;  // input rows -pad_top .. (oh-1)*S - pad_top + 2
  // Whole vectors, so that every row starts 64-byte aligned (scratch is).
  const int64_t stride = (S * ow_pad + 2 + 2 * W + W - 1) / W * W;
  constexpr bool kRegisterShifts = requires(Reg v) { V::template shift<1>(v, v); };
  float* buf = a.scratch;
  // Zeros everywhere once per run and thread (the same geometry for every
  // plane), then each plane only overwrites the input region. Vector
  // stores and copies: plain loops here became memset / memcpy calls per
  // row, which dominated small (7x7) planes.
  if (a.zero_buffer) {
    const Reg zero = V::zero();
    for (int64_t q = 0; q < rows * stride; q += W) V::store(buf + q, zero);
  }
  const int64_t copy_w = a.pad_left + a.width < stride ? a.width : stride - a.pad_left;
  for (int64_t r = 0; r < rows && a.pad_left < stride; ++r) {
    const int64_t iy = r - a.pad_top;
    if (iy < 0 || iy >= a.h) continue;
    // Buffer column q holds input column q - pad_left.
    float* dst = buf + r * stride + a.pad_left;
    const float* src = a.x + iy * a.width;
    int64_t q = 0;
    for (; q + W <= copy_w; q += W) V::store(dst + q, V::load(src + q));
    for (; q < copy_w; ++q) dst[q] = src[q];
  }
  Reg wv[9];
  for (int i = 0; i < 9; ++i) wv[i] = V::set1(a.w[i]);
  const Reg vbias = V::set1(a.bias);
  const Reg vlo = V::set1(a.lo), vhi = V::set1(a.hi);
  alignas(64) float tail[W];
  // Row tails may spill into the next row unless Y is also the residual Z
  // (whose next row must still be read).
  const bool spill_ok = a.z != a.y;
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    const float* r0 = buf + oy * S * stride;
    float* yrow = a.y + oy * a.ow;
    const float* zrow = a.z != nullptr ? a.z + oy * a.ow : nullptr;
    for (int64_t ox = 0; ox < a.ow; ox += W) {
      const int64_t base = ox * S;
      // One partial sum per kernel row: three short FMA chains, not one long one.
      Reg part[3];
      for (int ki = 0; ki < 3; ++ki) {
        const float* r = r0 + ki * stride + base;
        Reg acc = ki == 0 ? vbias : V::zero();
        if constexpr (kRegisterShifts && S == 1) {
          const Reg v0 = V::load(r), v1 = V::load(r + W);
          acc = V::fma(wv[ki * 3 + 0], v0, acc);
          acc = V::fma(wv[ki * 3 + 1], V::template shift<1>(v0, v1), acc);
          acc = V::fma(wv[ki * 3 + 2], V::template shift<2>(v0, v1), acc);
        } else if constexpr (kRegisterShifts) {
          // Tap 2's lanes are tap 0's shifted by one, the last one from v2[0].
          const Reg v0 = V::load(r), v1 = V::load(r + W), v2 = V::load(r + 2 * W);
          const Reg even = V::even(v0, v1);
          acc = V::fma(wv[ki * 3 + 0], even, acc);
          acc = V::fma(wv[ki * 3 + 1], V::odd(v0, v1), acc);
          acc = V::fma(wv[ki * 3 + 2], V::template shift<1>(even, v2), acc);
        } else if constexpr (S == 1) {
          acc = V::fma(wv[ki * 3 + 0], V::load(r), acc);
          acc = V::fma(wv[ki * 3 + 1], V::load(r + 1), acc);
          acc = V::fma(wv[ki * 3 + 2], V::load(r + 2), acc);
        } else {
          // Columns base + 2j (tap 0), base + 2j + 1 (tap 1), base + 2j + 2
          // (tap 2, the odd elements of the run starting at base + 1).
          acc = V::fma(wv[ki * 3 + 0], V::load_even(r), acc);
          acc = V::fma(wv[ki * 3 + 1], V::load_odd(r), acc);
          acc = V::fma(wv[ki * 3 + 2], V::load_odd(r + 1), acc);
        }
        part[ki] = acc;
      }
      Reg acc = V::add(V::add(part[0], part[1]), part[2]);
      const int64_t n = a.ow - ox < W ? a.ow - ox : W;
      // A short vector may run into the next output rows, which are
      // computed (and overwritten) next, but never past this plane's end:
      // the next plane may belong to another thread, or be past the tensor.
      const bool spill = spill_ok && (a.oh - oy) * a.ow - ox >= W;
      if (n == W || spill) {
        if (zrow != nullptr) acc = V::add(acc, n == W ? V::load(zrow + ox) : V::load_first(zrow + ox, static_cast<int>(n)));
        if (a.clamp) acc = V::min(V::max(acc, vlo), vhi);
        V::store(yrow + ox, acc);
      } else {
        // The row's tail: through a small buffer (masked stores are slow on
        // some CPUs, and a full store would run into the next row).
        V::store(tail, acc);
        for (int64_t e = 0; e < n; ++e) {
          float v = tail[e] + (zrow != nullptr ? zrow[ox + e] : 0.f);
          if (a.clamp) {
            v = v < a.lo ? a.lo : v;
            v = v > a.hi ? a.hi : v;
          }
          yrow[ox + e] = v;
        }
      }
    }
  }
}

}  // namespace
}  // namespace fastserve::depthwise_impl
