// Sparse x dense matrix product microkernels (SpMM):
//
//   C[r][j] = act(beta * C[r][j] + bias[r] + sum_i S.val[i] * d[doff[i] + j])
//   for r in [row_begin, row_end), j < n, i over row r's nonzeros,
//
// S a SparseMatrix (CSR, sparse_matrix.h); doff[i] is where nonzero i's row
// of D starts (D row S.col[i]): for a plain row-major matrix col * ldd; a
// stride-1 conv points each row (c, ki, kj) into the zero-padded input
// plane, shifted, so it needs no im2col (conv_sparse.cc). Offsets per
// nonzero rather than per row of D save the dependent load of a row table
// in the inner loop. C row-major (ldc). beta is 0 (C is write-only) or 1 (C
// holds Z, the residual, and is added to). The activation is the GEMM
// epilogue's (none, Relu, Clamp); others are the caller's post-pass.
//
// Vectorized along j (the "broadcast" formulation XNNPACK's SpMM uses):
// for each nonzero one value is broadcast and multiplied into a 64-wide row
// of D, so each of D's rows is read as whole vectors and no gathers are
// needed. Columns go in blocks of 64: each (row, block) keeps 64 floats of
// accumulators in registers (AVX-512: 4 zmm; AVX2: 8 ymm), tails masked. The
// caller keeps the 64-column block of D in cache across rows: a conv packs
// one panel of im2col columns (K x 64, im2col.h's layout with nr = 64) and
// runs every row of W over it.
//
// Variants: spmm_f32__avx512_64 (spmm_avx512.cc), spmm_f32__avx2_64
// (spmm_avx2.cc), spmm_f32__portable_64 (spmm_portable.cc, plain C++).
#pragma once

#include <cstdint>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/cpu/gemm/gemm_ukernel.h"
#include "kernels/cpu/sparse/sparse_matrix.h"

namespace fastserve {

inline constexpr int64_t kSpmmBlock = 64;  // columns per accumulator block

struct SpmmParams {
  const float* bias = nullptr;  // per row of S (indexed by r), or null
  float beta = 0.f;             // 0 or 1
  GemmActivation activation = GemmActivation::kNone;
  float clamp_min = 0.f, clamp_max = 0.f;
};

using SpmmFn = void (*)(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* d,
                        const int32_t* doff, int64_t n, float* c, int64_t ldc, const SpmmParams& params);
// The n = 1 case, a sparse matrix-vector product (batch-1 linear layers):
//   y[r] = act(beta * y[r] + bias[r] + sum_i S.val[i] * x[S.col[i]]),
// each row a dot product over its nonzeros with x gathered (vgatherdps on
// AVX-512 / AVX2, 16 or 8 nonzeros a step).
using SpmvFn = void (*)(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* x, float* y,
                        const SpmmParams& params);

struct SpmmUkernel {
  const char* name;
  Isa isa;
  SpmmFn fn;
  SpmvFn spmv;
};

// doff[i] = koff[s.col[i]] for every nonzero (koff: where each row of D
// starts), into `out` (s.nnz() values). Offsets must fit int32.
void nonzero_offsets(const SparseMatrix& s, const int64_t* koff, int32_t* out);
// The same for a plain row-major D, ld floats between rows.
std::vector<int32_t> plain_nonzero_offsets(const SparseMatrix& s, int64_t ld);

// act() of the SpMM epilogue on one value (the SpMV kernels' tail).
inline float spmm_activate(float x, const SpmmParams& p) {
  if (p.activation == GemmActivation::kRelu) return x > 0.f ? x : 0.f;
  if (p.activation == GemmActivation::kClamp) return x < p.clamp_min ? p.clamp_min : (x > p.clamp_max ? p.clamp_max : x);
  return x;
}

extern const SpmmUkernel kSpmmPortable;
#if defined(__x86_64__) || defined(_M_X64)
extern const SpmmUkernel kSpmmAvx2;
extern const SpmmUkernel kSpmmAvx512;
#endif

// The microkernel for a session ISA (the best one it allows).
const SpmmUkernel& spmm_ukernel_for_isa(Isa isa);

}  // namespace fastserve
