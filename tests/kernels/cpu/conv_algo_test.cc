// The CPU conv algorithm heuristic (kernels/cpu/conv/conv_algo.cc,
// docs/kernels.md), pinned on representative ResNet-50 and MobileNetV2
// layers: the registry must pick the documented algorithm at every ISA level,
// for Conv and for fastserve.FusedConv, so the choice cannot silently regress.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "graph/op_schema.h"
#include "kernels/cpu/conv/conv_algo.h"
#include "runtime/kernel_registry.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;

struct Layer {
  const char* label;
  Shape x, w;
  std::vector<Attribute> attrs;
  const char* algo;           // the expected descriptor's algorithm part
  bool constant_w = true;
};

// The descriptor the registry picks for the layer at `isa`.
std::string chosen_kernel(const Layer& l, const char* op_type, const char* domain, int64_t opset, Isa isa) {
  // Values matter only through their zeros (a pruned W goes to the sparse
  // kernel, tests/kernels/cpu/sparse/): these layers are dense.
  Tensor w = Tensor::empty(DType::kF32, l.w);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = 1.f;
  std::vector<TensorInfo> ins = {TensorInfo::with_shape(DType::kF32, l.x),
                                 l.constant_w ? TensorInfo::of(w) : TensorInfo::with_shape(DType::kF32, l.w)};
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView infer_view("n", op_type, domain, opset, &l.attrs, ins, outs);
  const Status st = find_op_schema(op_type, domain)->infer(infer_view, outs);
  EXPECT_TRUE(st.ok()) << st.to_string();
  const NodeView view("n", op_type, domain, opset, &l.attrs, ins, outs);
  auto chosen = KernelRegistry::global().select(view, Device::kCpu, isa);
  EXPECT_TRUE(chosen.ok()) << chosen.status().to_string();
  return chosen.ok() ? (*chosen)->name : "";
}

const std::vector<Layer>& layers() {
  const auto pad1 = attr_ints("pads", {1, 1, 1, 1});
  const auto s2 = attr_ints("strides", {2, 2});
  static const std::vector<Layer> all = {
      // ResNet-50
      {"resnet conv1 7x7 s2 3->64 224", {1, 3, 224, 224}, {64, 3, 7, 7}, {attr_ints("pads", {3, 3, 3, 3}), s2},
       "im2col_gemm"},
      {"resnet 3x3 64->64 56", {1, 64, 56, 56}, {64, 64, 3, 3}, {pad1}, "winograd"},
      {"resnet 3x3 128->128 28", {1, 128, 28, 28}, {128, 128, 3, 3}, {pad1}, "winograd"},
      {"resnet 3x3 256->256 14", {1, 256, 14, 14}, {256, 256, 3, 3}, {pad1}, "winograd"},
      {"resnet 3x3 512->512 7 (too few tiles)", {1, 512, 7, 7}, {512, 512, 3, 3}, {pad1}, "im2col_gemm"},
      {"resnet 3x3 s2 128->128 56", {1, 128, 56, 56}, {128, 128, 3, 3}, {pad1, s2}, "im2col_gemm"},
      {"resnet 1x1 64->256 56", {1, 64, 56, 56}, {256, 64, 1, 1}, {}, "1x1_gemm"},
      {"resnet 1x1 1024->256 14", {1, 1024, 14, 14}, {256, 1024, 1, 1}, {}, "1x1_gemm"},
      {"resnet 1x1 s2 downsample 256->512", {1, 256, 56, 56}, {512, 256, 1, 1}, {s2}, "1x1_gemm"},
      {"3x3 with dynamic W", {1, 64, 56, 56}, {64, 64, 3, 3}, {pad1}, "im2col_gemm", false},
      {"3x3 with 4 channels", {1, 4, 32, 32}, {4, 4, 3, 3}, {pad1}, "im2col_gemm"},
      {"3x3 with 8 channels", {1, 8, 32, 32}, {8, 8, 3, 3}, {pad1}, "winograd"},
      {"3x3 dilated", {1, 64, 32, 32}, {64, 64, 3, 3}, {attr_ints("dilations", {2, 2})}, "im2col_gemm"},
      {"3x3 grouped", {1, 64, 32, 32}, {64, 32, 3, 3}, {pad1, attr_int("group", 2)}, "im2col_gemm"},
      // MobileNetV2
      {"mobilenet conv 3x3 s2 3->32 224", {1, 3, 224, 224}, {32, 3, 3, 3}, {pad1, s2}, "im2col_gemm"},
      {"mobilenet dw 3x3 s1 112x32", {1, 32, 112, 112}, {32, 1, 3, 3}, {pad1, attr_int("group", 32)}, "depthwise"},
      {"mobilenet dw 3x3 s2 112x96", {1, 96, 112, 112}, {96, 1, 3, 3}, {pad1, s2, attr_int("group", 96)}, "depthwise"},
      {"mobilenet dw 3x3 s1 7x960", {1, 960, 7, 7}, {960, 1, 3, 3}, {pad1, attr_int("group", 960)}, "depthwise"},
      {"mobilenet 1x1 expand 24->144 56", {1, 24, 56, 56}, {144, 24, 1, 1}, {}, "1x1_gemm"},
      {"mobilenet 1x1 project 960->160 7", {1, 960, 7, 7}, {160, 960, 1, 1}, {}, "1x1_gemm"},
      {"channel multiplier 2", {1, 16, 14, 14}, {32, 1, 3, 3}, {pad1, attr_int("group", 16)}, "im2col_gemm"},
  };
  return all;
}

TEST(ConvAlgorithm, RegistryPicksTheDocumentedAlgorithmAtEveryIsa) {
  const std::vector<std::pair<Isa, const char*>> isas = {
      {Isa::kScalar, "portable"}, {Isa::kAvx2, "avx2"}, {Isa::kAvx512, "avx512"}};
  for (const Layer& l : layers()) {
    for (const auto& [isa, tag] : isas) {
      const std::string want = std::string("conv_f32_") + l.algo + "__" + tag;
      EXPECT_EQ(chosen_kernel(l, "Conv", "", 17, isa), want) << l.label;
      EXPECT_EQ(chosen_kernel(l, "FusedConv", "fastserve", 1, isa), "fused_" + want) << l.label;
    }
  }
}

TEST(ConvAlgorithm, WinogradThresholdsAreTheDocumentedOnes) {
  const auto pad1 = attr_ints("pads", {1, 1, 1, 1});
  auto pick = [](const Layer& l) { return chosen_kernel(l, "Conv", "", 17, Isa::kAvx2); };
  // Channels: 8 is the first count that takes Winograd, on either side.
  EXPECT_EQ(pick({"C=7", {1, 7, 32, 32}, {32, 7, 3, 3}, {pad1}, ""}), "conv_f32_im2col_gemm__avx2");
  EXPECT_EQ(pick({"M=7", {1, 32, 32, 32}, {7, 32, 3, 3}, {pad1}, ""}), "conv_f32_im2col_gemm__avx2");
  EXPECT_EQ(pick({"C=M=8", {1, 8, 32, 32}, {8, 8, 3, 3}, {pad1}, ""}), "conv_f32_winograd__avx2");
  // Output pixels: 12x12 (144) takes Winograd, 11x13 (143) does not.
  EXPECT_EQ(pick({"12x12", {1, 32, 12, 12}, {32, 32, 3, 3}, {pad1}, ""}), "conv_f32_winograd__avx2");
  EXPECT_EQ(pick({"11x13", {1, 32, 11, 13}, {32, 32, 3, 3}, {pad1}, ""}), "conv_f32_im2col_gemm__avx2");
  // Unknown spatial dims at compile: Winograd (typical of large images).
  EXPECT_EQ(pick({"HxW unknown", {1, 32, kUnknownDim, kUnknownDim}, {32, 32, 3, 3}, {pad1}, ""}),
            "conv_f32_winograd__avx2");
  EXPECT_EQ(kWinogradMinChannels, 8);
  EXPECT_EQ(kWinogradMinOutputPixels, 144);
}

}  // namespace
}  // namespace fastserve
