// Optimized Conv kernels (kernels/cpu/conv/: every descriptor the host runs
// that accepts the node, i.e. the algorithm conv_algo.cc picks plus the
// im2col fallback) against the reference on random inputs: pointwise,
// strided, dilated, grouped, depthwise, asymmetric pads, auto_pad, 1-D, odd
// sizes; with weights as constants (prepacked) and as run-time values.
// Per-algorithm suites: conv_winograd_test.cc, conv_depthwise_test.cc,
// fused_conv_test.cc; the heuristic itself: conv_algo_test.cc.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/cpu/nn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

struct ConvCase {
  std::string label;
  Shape x, w;
  bool bias;
  std::vector<Attribute> attrs;
  int min_kernels = 1;  // optimized descriptors that must take the node
};

void check_conv(const ConvCase& c) {
  SCOPED_TRACE(c.label);
  std::mt19937 rng(1234);
  std::vector<Tensor> inputs = {testing::random_f32(c.x, rng), testing::random_f32(c.w, rng)};
  if (c.bias) inputs.push_back(testing::random_f32(Shape{c.w[0]}, rng));
  const OpSpec spec{"Conv", 17, c.attrs};
  int64_t k = 1;
  for (size_t i = 1; i < c.w.rank(); ++i) k *= c.w[i];
  const double atol = nn_test::sum_atol(k);
  EXPECT_GE(testing::expect_kernels_match_reference(spec, inputs, atol, 1e-4), c.min_kernels);
  EXPECT_GE(nn_test::expect_dynamic_kernels_match_reference(spec, inputs, atol, 1e-4), c.min_kernels);
}

TEST(ConvCpu, Plain3x3PaddedWithBiasMatchesReference) {
  check_conv({"3x3 pad 1", {2, 3, 9, 10}, {5, 3, 3, 3}, true, {attr_ints("pads", {1, 1, 1, 1})}});
}

TEST(ConvCpu, PointwiseMatchesReference) {
  check_conv({"1x1", {2, 7, 5, 11}, {13, 7, 1, 1}, true, {}});
  check_conv({"1x1 no bias, M=1, K=1", {1, 1, 3, 3}, {1, 1, 1, 1}, false, {}});
  // 1x1 with stride: not the direct-GEMM path.
  check_conv({"1x1 stride 2", {1, 4, 7, 6}, {3, 4, 1, 1}, false, {attr_ints("strides", {2, 2})}});
  // Small outputs (< 256 pixels, batch 1): a plain 1x1 stays W-major on the
  // input in place; a padded or strided 1x1 goes pixels-major (conv.cc).
  check_conv({"1x1 7x7 batch 1", {1, 40, 7, 7}, {37, 40, 1, 1}, true, {}});
  check_conv({"1x1 pad 1 batch 1", {1, 9, 6, 5}, {17, 9, 1, 1}, true, {attr_ints("pads", {1, 1, 1, 1})}});
  check_conv({"1x1 stride 2 14x14 batch 1", {1, 24, 14, 14}, {35, 24, 1, 1}, false, {attr_ints("strides", {2, 2})}});
}

TEST(ConvCpu, StridedDilatedAsymmetricPadsMatchesReference) {
  check_conv({"strided dilated", {1, 5, 17, 13}, {7, 5, 3, 2}, true,
              {attr_ints("strides", {2, 3}), attr_ints("dilations", {2, 1}), attr_ints("pads", {0, 2, 3, 1})}});
  check_conv({"5x5 stride 2 pad 2", {3, 2, 15, 15}, {17, 2, 5, 5}, false,
              {attr_ints("strides", {2, 2}), attr_ints("pads", {2, 2, 2, 2})}});
}

TEST(ConvCpu, GroupedMatchesReference) {
  check_conv({"group 2", {2, 6, 8, 8}, {4, 3, 3, 3}, true, {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})}});
  check_conv({"group 3 strided", {1, 9, 7, 9}, {6, 3, 2, 3}, false, {attr_int("group", 3), attr_ints("strides", {2, 1})}});
}

TEST(ConvCpu, DepthwiseMatchesReference) {
  // Both the depthwise kernel and the im2col kernels take these.
  check_conv({"dw 3x3 s1 p1", {2, 8, 10, 9}, {8, 1, 3, 3}, true,
              {attr_int("group", 8), attr_ints("pads", {1, 1, 1, 1})}, 2});
  check_conv({"dw 3x3 s2", {1, 5, 11, 12}, {5, 1, 3, 3}, false,
              {attr_int("group", 5), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 0, 0})}, 2});
  check_conv({"dw dilated asym", {1, 3, 9, 14}, {3, 1, 3, 5}, true,
              {attr_int("group", 3), attr_ints("dilations", {2, 3}), attr_ints("pads", {2, 0, 1, 4}),
               attr_ints("strides", {1, 3})},
              2});
  // Channel multiplier 2 (M = 2C): only the im2col kernels.
  check_conv({"dw multiplier 2", {1, 4, 6, 6}, {8, 1, 3, 3}, true, {attr_int("group", 4)}});
}

TEST(ConvCpu, AutoPadMatchesReference) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check_conv({std::string("auto_pad ") + mode, {1, 3, 10, 7}, {4, 3, 4, 3}, true,
                {attr_string("auto_pad", mode), attr_ints("strides", {2, 2})}});
    check_conv({std::string("dw auto_pad ") + mode, {1, 4, 9, 8}, {4, 1, 4, 3}, true,
                {attr_string("auto_pad", mode), attr_int("group", 4)}, 2});
  }
}

TEST(ConvCpu, OneDMatchesReference) {
  check_conv({"1-D", {2, 3, 29}, {5, 3, 4}, true, {attr_ints("pads", {2, 1}), attr_ints("strides", {2})}});
  check_conv({"1-D depthwise", {1, 6, 20}, {6, 1, 5}, false, {attr_int("group", 6), attr_ints("dilations", {2})}, 2});
}

TEST(ConvCpu, WideOutputCrossesTaskAndPanelBoundaries) {
  // N = 40*40 = 1600 output pixels, M = 33, K = 16*9 = 144.
  check_conv({"wide", {1, 16, 40, 40}, {33, 16, 3, 3}, true, {attr_ints("pads", {1, 1, 1, 1})}});
}

TEST(ConvCpu, ThreeDFallsBackToReference) {
  std::mt19937 rng(1234);
  const std::vector<Tensor> inputs = {testing::random_f32({1, 2, 4, 4, 4}, rng), testing::random_f32({3, 2, 2, 2, 2}, rng)};
  EXPECT_EQ(testing::expect_kernels_match_reference(OpSpec{"Conv"}, inputs), 0);
}

}  // namespace
}  // namespace fastserve
