// The one GEMM microkernel body, written once over a vector-traits type V and
// instantiated per ISA by gemm_avx512.cc, gemm_avx2.cc and gemm_portable.cc
// (each defines its V in an anonymous namespace, so instantiations never
// collide across files compiled with different flags). Include it only from
// those files. Contract and packed layouts: gemm_ukernel.h.
//
// V provides: Reg, Mask, kWidth, zero(), set1(x), load(p), broadcast(p),
// fma(a, b, c) = a*b + c, mul, add, max, min, mask(count) (first `count`
// lanes, count may be <= 0 or >= kWidth), load_mask(p, m), store(p, v),
// store_mask(p, m, v). Masked loads must not fault on masked-off lanes.
//
// Tile: MR rows x NV vectors. The k loop keeps MR*NV accumulators in
// registers, loads NV vectors of B and broadcasts one A value per row
// (the BLIS/XNNPACK "broadcast" formulation).
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "kernels/cpu/gemm/gemm_ukernel.h"

namespace fastserve::gemm_impl {

// Computes rows [0, MR) of a tile whose packed A panel has kAStride floats per k step.
template <class V, int MR, int NV, int kAStride>
void gemm_tile(int n, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
               const GemmUkernelParams& p) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int NR = NV * W;
  Reg acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V::zero();
  }
  for (int64_t k = 0; k < kc; ++k) {
    Reg bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const Reg av = V::broadcast(a + r);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
    }
    a += kAStride;
    b += NR;
  }

  // Epilogue: alpha, beta*C, biases, activation; masked on the column tail.
  const bool full = n >= NR;
  typename V::Mask masks[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) masks[v] = V::mask(n - v * W);
  const Reg valpha = V::set1(p.alpha);
  const Reg vbeta = V::set1(p.beta);
  const Reg vzero = V::zero();
  const Reg vmin = V::set1(p.clamp_min);
  const Reg vmax = V::set1(p.clamp_max);
  Reg col_bias[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) col_bias[v] = vzero;
  if (p.col_bias != nullptr) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      col_bias[v] = full ? V::load(p.col_bias + v * W) : V::load_mask(p.col_bias + v * W, masks[v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* crow = c + r * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (!full && v * W >= n) break;
      Reg x = acc[r][v];
      if (p.alpha != 1.f) x = V::mul(x, valpha);
      if (p.beta != 0.f) {
        const Reg old = full ? V::load(crow + v * W) : V::load_mask(crow + v * W, masks[v]);
        x = p.beta == 1.f ? V::add(x, old) : V::fma(old, vbeta, x);
      }
      if (p.row_bias != nullptr) x = V::add(x, V::set1(p.row_bias[r]));
      if (p.col_bias != nullptr) x = V::add(x, col_bias[v]);
      switch (p.activation) {
        case GemmActivation::kNone:
          break;
        case GemmActivation::kRelu:
          x = V::max(x, vzero);
          break;
        case GemmActivation::kClamp:
          x = V::min(V::max(x, vmin), vmax);
          break;
      }
      if (full) {
        V::store(crow + v * W, x);
      } else {
        V::store_mask(crow + v * W, masks[v], x);
      }
    }
  }
}

// The GemmUkernelFn for a family: dispatches on the row count m (1..MR) to
// the tile instantiated for exactly that many rows, so row tails cost no
// wasted FMAs and need no copies.
template <class V, int MR, int NV>
struct UkernelFamily {
  using TileFn = void (*)(int, int64_t, const float*, const float*, float*, int64_t, const GemmUkernelParams&);

  template <int... I>
  static constexpr auto make_table(std::integer_sequence<int, I...>) {
    return std::array<TileFn, sizeof...(I)>{&gemm_tile<V, I + 1, NV, MR>...};
  }

  static void run(int m, int n, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                  const GemmUkernelParams& p) {
    static constexpr auto kTable = make_table(std::make_integer_sequence<int, MR>{});
    kTable[static_cast<size_t>(m - 1)](n, kc, a, b, c, ldc, p);
  }
};

}  // namespace fastserve::gemm_impl
