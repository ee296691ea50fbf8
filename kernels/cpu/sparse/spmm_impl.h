// The SpMM microkernel body, written once over a vector-traits type V (the
// same traits the GEMM microkernels use: Reg, Mask, kWidth, zero, set1,
// load, fma, add, max, min, mask, load_mask, store, store_mask) and
// instantiated by spmm_avx512.cc and spmm_avx2.cc. Contract: spmm_ukernel.h.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/sparse/spmm_ukernel.h"

namespace fastserve::spmm_impl {

// One row r of S over NV vectors of columns (the last one masked by `last`).
// SETS accumulator sets take alternate nonzeros, so SETS * NV FMA chains
// run at once (the narrow tails, NV = 1, get SETS = 2 whatever the caller
// asks: one chain would be latency-bound).
template <class V, int NV, int SETS, bool kMasked>
__attribute__((always_inline)) inline void row_block(const SparseMatrix& s, int64_t r, const float* d,
                                                      const int32_t* doff, float* c, typename V::Mask last,
                                                      const SpmmParams& p) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  Reg acc[SETS][NV];
  for (int t = 0; t < SETS; ++t) {
    for (int v = 0; v < NV; ++v) acc[t][v] = V::zero();
  }
  const float* val = s.val.data();
  int64_t i = s.row_ptr[static_cast<size_t>(r)];
  const int64_t end = s.row_ptr[static_cast<size_t>(r) + 1];
  auto load_d = [&](const float* row, int v) {
    if constexpr (kMasked) {
      if (v == NV - 1) return V::load_mask(row + v * W, last);
    }
    return V::load(row + v * W);
  };
  for (; i + SETS <= end; i += SETS) {
    for (int t = 0; t < SETS; ++t) {
      const Reg w = V::set1(val[i + t]);
      const float* row = d + doff[i + t];
      for (int v = 0; v < NV; ++v) acc[t][v] = V::fma(w, load_d(row, v), acc[t][v]);
    }
  }
  for (; i < end; ++i) {
    const Reg w = V::set1(val[i]);
    const float* row = d + doff[i];
    for (int v = 0; v < NV; ++v) acc[0][v] = V::fma(w, load_d(row, v), acc[0][v]);
  }
  const Reg bias = V::set1(p.bias != nullptr ? p.bias[r] : 0.f);
  const Reg lo = V::set1(p.clamp_min), hi = V::set1(p.clamp_max), zero = V::zero();
  for (int v = 0; v < NV; ++v) {
    Reg x = acc[0][v];
    for (int t = 1; t < SETS; ++t) x = V::add(x, acc[t][v]);
    x = V::add(x, bias);
    const bool tail = kMasked && v == NV - 1;
    if (p.beta != 0.f) x = V::add(x, tail ? V::load_mask(c + v * W, last) : V::load(c + v * W));
    if (p.activation == GemmActivation::kRelu) {
      x = V::max(x, zero);
    } else if (p.activation == GemmActivation::kClamp) {
      x = V::min(V::max(x, lo), hi);
    }
    if (tail) {
      V::store_mask(c + v * W, last, x);
    } else {
      V::store(c + v * W, x);
    }
  }
}

// A partial block of `vectors` (< NV) vectors, the last masked: dispatched
// to the instantiation for that count so narrow products (M = 1 MatMuls)
// do not pay for NV vectors.
template <class V, int NV, int SETS>
inline void row_tail(int vectors, const SparseMatrix& s, int64_t r, const float* d, const int32_t* doff, float* c,
                     typename V::Mask last, const SpmmParams& p) {
  if constexpr (NV >= 1) {
    if (vectors == NV) {
      row_block<V, NV, (NV == 1 && SETS < 2) ? 2 : SETS, true>(s, r, d, doff, c, last, p);
      return;
    }
    if constexpr (NV > 1) row_tail<V, NV - 1, SETS>(vectors, s, r, d, doff, c, last, p);
  }
}

template <class V, int NV, int SETS>
void spmm(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* d, const int32_t* doff, int64_t n,
          float* c, int64_t ldc, const SpmmParams& p) {
  constexpr int64_t W = V::kWidth;
  constexpr int64_t kBlock = NV * W;
  static_assert(kBlock <= kSpmmBlock, "a block is at most kSpmmBlock columns");
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t cols = std::min(kBlock, n - j0);
    if (cols == kBlock) {
      for (int64_t r = row_begin; r < row_end; ++r) {
        row_block<V, NV, SETS, false>(s, r, d + j0, doff, c + r * ldc + j0, V::mask(0), p);
      }
    } else {
      const int vectors = static_cast<int>((cols + W - 1) / W);
      const typename V::Mask last = V::mask(static_cast<int>(cols - (vectors - 1) * W));
      for (int64_t r = row_begin; r < row_end; ++r) {
        row_tail<V, NV, SETS>(vectors, s, r, d + j0, doff, c + r * ldc + j0, last, p);
      }
    }
  }
}

}  // namespace fastserve::spmm_impl
