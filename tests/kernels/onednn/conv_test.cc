// conv_f32__onednn against the reference on random inputs: padded, pointwise,
// strided, dilated, asymmetric pads, grouped, depthwise (multiplier 1 and
// 2), auto_pad, odd sizes, bias present and absent; and the nodes it must
// leave to our kernels (1-D, 3-D, non-float weights).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/onednn/onednn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

constexpr const char* kConv = "conv_f32__onednn";

void check_conv(const std::string& label, Shape x, Shape w, bool bias, std::vector<Attribute> attrs) {
  SCOPED_TRACE(label);
  std::mt19937 rng(4321);
  std::vector<Tensor> inputs = {testing::random_f32(x, rng), testing::random_f32(w, rng)};
  if (bias) inputs.push_back(testing::random_f32(Shape{w[0]}, rng));
  const int64_t k = w[1] * w[2] * w[3];
  onednn_test::expect_matches_reference(kConv, OpSpec{"Conv", 17, std::move(attrs)}, inputs,
                                        1e-4 * std::sqrt(static_cast<double>(k)));
}

TEST(OneDnnConv, PaddedWithAndWithoutBiasMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_conv("3x3 pad 1 bias", {2, 3, 9, 10}, {5, 3, 3, 3}, true, {attr_ints("pads", {1, 1, 1, 1})});
  check_conv("3x3 pad 1 no bias", {2, 3, 9, 10}, {5, 3, 3, 3}, false, {attr_ints("pads", {1, 1, 1, 1})});
  check_conv("odd sizes", {3, 13, 11, 7}, {17, 13, 3, 3}, true, {attr_ints("pads", {1, 0, 2, 1})});
}

TEST(OneDnnConv, PointwiseAndSingleChannelMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_conv("1x1", {2, 7, 5, 11}, {13, 7, 1, 1}, true, {});
  check_conv("1x1 M=1 C=1", {1, 1, 3, 3}, {1, 1, 1, 1}, false, {});
  check_conv("1x1 stride 2", {1, 4, 7, 6}, {3, 4, 1, 1}, false, {attr_ints("strides", {2, 2})});
  check_conv("first layer C=1", {4, 1, 28, 28}, {16, 1, 3, 3}, true, {attr_ints("pads", {1, 1, 1, 1})});
}

TEST(OneDnnConv, StridedDilatedAsymmetricPadsMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_conv("strided dilated", {1, 5, 17, 13}, {7, 5, 3, 2}, true,
             {attr_ints("strides", {2, 3}), attr_ints("dilations", {2, 1}), attr_ints("pads", {0, 2, 3, 1})});
  check_conv("5x5 stride 2 pad 2", {3, 2, 15, 15}, {17, 2, 5, 5}, false,
             {attr_ints("strides", {2, 2}), attr_ints("pads", {2, 2, 2, 2})});
  check_conv("pads wider than the kernel", {1, 3, 6, 5}, {4, 3, 2, 2}, true,
             {attr_ints("pads", {3, 2, 3, 2})});
}

TEST(OneDnnConv, GroupedMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_conv("group 2", {2, 6, 8, 8}, {4, 3, 3, 3}, true,
             {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})});
  check_conv("group 3 strided", {1, 9, 7, 9}, {6, 3, 2, 3}, false,
             {attr_int("group", 3), attr_ints("strides", {2, 1})});
  check_conv("group 4, 16 channels", {2, 16, 10, 10}, {32, 4, 3, 3}, true,
             {attr_int("group", 4), attr_ints("pads", {1, 1, 1, 1})});
}

TEST(OneDnnConv, DepthwiseMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_conv("dw 3x3 s1 p1", {2, 8, 10, 9}, {8, 1, 3, 3}, true,
             {attr_int("group", 8), attr_ints("pads", {1, 1, 1, 1})});
  check_conv("dw 3x3 s2, 13 channels", {1, 13, 11, 12}, {13, 1, 3, 3}, false,
             {attr_int("group", 13), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 0, 0})});
  check_conv("dw dilated asym", {1, 3, 9, 14}, {3, 1, 3, 5}, true,
             {attr_int("group", 3), attr_ints("dilations", {2, 3}), attr_ints("pads", {2, 0, 1, 4}),
              attr_ints("strides", {1, 3})});
  check_conv("dw multiplier 2", {1, 4, 6, 6}, {8, 1, 3, 3}, true, {attr_int("group", 4)});
}

TEST(OneDnnConv, AutoPadMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check_conv(std::string("auto_pad ") + mode, {1, 3, 10, 7}, {4, 3, 4, 3}, true,
               {attr_string("auto_pad", mode), attr_ints("strides", {2, 2})});
    check_conv(std::string("dw auto_pad ") + mode, {1, 4, 9, 8}, {4, 1, 4, 3}, true,
               {attr_string("auto_pad", mode), attr_int("group", 4)});
  }
}

TEST(OneDnnConv, LeavesOneDThreeDAndNonFloatWeightsToOurKernels) {
  SKIP_WITHOUT_ONEDNN();
  const KernelDesc* conv = onednn_test::find_kernel(kConv);
  ASSERT_NE(conv, nullptr);
  std::mt19937 rng(7);
  const OpSpec spec{"Conv"};
  EXPECT_FALSE(onednn_test::accepts(
      *conv, spec, {testing::random_f32({1, 2, 10}, rng), testing::random_f32({3, 2, 3}, rng)}));
  EXPECT_FALSE(onednn_test::accepts(
      *conv, spec, {testing::random_f32({1, 2, 4, 4, 4}, rng), testing::random_f32({3, 2, 2, 2, 2}, rng)}));
  EXPECT_FALSE(onednn_test::accepts(
      *conv, spec,
      {testing::random_f32({1, 2, 4, 4}, rng), testing::random_tensor(DType::kF16, {3, 2, 2, 2}, rng)}));
  EXPECT_TRUE(onednn_test::accepts(
      *conv, spec, {testing::random_f32({1, 2, 4, 4}, rng), testing::random_f32({3, 2, 2, 2}, rng)}));
}

}  // namespace
}  // namespace fastserve
