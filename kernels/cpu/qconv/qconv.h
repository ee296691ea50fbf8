// The INT8 convolution engine behind fastserve.QConv and QLinearConv:
// 2-D, uint8 activations channels-last (NHWC), int8 (or uint8) weights,
// requantized to 8 bits in the GEMM's epilogue.
//
// Algorithms (chosen at prepare from the node's constants):
//   * depthwise (group == C == M): direct loops over the taps, vectorized
//     across channels (qconv_depthwise.cc);
//   * direct 1x1 (1x1 kernel, stride 1, no pads, group 1): the NHWC input
//     is the GEMM's A as it stands, [N*H*W, C];
//   * im2row (the rest): per block of output pixels, each pixel's window
//     gathered into one row of K = kH*kW*C/group bytes (a kW*C-byte run per
//     kernel row when the window is inside the input; padding is x_zp), K
//     padded with zeros to a multiple of 64 when the GEMM runs on AMX tiles.
// Each is C[pixels, M] = A[pixels, K] x B[K, M] on qgemm.h's u8 x s8 GEMM,
// B packed once at prepare in column chunks. Work: tasks of (a block of
// output pixels, a column chunk), split over the pool; a task builds its A
// block, runs a one-thread GEMM into an int32 block that stays in L2, and
// requantizes it straight into Y:
//   y = sat(nearbyintf(float(acc + bias'[m]) * s[m]) + y_zp), s[m] = float(x_s * w_s[m]) / y_s
// bias'[m] = B[m] - x_zp * colsum(W)[m] + K * x_zp * w_zp[m] folds the
// activation zero point into the bias, so the GEMM multiplies raw bytes.
// Relu clamps at y_zp. kernels/ref/qdq_ops.cc has the same formula.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "graph/window_geometry.h"
#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {

// One row of requantization: y[j] = clamp(nearbyintf(float(acc[j] + bias[j]) * scale[j]) + zp, lo, hi)
// stored as a byte (int8 outputs: lo/hi -128/127, two's complement).
using RequantRowFn = void (*)(const int32_t* acc, int64_t n, const int32_t* bias, const float* scale, int32_t zp,
                              int32_t lo, int32_t hi, uint8_t* y);
void requant_row_portable(const int32_t* acc, int64_t n, const int32_t* bias, const float* scale, int32_t zp,
                          int32_t lo, int32_t hi, uint8_t* y);
#ifdef FASTSERVE_QGEMM_X86
void requant_row_avx512(const int32_t* acc, int64_t n, const int32_t* bias, const float* scale, int32_t zp,
                        int32_t lo, int32_t hi, uint8_t* y);
// AMX-INT8 (qconv_amx.cc): y[rows][b.n] (row pitch ldy) = requant(A x B)
// for rows a multiple of 16 and K (b.k) a multiple of 64, raw bytes (no
// zero-point terms: bias' carries them).
void qconv_amx_requant_rows(const uint8_t* a, int64_t lda, int64_t rows, const QPackedB& b, const int32_t* bias,
                            const float* scale, int32_t zp, int32_t lo, int32_t hi, uint8_t* y, int64_t ldy);
#endif

enum class QConvAlgo { kDepthwise, kDirect1x1, kIm2row };

// Where a node keeps the QLinearConv operands (QConv and QLinearConv share
// the order: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B).
struct QConvPlan {
  QConvAlgo algo = QConvAlgo::kIm2row;
  const QGemmUkernel* uk = nullptr;
  RequantRowFn requant = nullptr;
  WindowAttrs attrs;
  int64_t m = 0, cg = 0, kh = 0, kw = 0, group = 1, mg = 0;
  int64_t k = 0, k_pad = 0;  // GEMM depth: true and padded
  int64_t chunk = 0;         // output channels per packed B chunk
  int64_t chunks_per_group = 0;
  std::vector<QPackedB> b;   // [group * chunks_per_group]
  std::vector<int32_t> w_zp;  // per output channel, as the GEMM sees it (uint8 W shifted by -128); empty: all 0
  std::vector<int32_t> bias;  // bias' per output channel
  std::vector<float> scale;   // s per output channel
  std::vector<int16_t> dw_w;  // depthwise: [kH*kW][C], w - w_zp
  int32_t x_zp = 0, y_zp = 0, lo = 0, hi = 255;
};

// Checks the node (2-D, uint8 x, constant weights, scales and zero points)
// and builds the plan: the constants of inputs 1..8 are read here once.
bool qconv_accepts(const NodeView& node);
Result<std::shared_ptr<QConvPlan>> make_qconv_plan(const NodeView& node, Isa isa, bool relu);

// y NHWC [n, oh, ow, m] from x NHWC [n, ih, iw, c], on the pool.
Status run_qconv_nhwc(const NodeView& node, const QConvPlan& plan, const uint8_t* x, int64_t n, int64_t ih,
                      int64_t iw, uint8_t* y, ThreadPool* pool);

// Depthwise (qconv_depthwise.cc): rows [r0, r1) of the output pixels.
void qconv_depthwise_rows(const QConvPlan& plan, const WindowGeometry& g, const uint8_t* x, int64_t r0, int64_t r1,
                          uint8_t* y);

}  // namespace fastserve
