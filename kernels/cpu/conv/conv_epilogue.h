// The fused epilogue every CPU conv algorithm applies to its output:
//   Y = act(conv(X, W) + B + Z)
// (fastserve.FusedConv; a plain Conv has no Z and no activation).
//
// Where each part happens:
//   * GEMM-based paths (im2col, 1x1): B is the GEMM's per-row bias; Z is
//     copied into the output block, which the GEMM then accumulates into
//     (beta = 1; no copy when Y and Z share memory); Relu and Clip are the
//     GEMM epilogue's kRelu / kClamp; other activations run as a vectorized
//     post-pass over the output block the task has just computed (still in
//     cache), never as a separate sweep over the tensor.
//   * Winograd and depthwise write their outputs row by row and apply B, Z
//     and the activation to each row as it is written.
#pragma once

#include <cstdint>

#include "core/cpu_features.h"
#include "kernels/cpu/gemm/gemm_ukernel.h"
#include "kernels/cpu/unary/unary_ukernels.h"
#include "runtime/kernel.h"

namespace fastserve {

struct ConvActivation {
  // What a GEMM epilogue fuses (kNone when the activation is not Relu/Clip).
  GemmActivation gemm = GemmActivation::kNone;
  float clamp_min = 0.f, clamp_max = 0.f;
  // The activation as a vectorized row function for the given ISA, or null
  // for none. GEMM paths call it only when `gemm_fused` is false.
  UnaryUkernelFn row = nullptr;
  UnaryParams params;
  bool gemm_fused = true;  // true: nothing is left after the GEMM epilogue

  // Applies the activation in place to n contiguous values.
  void apply(float* data, int64_t n) const {
    if (row != nullptr && n > 0) row(data, data, n, params);
  }
};

// The activation of a FusedConv, FusedMatMul or FusedAdd node (none for any other), with row functions
// from the ISA's unary microkernel table (isa must be one the host runs).
Result<ConvActivation> parse_conv_activation(const NodeView& node, Isa isa);

// The residual Z of a FusedConv run (input 3), or null when absent; an error
// naming the node when its dtype or shape is not Y's.
Result<const float*> conv_residual(const KernelContext& ctx);

}  // namespace fastserve
