// The GEMM microkernel bodies, written once over a vector-traits type V and
// instantiated per ISA by gemm_avx512.cc, gemm_avx2.cc and gemm_portable.cc
// (each defines its V in an anonymous namespace, so instantiations never
// collide across files compiled with different flags). Include it only from
// those files. Contracts and packed layouts: gemm_ukernel.h.
//
// V provides: Reg, Mask, kWidth, zero(), set1(x), load(p), broadcast(p),
// fma(a, b, c) = a*b + c, mul, add, max, min, reduce_add(v) (sum of lanes),
// mask(count) (first `count` lanes, count may be <= 0 or >= kWidth),
// load_mask(p, m) (masked-off lanes read as 0), store(p, v),
// store_mask(p, m, v). Masked loads must not fault on masked-off lanes.
//
// Tile: MR rows x NV vectors. The k loop keeps MR*NV accumulators in
// registers, loads NV vectors of B and broadcasts one A value per row
// (the BLIS/XNNPACK "broadcast" formulation).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "kernels/cpu/gemm/gemm_ukernel.h"

namespace fastserve::gemm_impl {

// Broadcast epilogue operands, set up once per tile.
template <class V>
struct EpilogueConsts {
  using Reg = typename V::Reg;
  Reg alpha, beta, zero, lo, hi;
  explicit EpilogueConsts(const GemmUkernelParams& p)
      : alpha(V::set1(p.alpha)), beta(V::set1(p.beta)), zero(V::zero()), lo(V::set1(p.clamp_min)),
        hi(V::set1(p.clamp_max)) {}
};

// act(alpha * x + beta * C + bias) for one vector of C at `c` (read only when
// beta != 0; masked when !full). `bias` is added when has_bias.
template <class V>
inline typename V::Reg finish(typename V::Reg x, const float* c, bool full, typename V::Mask mask,
                              typename V::Reg bias, bool has_bias, const GemmUkernelParams& p,
                              const EpilogueConsts<V>& e) {
  if (p.alpha != 1.f) x = V::mul(x, e.alpha);
  if (p.beta != 0.f) {
    const typename V::Reg old = full ? V::load(c) : V::load_mask(c, mask);
    x = p.beta == 1.f ? V::add(x, old) : V::fma(old, e.beta, x);
  }
  if (has_bias) x = V::add(x, bias);
  switch (p.activation) {
    case GemmActivation::kNone:
      break;
    case GemmActivation::kRelu:
      x = V::max(x, e.zero);
      break;
    case GemmActivation::kClamp:
      x = V::min(V::max(x, e.lo), e.hi);
      break;
  }
  return x;
}

// Computes rows [0, MR) and vectors [0, NV) of a tile. kBPanel > 0: B is a
// packed panel with kBPanel floats per k step (NV * kWidth <= kBPanel: the
// narrow tiles serve column tails). kBPanel == 0: B is kc rows of a plain
// matrix, ldb apart, and each row read is also stored, packed, to
// b_pack + k*NR (the fused packing of gemm_ukernel.h). kAPanel > 0: A is a
// packed panel with kAPanel floats per k step; kAPanel == 0: A is MR rows,
// lda apart.
template <class V, int MR, int NV, int kBPanel, int kAPanel>
__attribute__((always_inline)) inline void tile_body(int n, int64_t kc, const float* a, int64_t lda,
                                                     const float* b, int64_t ldb, float* b_pack, float* c,
                                                     int64_t ldc, const GemmUkernelParams& params) {
  using Reg = typename V::Reg;
  // A local copy: stores to C (or B) cannot alias it, so its fields stay in registers.
  const GemmUkernelParams p = params;
  constexpr int W = V::kWidth;
  constexpr int NR = NV * W;
  // Two FMA pipes with 4 cycles of latency need >= 8 independent chains.
  // Tiles with fewer accumulators (row tails, M = 1) keep S sets of them,
  // one per k step mod S, summed at the end.
  constexpr int kChains = MR * NV;
  constexpr int S = (W > 1 && kChains < 8) ? (8 + kChains - 1) / kChains : 1;

  // C is only touched after the k loop: start pulling its lines in now.
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    __builtin_prefetch(c + r * ldc, 1);
    __builtin_prefetch(c + r * ldc + NR - 1, 1);
  }

  Reg acc[S][MR][NV];
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[s][r][v] = V::zero();
    }
  }
  // One k step into accumulator set s: NV loads of B, MR broadcasts of A.
  auto step = [&](int64_t k, int s) __attribute__((always_inline)) {
    Reg bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if constexpr (kBPanel > 0) {
        bv[v] = V::load(b + k * kBPanel + v * W);
      } else {
        bv[v] = V::load(b + k * ldb + v * W);
        V::store(b_pack + k * NR + v * W, bv[v]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const Reg av = kAPanel > 0 ? V::broadcast(a + k * kAPanel + r) : V::broadcast(a + r * lda + k);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[s][r][v] = V::fma(av, bv[v], acc[s][r][v]);
    }
  };
  int64_t k = 0;
  if constexpr (S > 1) {
    for (; k + S <= kc; k += S) {
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) step(k + s, s);
    }
  }
#pragma GCC unroll 4
  for (; k < kc; ++k) step(k, 0);
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[0][r][v] = V::add(acc[0][r][v], acc[s][r][v]);
    }
  }

  // Epilogue. The common cases first: a full tile that only stores (beta 0)
  // or accumulates (beta 1, the K slices after the first).
  const bool full = n >= NR;
  const bool has_bias = p.row_bias != nullptr || p.col_bias != nullptr;
  if (full && p.alpha == 1.f && !has_bias && p.activation == GemmActivation::kNone &&
      (p.beta == 0.f || p.beta == 1.f)) {
    if (p.beta == 0.f) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) V::store(c + r * ldc + v * W, acc[0][r][v]);
      }
    } else {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          V::store(c + r * ldc + v * W, V::add(acc[0][r][v], V::load(c + r * ldc + v * W)));
        }
      }
    }
    return;
  }
  // General: alpha, beta*C, biases, activation; masked on the column tail.
  typename V::Mask masks[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) masks[v] = V::mask(n - v * W);
  const EpilogueConsts<V> e(p);
  Reg col_bias[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) col_bias[v] = e.zero;
  if (p.col_bias != nullptr) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      col_bias[v] = full ? V::load(p.col_bias + v * W) : V::load_mask(p.col_bias + v * W, masks[v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* crow = c + r * ldc;
    const Reg row_bias = p.row_bias != nullptr ? V::set1(p.row_bias[r]) : e.zero;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (!full && v * W >= n) break;
      const Reg x = finish<V>(acc[0][r][v], crow + v * W, full, masks[v], V::add(row_bias, col_bias[v]), has_bias, p, e);
      if (full) {
        V::store(crow + v * W, x);
      } else {
        V::store_mask(crow + v * W, masks[v], x);
      }
    }
  }
}

// A tile on a packed B panel (GemmUkernelFn's tile).
template <class V, int MR, int NV, int kBPanel, int kAPanel>
void gemm_tile(int n, int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
               const GemmUkernelParams& p) {
  tile_body<V, MR, NV, kBPanel, kAPanel>(n, kc, a, lda, b, 0, nullptr, c, ldc, p);
}

// A full-width tile on plain B rows that also packs them (GemmUkernelPackBFn's tile).
template <class V, int MR, int NV, int kAPanel>
void gemm_tile_pack_b(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* b_pack, float* c,
                      int64_t ldc, const GemmUkernelParams& p) {
  tile_body<V, MR, NV, 0, kAPanel>(NV * V::kWidth, kc, a, lda, b, ldb, b_pack, c, ldc, p);
}

// y = x * B for a plain row-major B (gemm_ukernel.h, GEMV). A strip of
// kStrip accumulators stays in L1 while eight rows of B stream through it
// (eight FMAs per accumulator load and store), so B is read once, in
// address order.
template <class V>
void gemv_rows(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, float* y,
               const GemmUkernelParams& p) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int64_t kStrip = 4096;
  static_assert(kStrip % W == 0);
  alignas(64) float acc[kStrip];
  const EpilogueConsts<V> e(p);
  for (int64_t j0 = 0; j0 < n; j0 += kStrip) {
    const int64_t len = std::min(kStrip, n - j0);
    const int64_t full = len / W * W;
    const typename V::Mask tail = V::mask(static_cast<int>(len - full));
    const int64_t vec_len = full < len ? full + W : full;  // acc has room for the rounded-up tail
    for (int64_t j = 0; j < vec_len; j += W) V::store(acc + j, V::zero());
    const float* bp = b + j0;
    int64_t i = 0;
    for (; i + 8 <= k; i += 8, bp += 8 * ldb) {
      Reg xs[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) xs[r] = V::set1(x[i + r]);
      for (int64_t j = 0; j < full; j += W) {
        Reg t = V::load(acc + j);
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) t = V::fma(xs[r], V::load(bp + r * ldb + j), t);
        V::store(acc + j, t);
      }
      if (full < len) {
        Reg t = V::load(acc + full);
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) t = V::fma(xs[r], V::load_mask(bp + r * ldb + full, tail), t);
        V::store(acc + full, t);
      }
    }
    for (; i < k; ++i, bp += ldb) {
      const Reg xi = V::set1(x[i]);
      for (int64_t j = 0; j < full; j += W) V::store(acc + j, V::fma(xi, V::load(bp + j), V::load(acc + j)));
      if (full < len) V::store(acc + full, V::fma(xi, V::load_mask(bp + full, tail), V::load(acc + full)));
    }
    const Reg row_bias = p.row_bias != nullptr ? V::set1(p.row_bias[0]) : e.zero;
    const bool has_bias = p.row_bias != nullptr || p.col_bias != nullptr;
    for (int64_t j = 0; j < vec_len; j += W) {
      const bool vfull = j < full;
      Reg bias = row_bias;
      if (p.col_bias != nullptr) {
        bias = V::add(bias, vfull ? V::load(p.col_bias + j0 + j) : V::load_mask(p.col_bias + j0 + j, tail));
      }
      const Reg out = finish<V>(V::load(acc + j), y + j0 + j, vfull, tail, bias, has_bias, p, e);
      if (vfull) {
        V::store(y + j0 + j, out);
      } else {
        V::store_mask(y + j0 + j, tail, out);
      }
    }
  }
}

// R dot products of x with rows of B^T (gemv_dots), two accumulators each.
template <class V, int R>
void gemv_dot_rows(int64_t k, const float* x, const float* b, int64_t ldb, float* out) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  Reg acc[R][2];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = V::zero();
  int64_t i = 0;
  for (; i + 2 * W <= k; i += 2 * W) {
    const Reg x0 = V::load(x + i), x1 = V::load(x + i + W);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      acc[r][0] = V::fma(x0, V::load(b + r * ldb + i), acc[r][0]);
      acc[r][1] = V::fma(x1, V::load(b + r * ldb + i + W), acc[r][1]);
    }
  }
  for (; i < k; i += W) {
    const typename V::Mask m = V::mask(static_cast<int>(k - i));
    const Reg xv = V::load_mask(x + i, m);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][0] = V::fma(xv, V::load_mask(b + r * ldb + i, m), acc[r][0]);
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) out[r] = V::reduce_add(V::add(acc[r][0], acc[r][1]));
}

// y = x * B^T where b holds B^T (n rows of k floats, ldb apart): n dot
// products, four rows of B^T streaming at a time.
template <class V>
void gemv_dots(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, float* y,
               const GemmUkernelParams& p) {
  for (int64_t j0 = 0; j0 < n; j0 += 4) {
    float s[4];
    const int64_t rows = std::min<int64_t>(4, n - j0);
    const float* bj = b + j0 * ldb;
    switch (rows) {
      case 4: gemv_dot_rows<V, 4>(k, x, bj, ldb, s); break;
      case 3: gemv_dot_rows<V, 3>(k, x, bj, ldb, s); break;
      case 2: gemv_dot_rows<V, 2>(k, x, bj, ldb, s); break;
      default: gemv_dot_rows<V, 1>(k, x, bj, ldb, s); break;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t j = j0 + r;
      float v = p.alpha * s[r];
      if (p.beta != 0.f) v += p.beta * y[j];
      if (p.row_bias != nullptr) v += p.row_bias[0];
      if (p.col_bias != nullptr) v += p.col_bias[j];
      if (p.activation == GemmActivation::kRelu) v = std::max(v, 0.f);
      if (p.activation == GemmActivation::kClamp) v = std::min(std::max(v, p.clamp_min), p.clamp_max);
      y[j] = v;
    }
  }
}

template <class V>
void gemv(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, bool trans_b, float* y,
          const GemmUkernelParams& p) {
  if (trans_b) {
    gemv_dots<V>(n, k, x, b, ldb, y, p);
  } else {
    gemv_rows<V>(n, k, x, b, ldb, y, p);
  }
}

// y[0, ncols) = x * B over P consecutive packed B panels (NV vectors wide,
// full K each): P streams of B in flight at once, S accumulator sets so at
// least eight FMA chains run.
template <class V, int NV, int P>
void gemv_packed_panels(int64_t k, const float* x, const float* b, float* y, int64_t ncols,
                        const GemmUkernelParams& params) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int NR = NV * W;
  constexpr int S = (W > 1 && P * NV < 8) ? (8 + P * NV - 1) / (P * NV) : 1;
  const GemmUkernelParams p = params;
  Reg acc[S][P][NV];
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[s][q][v] = V::zero();
    }
  }
  auto step = [&](int64_t i, int s) __attribute__((always_inline)) {
    const Reg xv = V::broadcast(x + i);
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[s][q][v] = V::fma(xv, V::load(b + q * NR * k + i * NR + v * W), acc[s][q][v]);
    }
  };
  int64_t i = 0;
  for (; i + S <= k; i += S) {
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) step(i + s, s);
  }
  for (; i < k; ++i) step(i, 0);
  const EpilogueConsts<V> e(p);
  const bool has_bias = p.row_bias != nullptr || p.col_bias != nullptr;
  const Reg row_bias = p.row_bias != nullptr ? V::set1(p.row_bias[0]) : e.zero;
#pragma GCC unroll 4
  for (int q = 0; q < P; ++q) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int64_t j = q * NR + v * W;
      if (j >= ncols) break;
      Reg sum = acc[0][q][v];
#pragma GCC unroll 4
      for (int s = 1; s < S; ++s) sum = V::add(sum, acc[s][q][v]);
      const bool full = ncols - j >= W;
      const typename V::Mask mask = V::mask(static_cast<int>(std::min<int64_t>(ncols - j, W)));
      Reg bias = row_bias;
      if (p.col_bias != nullptr) bias = V::add(bias, full ? V::load(p.col_bias + j) : V::load_mask(p.col_bias + j, mask));
      const Reg out = finish<V>(sum, y + j, full, mask, bias, has_bias, p, e);
      if (full) {
        V::store(y + j, out);
      } else {
        V::store_mask(y + j, mask, out);
      }
    }
  }
}

// y[0, n) = x * B for a packed B (gemm_ukernel.h): four panels at a time.
template <class V, int NV>
void gemv_packed(int64_t n, int64_t k, const float* x, const float* b, float* y, const GemmUkernelParams& p) {
  constexpr int NR = NV * V::kWidth;
  for (int64_t j0 = 0; j0 < n; j0 += 4 * NR) {
    const int64_t cols = std::min<int64_t>(4 * NR, n - j0);
    const float* bj = b + j0 * k;
    GemmUkernelParams pj = p;
    if (p.col_bias != nullptr) pj.col_bias = p.col_bias + j0;
    switch ((cols + NR - 1) / NR) {
      case 4: gemv_packed_panels<V, NV, 4>(k, x, bj, y + j0, cols, pj); break;
      case 3: gemv_packed_panels<V, NV, 3>(k, x, bj, y + j0, cols, pj); break;
      case 2: gemv_packed_panels<V, NV, 2>(k, x, bj, y + j0, cols, pj); break;
      default: gemv_packed_panels<V, NV, 1>(k, x, bj, y + j0, cols, pj); break;
    }
  }
}

// Packs `rows` (<= MR) rows of a row-major A, lda apart, k steps [0, kc),
// into one panel: dst[p*MR + r] = a[r*lda + p], rows past `rows` zero.
template <int MR>
void pack_a_panel(int rows, int64_t kc, const float* a, int64_t lda, float* dst) {
  if (rows == MR) {
    const float* src[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) src[r] = a + r * lda;
    for (int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r][p];
    }
    return;
  }
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < rows; ++r) dst[p * MR + r] = a[r * lda + p];
    for (int r = rows; r < MR; ++r) dst[p * MR + r] = 0.f;
  }
}

// Packs rows [k0, k0 + kc) x panels [panel_begin, panel_end) of a plain
// row-major B (ldb apart) into panels `stride` floats apart. Row by row, so
// B is read in address order; the partial last panel is loaded masked
// (masked-off lanes read as zero: the padding).
template <class V, int NV>
void pack_b_rows(int64_t k0, int64_t kc, int64_t n, const float* b, int64_t ldb, int64_t panel_begin,
                 int64_t panel_end, float* dst, int64_t stride) {
  constexpr int W = V::kWidth;
  constexpr int NR = NV * W;
  const int64_t full_end = std::clamp<int64_t>(n / NR, panel_begin, panel_end);
  const int64_t tail_cols = panel_end > full_end ? n - full_end * NR : 0;
  typename V::Mask masks[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) masks[v] = V::mask(static_cast<int>(tail_cols - v * W));
  for (int64_t p = 0; p < kc; ++p) {
    const float* src = b + (k0 + p) * ldb + panel_begin * NR;
    float* out = dst + p * NR;
    for (int64_t panel = panel_begin; panel < full_end; ++panel, src += NR, out += stride) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) V::store(out + v * W, V::load(src + v * W));
    }
    if (tail_cols > 0) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) V::store(out + v * W, V::load_mask(src + v * W, masks[v]));
    }
  }
}

// The GemmUkernelFns of a family: dispatch on the row count m (1..MR) and
// the vector count ceil(n / kWidth) (1..NV) to the tile instantiated for
// exactly that shape, so row tails cost no wasted FMAs, column tails at most
// one partial vector, and neither needs a copy.
template <class V, int MR, int NV>
struct UkernelFamily {
  using TileFn = void (*)(int, int64_t, const float*, int64_t, const float*, float*, int64_t,
                          const GemmUkernelParams&);
  static constexpr int kW = V::kWidth;
  static constexpr int kNR = NV * kW;

  template <int kAPanel, int M, int... J>
  static constexpr auto make_row(std::integer_sequence<int, J...>) {
    return std::array<TileFn, NV>{&gemm_tile<V, M, J + 1, kNR, kAPanel>...};
  }
  template <int kAPanel, int... I>
  static constexpr auto make_table(std::integer_sequence<int, I...>) {
    return std::array<std::array<TileFn, NV>, MR>{make_row<kAPanel, I + 1>(std::make_integer_sequence<int, NV>{})...};
  }

  static void run_packed(int m, int n, int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                         int64_t ldc, const GemmUkernelParams& p) {
    static constexpr auto kTable = make_table<MR>(std::make_integer_sequence<int, MR>{});
    kTable[static_cast<size_t>(m - 1)][static_cast<size_t>((n - 1) / kW)](n, kc, a, lda, b, c, ldc, p);
  }

  static void run_rows(int m, int n, int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                       int64_t ldc, const GemmUkernelParams& p) {
    static constexpr auto kTable = make_table<0>(std::make_integer_sequence<int, MR>{});
    kTable[static_cast<size_t>(m - 1)][static_cast<size_t>((n - 1) / kW)](n, kc, a, lda, b, c, ldc, p);
  }

  using PackTileFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, float*, int64_t,
                              const GemmUkernelParams&);
  template <int kAPanel, int... I>
  static constexpr auto make_pack_column(std::integer_sequence<int, I...>) {
    return std::array<PackTileFn, MR>{&gemm_tile_pack_b<V, I + 1, NV, kAPanel>...};
  }
  static void run_packed_pack_b(int m, int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                                float* b_pack, float* c, int64_t ldc, const GemmUkernelParams& p) {
    static constexpr auto kTable = make_pack_column<MR>(std::make_integer_sequence<int, MR>{});
    kTable[static_cast<size_t>(m - 1)](kc, a, lda, b, ldb, b_pack, c, ldc, p);
  }
  static void run_rows_pack_b(int m, int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                              float* b_pack, float* c, int64_t ldc, const GemmUkernelParams& p) {
    static constexpr auto kTable = make_pack_column<0>(std::make_integer_sequence<int, MR>{});
    kTable[static_cast<size_t>(m - 1)](kc, a, lda, b, ldb, b_pack, c, ldc, p);
  }

  static void pack_a(int rows, int64_t kc, const float* a, int64_t lda, float* dst) {
    pack_a_panel<MR>(rows, kc, a, lda, dst);
  }

  static void pack_b(int64_t k0, int64_t kc, int64_t n, const float* b, int64_t ldb, int64_t panel_begin,
                     int64_t panel_end, float* dst, int64_t stride) {
    pack_b_rows<V, NV>(k0, kc, n, b, ldb, panel_begin, panel_end, dst, stride);
  }

  static void gemv_packed_b(int64_t n, int64_t k, const float* x, const float* b, float* y,
                            const GemmUkernelParams& p) {
    gemv_packed<V, NV>(n, k, x, b, y, p);
  }
};

}  // namespace fastserve::gemm_impl
