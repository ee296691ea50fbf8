// The Winograd F(4x4, 3x3) input and output transforms (contract:
// conv_winograd.h), written once over a vector-traits type V and
// instantiated per ISA by conv_winograd_{portable,avx2,avx512}.cc (each
// defines V in an anonymous namespace and everything here has internal
// linkage, so copies compiled with different flags never mix). Include only
// from those files.
//
// V provides: Reg, kWidth, zero(), set1(x), load(p), store(p, v),
// load_first(p, n) / store_first(p, n, v) (lanes [0, n), n in [0, kWidth];
// other lanes read as 0 / left untouched, never faulting), add, sub, mul,
// fma(a, b, c) = a*b + c, min, max, rotate_down(v, s) (lane i <- lane i + s,
// 0 < s < kWidth), shift_in(v, p) (lane i <- lane i + 1, the last lane <-
// *p), load_deinterleave4(p, a, b, c, d) (a[i] = p[4i], b[i] = p[4i+1], ...
// from 4*kWidth floats) and store_interleave4(p, a, b, c, d) (the inverse).
//
// Both transforms are separable and run over a "run" of up to kMaxRun tiles
// that share a tile row, kWidth tiles per vector:
//   input:  (1) B^T over the 6 input rows, for every input column of the run
//               (contiguous loads from the 6 rows);
//           (2) the 4 column phases de-interleaved in registers (column
//               4*i + q of tile i), then B^T over each tile's 6 columns, and
//               the 36 results stored into the packed B panels (a vector of
//               tiles that crosses a panel boundary is split in two masked
//               stores).
//   output: (1) A^T over the 6 rows of each tile's 6x6 block (contiguous
//               over tiles in the GEMM output O); (2) A^T over the columns,
//               interleaved into one output row (column 4*i + j); then bias,
//               Z and Relu / Clip on the row as it is stored, and any other
//               activation on the stored row.
#pragma once

#include <cstdint>

#include "kernels/cpu/conv/conv_winograd.h"

namespace fastserve::winograd_impl {
namespace {

constexpr int64_t kMaxRun = 64;  // tiles per run

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// Calls fn(img, ty, tx0, len, j) for the runs covering tiles [t0, t0 + nt):
// tiles tx0..tx0+len-1 of row ty of image img, at offset j in the block.
template <class Fn>
void for_each_run(const WinogradGeom& g, int64_t t0, int64_t nt, Fn fn) {
  const int64_t per_image = g.tiles_y * g.tiles_x;
  int64_t t = t0;
  const int64_t end = t0 + nt;
  while (t < end) {
    const int64_t img = t / per_image;
    const int64_t ty = (t % per_image) / g.tiles_x;
    const int64_t tx = t % g.tiles_x;
    const int64_t len = min64(min64(g.tiles_x - tx, end - t), kMaxRun);
    fn(img, ty, tx, len, t - t0);
    t += len;
  }
}

// B^T applied to 6 values (one column or one row of a tile).
template <class V>
inline void bt6(typename V::Reg a0, typename V::Reg a1, typename V::Reg a2, typename V::Reg a3, typename V::Reg a4,
                typename V::Reg a5, typename V::Reg out[6]) {
  using Reg = typename V::Reg;
  const Reg four = V::set1(4.f), five = V::set1(5.f), two = V::set1(2.f);
  const Reg a4_a2 = V::sub(a4, a2);
  const Reg a1_a3 = V::sub(a1, a3);
  // 4*a0 - 5*a2 + a4, -4*(a1 + a2) + (a3 + a4), 4*(a1 - a2) + (a4 - a3),
  // 2*(a3 - a1) + (a4 - a2), 2*(a1 - a3) + (a4 - a2), 4*a1 - 5*a3 + a5.
  out[0] = V::fma(four, a0, V::sub(a4, V::mul(five, a2)));
  out[1] = V::sub(V::add(a3, a4), V::mul(four, V::add(a1, a2)));
  out[2] = V::fma(four, V::sub(a1, a2), V::sub(a4, a3));
  out[3] = V::sub(a4_a2, V::mul(two, a1_a3));
  out[4] = V::fma(two, a1_a3, a4_a2);
  out[5] = V::fma(four, a1, V::sub(a5, V::mul(five, a3)));
}

// A^T applied to 6 values: 4 outputs.
template <class V>
inline void at6(typename V::Reg a0, typename V::Reg a1, typename V::Reg a2, typename V::Reg a3, typename V::Reg a4,
                typename V::Reg a5, typename V::Reg out[4]) {
  using Reg = typename V::Reg;
  const Reg p12 = V::add(a1, a2), m12 = V::sub(a1, a2), p34 = V::add(a3, a4), m34 = V::sub(a3, a4);
  out[0] = V::add(V::add(a0, p12), p34);
  out[1] = V::fma(V::set1(2.f), m34, m12);
  out[2] = V::fma(V::set1(4.f), p34, p12);
  out[3] = V::add(V::fma(V::set1(8.f), m34, m12), a5);
}

// One run of a block: tiles tx0..tx0+len-1 of tile row ty of image img, at
// column j of the block.
struct Run {
  int64_t img, ty, tx0, len, j;
};

// The runs of tiles [t0, t0 + nt) (nt <= kWinogradMaxBlockTiles); returns
// their count.
int64_t list_runs(const WinogradGeom& g, int64_t t0, int64_t nt, Run* runs) {
  int64_t n = 0;
  for_each_run(g, t0, nt, [&](int64_t img, int64_t ty, int64_t tx0, int64_t len, int64_t j) {
    runs[n++] = Run{img, ty, tx0, len, j};
  });
  return n;
}

template <class V>
void input_transform(const WinogradGeom& g, const float* x, int64_t t0, int64_t nt, int64_t nr, float* v,
                     int64_t v_stride, const float* zero_row) {
  using Reg = typename V::Reg;
  constexpr int64_t W = V::kWidth;
  // u[k][q]: B^T over rows for input column q of the run; padded so the
  // de-interleaving loads (4*W columns from 4*i, plus 4 for the next tile)
  // stay inside and read zeros past the run.
  constexpr int64_t kCols = 4 * (kMaxRun + 2 * W) + W;
  alignas(64) float u[6][kCols];
  Run runs[kWinogradMaxBlockTiles];
  const int64_t n_runs = list_runs(g, t0, nt, runs);
  // Channel by channel, and within a channel column by column: a vector
  // store may then spill past its columns into the same row's later columns
  // or the next row (channel c + 1) of the panel, both written (or zeroed)
  // later, so only the last channel needs masked stores (slow on some CPUs).
  for (int64_t c = 0; c < g.c; ++c) {
    const bool last_channel = c + 1 == g.c;
    const float* xc = nullptr;
    for (int64_t ri = 0; ri < n_runs; ++ri) {
      const Run& run = runs[ri];
      if (ri == 0 || run.img != runs[ri - 1].img) xc = x + (run.img * g.c + c) * g.h * g.w;
      const int64_t len = run.len;
      const int64_t ix0 = 4 * run.tx0 - g.pad_left;
      const int64_t cols = 4 * len + 2;
      const int64_t q_lo = min64(max64(0, -ix0), cols);
      const int64_t q_hi = max64(q_lo, min64(cols, g.w - ix0));
      const int64_t q_pad = 4 * (round_up(len, W) + 1);  // columns step (2) reads
      const float* d[6];
      for (int r = 0; r < 6; ++r) {
        const int64_t iy = 4 * run.ty - g.pad_top + r;
        d[r] = iy >= 0 && iy < g.h ? xc + iy * g.w : zero_row;  // read at ix0 + q >= 0
      }
      // (1) Columns [q_lo, q_hi) from the input, zeros around them. Zeros
      // come from the same loop (lanes past q_hi load as 0) or, left of
      // q_lo, from whole-vector stores that the loop then overwrites: plain
      // zeroing loops here became a memset call per run and channel.
      const Reg zero = V::zero();
      if (q_lo > 0 && q_lo <= W) {  // the usual left pad: one vector, no loop
        for (int k = 0; k < 6; ++k) V::store(u[k], zero);
      } else {
        for (int64_t z = 0; z < q_lo; z += W) {
          for (int k = 0; k < 6; ++k) V::store(u[k] + z, zero);
        }
      }
      for (int64_t q = q_lo; q < q_pad; q += W) {
        const int64_t n = q_hi - q;
        Reg a[6], o[6];
        if (n >= W) {
          for (int r = 0; r < 6; ++r) a[r] = V::load(d[r] + (ix0 + q));
        } else if (n > 0) {
          for (int r = 0; r < 6; ++r) a[r] = V::load_first(d[r] + (ix0 + q), static_cast<int>(n));
        } else {
          for (int r = 0; r < 6; ++r) a[r] = zero;
        }
        bt6<V>(a[0], a[1], a[2], a[3], a[4], a[5], o);
        for (int k = 0; k < 6; ++k) V::store(u[k] + q, o[k]);
      }
      // (2) W tiles at a time: the 36 frequencies of each tile, stored as
      // columns of the packed B panels (column col at panel col / nr, lane
      // col % nr, row c).
      int64_t panel = run.j / nr, lane = run.j % nr;
      for (int64_t i = 0; i < len; i += W) {
        const int count = static_cast<int>(min64(W, len - i));
        const int first = static_cast<int>(min64(count, nr - lane));
        const int64_t off_a = panel * nr * g.c + c * nr + lane;
        const int64_t off_b = (panel + 1) * nr * g.c + c * nr;
        for (int k = 0; k < 6; ++k) {
          Reg p0, p1, p2, p3;
          V::load_deinterleave4(u[k] + 4 * i, p0, p1, p2, p3);  // columns 0..3 of tiles i..
          // Columns 4 and 5 are the next tiles' columns 0 and 1.
          const Reg n0 = V::shift_in(p0, u[k] + 4 * (i + W));
          const Reg n1 = V::shift_in(p1, u[k] + 4 * (i + W) + 1);
          Reg o[6];
          bt6<V>(p0, p1, p2, p3, n0, n1, o);
          for (int l = 0; l < 6; ++l) {
            float* m = v + (6 * k + l) * v_stride;
            if (!last_channel || first == W) {
              V::store(m + off_a, o[l]);
              if (first < count) V::store(m + off_b, V::rotate_down(o[l], first));
            } else {
              V::store_first(m + off_a, first, o[l]);
              if (first < count) V::store_first(m + off_b, count - first, V::rotate_down(o[l], first));
            }
          }
        }
        lane += W;
        if (lane >= nr) {
          lane -= nr;
          ++panel;
        }
      }
    }
  }
  // Columns past nt in the last panel: zero, so the GEMM never reads garbage
  // (the partial vector keeps its first lanes through a zeroing load).
  const int64_t lane_end = nt % nr;
  if (lane_end != 0) {
    const int64_t last = nt / nr;
    const int64_t base = lane_end / W * W;
    const Reg zero = V::zero();
    for (int64_t l = base; l < nr; l += W) {  // lanes outer: strided stores, not a memset per row
      for (int f = 0; f < kWinogradFreqs; ++f) {
        float* p = v + f * v_stride + last * nr * g.c + l;
        for (int64_t c = 0; c < g.c; ++c) {
          V::store(p + c * nr, l < lane_end ? V::load_first(p + c * nr, static_cast<int>(lane_end - l)) : zero);
        }
      }
    }
  }
}

template <class V>
void output_transform(const WinogradGeom& g, const float* o, int64_t ldo, int64_t o_stride, int64_t t0, int64_t nt,
                      int64_t m0, int64_t m1, const WinogradEpilogue& ep, float* y) {
  using Reg = typename V::Reg;
  constexpr int64_t W = V::kWidth;
  constexpr int64_t kRunPad = kMaxRun + W;
  alignas(64) float s[4][6][kRunPad];
  alignas(64) float row[4 * kRunPad];
  const Reg lo = V::set1(ep.lo), hi = V::set1(ep.hi);
  for_each_run(g, t0, nt, [&](int64_t img, int64_t ty, int64_t tx0, int64_t len, int64_t j) {
    const int64_t x0 = 4 * tx0;
    const int64_t ncols = min64(4 * len, g.ow - x0);
    for (int64_t m = m0; m < m1; ++m) {
      const float* om = o + (m - m0) * ldo + j;
      // (1) s[i][l][t] = sum_k AT[i][k] * O_{6k+l}[t].
      for (int64_t t = 0; t < len; t += W) {
        const int n = static_cast<int>(min64(W, len - t));
        for (int l = 0; l < 6; ++l) {
          Reg a[6], r[4];
          for (int k = 0; k < 6; ++k) {
            const float* p = om + (6 * k + l) * o_stride + t;
            a[k] = n == W ? V::load(p) : V::load_first(p, n);
          }
          at6<V>(a[0], a[1], a[2], a[3], a[4], a[5], r);
          for (int i = 0; i < 4; ++i) V::store(s[i][l] + t, r[i]);
        }
      }
      const Reg bias = V::set1(ep.bias != nullptr ? ep.bias[m] : 0.f);
      for (int i = 0; i < 4; ++i) {
        const int64_t oy = 4 * ty + i;
        if (oy >= g.oh) break;
        // (2) row[4t + jj] = sum_l AT[jj][l] * s[i][l][t] + bias.
        for (int64_t t = 0; t < len; t += W) {
          Reg r[4];
          at6<V>(V::load(s[i][0] + t), V::load(s[i][1] + t), V::load(s[i][2] + t), V::load(s[i][3] + t),
                 V::load(s[i][4] + t), V::load(s[i][5] + t), r);
          V::store_interleave4(row + 4 * t, V::add(r[0], bias), V::add(r[1], bias), V::add(r[2], bias),
                               V::add(r[3], bias));
        }
        const int64_t y_off = ((img * g.m + m) * g.oh + oy) * g.ow + x0;
        float* yrow = y + y_off;
        const float* zrow = ep.z != nullptr ? ep.z + y_off : nullptr;
        // Full vectors straight into Y; the tail through the (padded) row
        // buffer and a short copy, since masked stores are slow on some CPUs.
        for (int64_t xx = 0; xx < ncols; xx += W) {
          const int n = static_cast<int>(min64(W, ncols - xx));
          Reg val = V::load(row + xx);
          if (zrow != nullptr) val = V::add(val, n == W ? V::load(zrow + xx) : V::load_first(zrow + xx, n));
          if (ep.clamp) val = V::min(V::max(val, lo), hi);
          if (n == W) {
            V::store(yrow + xx, val);
          } else {
            V::store(row + xx, val);
            for (int e = 0; e < n; ++e) yrow[xx + e] = row[xx + e];
          }
        }
        if (ep.row != nullptr) ep.row(yrow, yrow, ncols, ep.row_params);
      }
    }
  });
}

}  // namespace
}  // namespace fastserve::winograd_impl
