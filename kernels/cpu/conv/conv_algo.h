// Which convolution algorithm a Conv / fastserve.FusedConv node gets on the
// CPU, decided once from what is known at session compile (the heuristic is
// documented in conv_algo.cc and docs/kernels.md).
//
// Each algorithm registers its own descriptors (one per ISA), and each
// descriptor's accepts() takes a node only when choose_conv_algorithm()
// names its algorithm, so the registry's pick (and Session::kernel_choices(),
// `fastserve inspect`, profiles) shows the algorithm: conv_f32_winograd__avx2,
// conv_f32_1x1_gemm__avx2, ... The im2col descriptors accept every 1-D / 2-D
// node and are the fallback.
#pragma once

#include <cstdint>

#include "fastserve/node_view.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

enum class ConvAlgo : uint8_t {
  kNone,       // not a 1-D / 2-D FP32 conv with a static W: the reference runs it
  kIm2col,     // im2col (straight into packed GEMM panels) + GEMM: anything
  kPointwise,  // 1x1: GEMM on the NCHW input (stride 1, no pad) or on a gathered copy
  kWinograd,   // F(4x4, 3x3): 3x3, stride 1, dilation 1, group 1, constant W
  kDepthwise,  // group == C == M: direct vectorized loops
  kSparse,     // group 1, constant W with >= kSparseConvMinSparsity zeros: CSR W x im2col columns
};

const char* conv_algo_name(ConvAlgo algo);

// The documented choice for this node (compile-time view: shapes may have
// unknown dims; W must be static for every algorithm).
ConvAlgo choose_conv_algorithm(const NodeView& node);

// Output pixels per image (product of the spatial dims) when the output
// shape is known at compile, else -1.
int64_t known_output_pixels(const NodeView& node);

// Thresholds of the heuristic, exposed for the tests that pin it.
inline constexpr int64_t kWinogradMinChannels = 8;         // both C and M
inline constexpr int64_t kWinogradMinOutputPixels = 144;  // OH*OW (12x12), when known

// accepts() helpers: the node is a 1-D / 2-D conv this backend handles at all
// (FP32 X, W, B, Z; static W), and the chosen algorithm is `algo`.
bool accepts_conv_any(const NodeView& node);
template <ConvAlgo kAlgo>
bool accepts_conv_algo(const NodeView& node) {
  return choose_conv_algorithm(node) == kAlgo;
}

// Registers one algorithm variant twice: for Conv (`conv_name`) and for
// fastserve.FusedConv version 1 (`fused_name`), with the same accepts,
// prepare and run (prepare reads the fused activation; run reads Z).
void add_conv_descriptors(KernelRegistry& r, const char* conv_name, const char* fused_name, Isa isa, int priority,
                          AcceptsFn accepts, PrepareFn prepare, RunFn run);

}  // namespace fastserve
