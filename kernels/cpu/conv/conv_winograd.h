// Winograd F(4x4, 3x3) convolution: the tile transforms shared by
// conv_winograd.cc (driver) and the per-ISA transform files
// conv_winograd_{portable,avx2,avx512}.cc (bodies in conv_winograd_impl.h).
//
// Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016),
// F(4x4, 3x3) with interpolation points 0, +-1, +-2, inf:
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// for a 6x6 input tile d (stride 4), a 3x3 filter g and a 4x4 output tile.
// Summed over input channels, the element-wise product becomes 36 GEMMs
//   O_f[M, tiles] = U_f[M, C] * V_f[C, tiles],  f = 6*k + l in 0..35
// with U_f the transformed weights (prepacked as GEMM A operands) and V_f
// the transformed input tiles (written straight into packed B panels).
//
// Tiles are numbered t = (img * tiles_y + ty) * tiles_x + tx over the whole
// batch; a block is a range of tiles, processed as a unit so its V and O
// stay in L2.
#pragma once

#include <cstdint>

#include "kernels/cpu/unary/unary_ukernels.h"

namespace fastserve {

inline constexpr int kWinogradTile = 6;     // input tile (alpha = m + r - 1)
inline constexpr int kWinogradOut = 4;      // output tile
inline constexpr int kWinogradFreqs = 36;   // 6x6 transformed elements
inline constexpr int64_t kWinogradMaxBlockTiles = 256;  // tiles per input-transform call

// Matrices of F(4x4, 3x3) (row-major), for the weight transform at prepare
// and for tests. The input / output transforms hard-code B^T and A^T.
extern const double kWinogradG[6][3];
extern const double kWinogradBT[6][6];
extern const double kWinogradAT[4][6];

struct WinogradGeom {
  int64_t batch = 0, c = 0, m = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0;
  int64_t pad_top = 0, pad_left = 0;
  int64_t tiles_y = 0, tiles_x = 0;
};

// What the output transform adds and applies per output row:
//   y = act(clamp(A^T O A + bias[m] + z))
struct WinogradEpilogue {
  const float* bias = nullptr;  // M values or null
  const float* z = nullptr;     // residual, Y's layout, or null (may equal y)
  bool clamp = false;           // Relu / Clip in registers
  float lo = 0.f, hi = 0.f;
  UnaryUkernelFn row = nullptr;  // any other activation, on each row written
  UnaryParams row_params;
};

// Input transform of tiles [t0, t0 + nt), nt <= kWinogradMaxBlockTiles, for
// all C channels into
// V: 36 packed-B matrices [C x nt] (NR columns per panel), matrix f at
// v + f * v_stride (v_stride >= C * round_up(nt, nr)); columns nt..round_up
// are zeroed. `zero_row` holds >= w zeros.
using WinogradInputFn = void (*)(const WinogradGeom& g, const float* x, int64_t t0, int64_t nt, int64_t nr,
                                 float* v, int64_t v_stride, const float* zero_row);
// Output transform of tiles [t0, t0 + nt) for output channels [m0, m1) from
// O: 36 row-major matrices [(m1 - m0) x nt] with leading dimension ldo,
// matrix f at o + f * o_stride; writes Y (NCHW) with the epilogue.
using WinogradOutputFn = void (*)(const WinogradGeom& g, const float* o, int64_t ldo, int64_t o_stride, int64_t t0,
                                  int64_t nt, int64_t m0, int64_t m1, const WinogradEpilogue& ep, float* y);

struct WinogradTransforms {
  const char* isa_tag;
  WinogradInputFn input;
  WinogradOutputFn output;
};

extern const WinogradTransforms kWinogradTransformsPortable;  // conv_winograd_portable.cc
#if defined(__x86_64__) || defined(_M_X64)
extern const WinogradTransforms kWinogradTransformsAvx2;      // conv_winograd_avx2.cc
extern const WinogradTransforms kWinogradTransformsAvx512;    // conv_winograd_avx512.cc
#endif

}  // namespace fastserve
