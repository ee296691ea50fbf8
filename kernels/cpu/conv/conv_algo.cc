// The CPU convolution algorithm heuristic (see conv_algo.h, docs/kernels.md).
//
// In order, for a 1-D / 2-D FP32 conv with a static W [M, C/group, kh, kw]:
//   1. depthwise (group == C == M, one filter per channel) -> kDepthwise:
//      direct loops beat any GEMM formulation (K = kh*kw is tiny).
//   2. 1x1 kernel -> kPointwise: the conv is a GEMM [M, C] x [C, H*W]; at
//      stride 1 without pads the NCHW input *is* the B matrix (no im2col),
//      otherwise the strided pixels are gathered into packed panels first.
//   3. 3x3, stride 1, dilation 1, group 1, constant W, C and M >= 8, output
//      >= 144 pixels (12x12; or unknown at compile) -> kWinograd F(4x4, 3x3):
//      36 GEMMs on transformed tiles do 4x fewer multiplies than direct.
//      The transforms cost O(C + M) per tile against the GEMMs' O(C * M), so
//      with fewer than 8 channels they eat the saving; with fewer than ~9
//      tiles (a 4x4 tile grid over the output) the per-frequency GEMMs get
//      only a fraction of one microkernel panel of columns (16 on AVX2) and
//      a 7x7 output wastes 23% of an 8x8 grid. Measured on the AVX2 host
//      (bench/kernels/conv_bench.cc, xover_* layers; docs/kernels.md), one
//      thread, im2col time / Winograd time (> 1: Winograd faster):
//        C=M   8x8   10x10  12x12  13x13  14x14  28x28  56x56
//        4     1.00  0.71   0.75   1.14   1.12   1.71   2.16
//        8     0.70  1.00   1.08   1.64   1.82   1.96   2.27
//        16    0.79  1.04   1.17   1.94   2.18   2.12   2.49
//        64    0.83  1.61   1.10   2.48   2.72   2.43   2.61
//   4. anything else -> kIm2col (im2col into packed panels + GEMM).
// Before all of these: a group-1 conv whose constant W has at least
// kSparseConvMinSparsity exact zeros (a pruned layer) -> kSparse, the CSR
// W times im2col columns (conv_sparse.cc): below that fraction the dense
// algorithms win (the measured break-even, kernels/cpu/sparse/sparse_matrix.h).
#include "kernels/cpu/conv/conv_algo.h"

#include "graph/window_geometry.h"
#include "kernels/cpu/sparse/sparse_matrix.h"

#include <vector>

namespace fastserve {
int64_t known_output_pixels(const NodeView& node) {
  if (node.num_outputs() < 1 || !node.output(0).shape_known) return -1;
  const Shape& y = node.output(0).shape;
  if (y.rank() < 3) return -1;
  int64_t pixels = 1;
  for (size_t i = 2; i < y.rank(); ++i) {
    if (y[i] == kUnknownDim) return -1;
    pixels *= y[i];
  }
  return pixels;
}

const char* conv_algo_name(ConvAlgo algo) {
  switch (algo) {
    case ConvAlgo::kNone: return "reference";
    case ConvAlgo::kIm2col: return "im2col_gemm";
    case ConvAlgo::kPointwise: return "1x1_gemm";
    case ConvAlgo::kWinograd: return "winograd";
    case ConvAlgo::kDepthwise: return "depthwise";
    case ConvAlgo::kSparse: return "sparse";
  }
  return "?";
}

bool accepts_conv_any(const NodeView& node) {
  if (node.input_dtype(0) != DType::kF32) return false;
  if (!node.has_input(1) || !node.input(1).shape_known || node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  if (node.has_input(3) && node.input_dtype(3) != DType::kF32) return false;  // FusedConv's Z
  const Shape& w = node.input(1).shape;
  if (w.rank() != 3 && w.rank() != 4) return false;
  if (!w.is_static() || w[0] < 1 || w[1] < 1) return false;
  // kernel_shape, when given, must match W (inference checks it too; a
  // mismatch goes to the reference, which reports it).
  if (node.has_attr("kernel_shape")) {
    const std::vector<int64_t> k = node.attr_ints("kernel_shape");
    if (k.size() != w.rank() - 2) return false;
    for (size_t i = 0; i < k.size(); ++i) {
      if (k[i] != w[i + 2]) return false;
    }
  }
  return true;
}

ConvAlgo choose_conv_algorithm(const NodeView& node) {
  if (!accepts_conv_any(node)) return ConvAlgo::kNone;
  const Shape& w = node.input(1).shape;
  const size_t nd = w.rank() - 2;
  const int64_t group = node.attr_int("group", 1);
  const int64_t m = w[0], cg = w[1];
  if (group < 1 || m % group != 0) return ConvAlgo::kIm2col;  // the kernel's prepare reports it
  int64_t taps = 1;
  for (size_t i = 0; i < nd; ++i) taps *= w[i + 2];

  if (group == 1 && node.input_value(1) != nullptr &&
      zero_fraction_at_least(*node.input_value(1), kSparseConvMinSparsity)) {
    return ConvAlgo::kSparse;
  }
  if (group > 1 && cg == 1 && m == group) return ConvAlgo::kDepthwise;
  if (taps == 1) return ConvAlgo::kPointwise;

  const bool square3 = nd == 2 && w[2] == 3 && w[3] == 3;
  const bool unit = all_equal(node.attr_ints("strides", {1, 1}), 1) && all_equal(node.attr_ints("dilations", {1, 1}), 1);
  if (square3 && unit && group == 1 && node.input_value(1) != nullptr && cg >= kWinogradMinChannels &&
      m >= kWinogradMinChannels) {
    const int64_t pixels = known_output_pixels(node);
    if (pixels < 0 || pixels >= kWinogradMinOutputPixels) return ConvAlgo::kWinograd;
  }
  return ConvAlgo::kIm2col;
}

void add_conv_descriptors(KernelRegistry& r, const char* conv_name, const char* fused_name, Isa isa, int priority,
                          AcceptsFn accepts, PrepareFn prepare, RunFn run) {
  r.add(KernelDesc{.name = conv_name, .op_type = "Conv", .dtype = DType::kF32, .required_isa = isa,
                   .priority = priority, .accepts = accepts, .prepare = prepare, .run = run});
  r.add(KernelDesc{.name = fused_name, .op_type = "FusedConv", .domain = "fastserve", .since_version = 1,
                   .dtype = DType::kF32, .required_isa = isa, .priority = priority,
                   .accepts = accepts, .prepare = prepare, .run = run,
                   // Every path (pointwise, im2col, folded, Winograd, depthwise,
                   // sparse) adds Z[i] as it writes Y[i], or copies Z into Y
                   // first only when they differ: Y may be Z (ResNet's blocks).
                   .output0_may_alias_input = 3});
}

}  // namespace fastserve
