// FP32 GEMM microkernels: the register-blocked inner loop of the GEMM engine.
//
// A microkernel computes one MR x NR tile of C from packed panels:
//
//   C[i][j] = beta * C[i][j] + alpha * sum_{p < kc} A[p][i] * B[p][j]
//             (+ row_bias[i]) (+ col_bias[j]), then the activation,
//   for i < m <= MR, j < n <= NR.
//
// Packed A panel: kc x MR floats, k-major (A[p][0..MR) contiguous), rows past
// the matrix edge zero. Packed B panel: kc x NR floats, k-major, columns past
// the edge zero. C is row-major with leading dimension ldc. beta == 0 means C
// is not read (it may hold garbage); beta == 1 adds. Biases and the
// activation are passed only with the last k block (the driver's job).
//
// Every microkernel handles partial tiles (m < MR: fewer rows computed and
// stored; n < NR: masked loads/stores), so the driver never copies tiles.
//
// Variants (one per ISA file, chosen at run time, see gemm.h):
//   gemm_f32__avx512_14x32  gemm_avx512.cc  zmm FMA, 28 accumulators
//   gemm_f32__avx2_6x16     gemm_avx2.cc    ymm FMA, 12 accumulators
//   gemm_f32__portable_4x8  gemm_portable.cc plain C++ (auto-vectorized)
#pragma once

#include <cstdint>

#include "core/cpu_features.h"

namespace fastserve {

// The epilogue's activation. Extend here (and in gemm_ukernel_impl.h) for
// more fusions; kClamp covers Relu6 / Clip.
enum class GemmActivation : uint8_t { kNone, kRelu, kClamp };

struct GemmUkernelParams {
  float alpha = 1.f;
  float beta = 0.f;
  const float* row_bias = nullptr;  // m values (this tile's rows) or null
  const float* col_bias = nullptr;  // n values (this tile's columns) or null
  GemmActivation activation = GemmActivation::kNone;
  float clamp_min = 0.f;            // kClamp bounds
  float clamp_max = 0.f;
};

using GemmUkernelFn = void (*)(int m, int n, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                               const GemmUkernelParams& params);

// A microkernel and its tile, as data.
struct GemmUkernel {
  const char* name;   // "gemm_f32__avx2_6x16"
  Isa isa;            // what the code requires
  int mr;             // rows per A panel / tile
  int nr;             // columns per B panel / tile
  GemmUkernelFn fn;
};

// The microkernels compiled into this binary (x86 ones only on x86-64).
extern const GemmUkernel kGemmUkernelPortable4x8;  // gemm_portable.cc
#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_GEMM_X86 1
extern const GemmUkernel kGemmUkernelAvx2_6x16;    // gemm_avx2.cc
extern const GemmUkernel kGemmUkernelAvx512_14x32; // gemm_avx512.cc
#endif

}  // namespace fastserve
