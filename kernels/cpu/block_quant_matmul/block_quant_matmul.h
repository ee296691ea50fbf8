// fastserve.BlockQuantMatMul on the CPU: Y = A x W + bias with W held as
// 4-bit codes and per-block scales (graph/ops_fastserve.def).
//
// Packed at prepare():
//   codes   panels of 16 columns; per panel and k, 8 bytes: column 2i of the
//           panel in the low nibble of byte i, column 2i+1 in the high one
//           (N padded to 16 with code 0);
//   scales  [blocks][n_pad] float, zs = zero_point * scale likewise, so a
//           weight is code_value * scale - zs (code_value: -8..7 for int4,
//           0..15 for uint4);
//   bias    [n_pad] or empty.
// Few rows (m <= kBqRows): a microkernel unpacks each panel in registers
// for up to kBqRows rows of A (bandwidth-bound products read 4-bit
// weights). More rows: each panel is dequantized once into a [k][16]
// float buffer (L2-resident) that a plain FMA kernel runs every row group
// of up to kBqGemmRows against, so the unpack is paid once per panel, not
// once per row group.
#pragma once

#include <cstdint>
#include <vector>

namespace fastserve {

inline constexpr int kBqCols = 16;
inline constexpr int kBqRows = 4;
inline constexpr int kBqGemmRows = 8;

struct BlockQuantPacked {
  int64_t k = 0, n = 0, n_pad = 0, block = 0, blocks = 0;
  bool is_signed = true;
  std::vector<uint8_t> codes;   // n_pad / 16 panels x k x 8 bytes
  std::vector<float> scales;    // blocks x n_pad
  std::vector<float> zs;        // blocks x n_pad
  std::vector<float> bias;      // n_pad, or empty
};

// rows (1..kBqRows) of A (row stride lda) times panel p into Y (row stride
// ldy), nn (1..16) valid columns.
using BlockQuantPanelFn = void (*)(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, int rows,
                                   float* y, int64_t ldy, int nn);

void block_quant_panel_portable(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, int rows,
                                float* y, int64_t ldy, int nn);
// Panel p dequantized into out[k][16].
void block_quant_dequant_panel_portable(const BlockQuantPacked& w, int64_t panel, float* out);
// rows (1..kBqGemmRows) of A times a dequantized [k][16] panel (+ bias16 when not null).
void block_quant_gemm_panel_portable(const float* wp, int64_t k, const float* a, int64_t lda, int rows,
                                     const float* bias16, float* y, int64_t ldy, int nn);
#if defined(__x86_64__) || defined(_M_X64)
void block_quant_dequant_panel_avx512(const BlockQuantPacked& w, int64_t panel, float* out);
void block_quant_gemm_panel_avx512(const float* wp, int64_t k, const float* a, int64_t lda, int rows,
                                   const float* bias16, float* y, int64_t ldy, int nn);
void block_quant_panel_avx512(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, int rows,
                              float* y, int64_t ldy, int nn);
#endif

// The float value of a 4-bit code.
inline float block_quant_code_value(uint8_t code, bool is_signed) {
  return static_cast<float>(is_signed && code >= 8 ? int{code} - 16 : int{code});
}

}  // namespace fastserve
