// 2:4-sparse x dense matrix product microkernels (the 2:4 kernel):
//
//   C[r][f] = act(bias[f] + sum_k A[r][k] * W^T[f][k])
//   for r < rows, f in the features of blocks [block_begin, block_end)
//
// W a 2:4 Nm24Matrix (nm24_matrix.h: per block of 16 features and group of
// 4 along K, two kept values and their positions); A row-major [rows x K]
// (lda), C row-major (ldc), bias per feature or null, act the GEMM
// epilogue's (none, Relu, Clamp; others are the caller's post-pass). For
// small M (linear layers at batch 1..32): where the dense GEMM is bound by
// streaming W this one streams 9 bytes per 4 weights instead of 16, and
// where both are compute-bound it ties (2 FMAs + 2 permutes per group
// against the dense kernel's 4 FMAs).
//
// Per group g and vector of output features: the 4 activations
// A[r][4g..4g+3] are broadcast to every 128-bit lane, each lane picks its
// two inputs with an in-lane permute (vpermilps: only the low 2 bits of
// each index count, so slot 0's index is the position byte itself and
// slot 1's the byte shifted right by 2), and two FMAs multiply them by the
// two value vectors. Rows go in chunks (AVX-512: 8, AVX2: 2, every block's
// 16 features at once), the block's values staying in cache across chunks;
// the caller splits the blocks over threads.
//
// Variants: nm24_f32__avx512_8x16 (nm24_avx512.cc), nm24_f32__avx2_2x16
// (nm24_avx2.cc), nm24_f32__portable_16 (nm24_portable.cc, plain C++, no
// descriptor: it never beat the dense GEMM); the op descriptors on them are
// gemm_f32_2_4__* etc. (nm24_matmul.cc).
#pragma once

#include <cstdint>

#include "core/cpu_features.h"
#include "kernels/cpu/gemm/gemm_ukernel.h"
#include "kernels/cpu/sparse/nm24_matrix.h"

namespace fastserve {

struct Nm24Params {
  const float* bias = nullptr;  // per output feature (W^T row), or null
  GemmActivation activation = GemmActivation::kNone;
  float clamp_min = 0.f, clamp_max = 0.f;
};

using Nm24Fn = void (*)(const Nm24Matrix& w, int64_t block_begin, int64_t block_end, const float* a,
                        int64_t lda, int64_t rows, float* c, int64_t ldc, const Nm24Params& params);

struct Nm24Ukernel {
  const char* name;
  Isa isa;
  Nm24Fn fn;
};

// act() of the epilogue on one value.
inline float nm24_activate(float x, const Nm24Params& p) {
  if (p.activation == GemmActivation::kRelu) return x > 0.f ? x : 0.f;
  if (p.activation == GemmActivation::kClamp)
    return x < p.clamp_min ? p.clamp_min : (x > p.clamp_max ? p.clamp_max : x);
  return x;
}

extern const Nm24Ukernel kNm24Portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const Nm24Ukernel kNm24Avx2;
extern const Nm24Ukernel kNm24Avx512;
#endif

// The microkernel for a session ISA (the best one it allows).
const Nm24Ukernel& nm24_ukernel_for_isa(Isa isa);

}  // namespace fastserve
