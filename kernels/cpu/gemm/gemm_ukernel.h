// FP32 GEMM microkernels: the register-blocked inner loops of the GEMM engine.
//
// A tile kernel computes one MR x NR tile of C:
//
//   C[i][j] = beta * C[i][j] + alpha * sum_{p < kc} A[i][p] * B[p][j]
//             (+ row_bias[i]) (+ col_bias[j]), then the activation,
//   for i < m <= MR, j < n <= NR.
//
// B is always a packed panel: kc x NR floats, k-major, columns past the edge
// zero. A comes in one of two forms, one entry point each:
//   * fn:        a packed panel, kc x MR floats, k-major (A[i][p] = a[p*MR + i]),
//                rows past the edge zero; lda is ignored.
//   * fn_a_rows: the rows of a row-major matrix, A[i][p] = a[i*lda + p]; only
//                the m rows asked for are read. This saves packing A when it
//                is a plain activation matrix (XNNPACK's GEMMs read A so).
// A plain B is packed at run time, mostly inside the first tile that reads
// each panel:
//   * fn_pack_b / fn_a_rows_pack_b (A packed / A rows): a full-width tile
//     (n == NR) reading B as kc rows of a plain row-major matrix, ldb apart,
//     that also stores each row it loads into b_pack (kc x NR, the packed
//     layout) for the tiles below it. The stores use spare store-port slots
//     of the FMA-bound loop (10% faster than packing the block ahead at
//     M = 64, N = 3136, K = 576). Reading B in place in every tile instead
//     measured slower: its rows, ldb apart, fall into few L1 sets for the
//     usual ldb = H*W.
//   * pack_b_rows: packs whole blocks of panels (the partial last panel, or
//     when the driver packs ahead).
// C is row-major with leading dimension ldc. beta == 0 means C is not read
// (it may hold garbage); beta == 1 adds. Biases and the activation are
// passed only with the last k block (the driver's job).
//
// Every tile kernel handles partial tiles (m < MR: a kernel instantiated for
// exactly m rows; n < NR: one instantiated for ceil(n / vector width)
// vectors, the last one masked), so the driver never copies tiles.
//
// The GEMV kernels are the M = 1 case, bandwidth-bound, so B is read exactly
// once, streaming (packing a plain B would triple the traffic):
//   y[j] = epilogue(alpha * sum_p x[p] * op(B)[p][j] + beta * y[j]), j < n;
//   gemv: a plain B, op(B)[p][j] = b[p*ldb + j], or b[j*ldb + p] when
//   trans_b; gemv_packed: a packed B (panels of full K), four panels at a
//   time. row_bias (one value) and col_bias (n values) as for tiles.
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

using GemmUkernelFn = void (*)(int m, int n, int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                               int64_t ldc, const GemmUkernelParams& params);
using GemmUkernelPackBFn = void (*)(int m, int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                                    float* b_pack, float* c, int64_t ldc, const GemmUkernelParams& params);
using GemvFn = void (*)(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, bool trans_b, float* y,
                        const GemmUkernelParams& params);
// The GEMV on a packed B: y[0, n) from the panels starting at b (panel p of
// the n columns at b + p*NR*k), same epilogue as GemvFn.
using GemvPackedFn = void (*)(int64_t n, int64_t k, const float* x, const float* b, float* y,
                              const GemmUkernelParams& params);
// Packs `rows` (<= MR) rows of a row-major A (lda apart), k in [0, kc), into
// one packed A panel (rows past `rows` zero).
using PackAPanelFn = void (*)(int rows, int64_t kc, const float* a, int64_t lda, float* dst);
// Packs rows [k0, k0 + kc) of a plain row-major B (ldb apart), panels
// [panel_begin, panel_end) of NR columns (clipped to n, zero-padded), into
// panels `stride` floats apart starting at dst.
using PackBRowsFn = void (*)(int64_t k0, int64_t kc, int64_t n, const float* b, int64_t ldb, int64_t panel_begin,
                             int64_t panel_end, float* dst, int64_t stride);

// A microkernel family and its tile, as data.
struct GemmUkernel {
  const char* name;                     // "gemm_f32__avx2_6x16"
  Isa isa;                              // what the code requires
  int mr;                               // rows per A panel / tile
  int nr;                               // columns per B panel / tile
  int vec;                              // floats per vector: a column tail of n costs ceil(n / vec) vectors
  GemmUkernelFn fn;                     // A packed
  GemmUkernelFn fn_a_rows;              // A read from row-major rows
  GemmUkernelPackBFn fn_pack_b;         // A packed, plain B rows packed on the way
  GemmUkernelPackBFn fn_a_rows_pack_b;  // A rows, plain B rows packed on the way
  GemvFn gemv;                          // M = 1, B plain
  GemvPackedFn gemv_packed;             // M = 1, B packed
  PackAPanelFn pack_a;                  // run-time packing of a plain A
  PackBRowsFn pack_b_rows;              // packing of a plain (not transposed) B
};

// The microkernels compiled into this binary (x86 ones only on x86-64).
extern const GemmUkernel kGemmUkernelPortable4x8;  // gemm_portable.cc
#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_GEMM_X86 1
extern const GemmUkernel kGemmUkernelAvx2_6x16;    // gemm_avx2.cc
extern const GemmUkernel kGemmUkernelAvx512_14x32; // gemm_avx512.cc
#endif

}  // namespace fastserve
