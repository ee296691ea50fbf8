// Optimized ConvTranspose (kernels/cpu/conv/conv_transpose.cc, GEMM +
// col2im for every ISA the host runs) against the reference: strides,
// output_padding, pads, dilations, groups, output_shape, auto_pad, 1-D.
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

void check_conv_transpose(const std::string& label, Shape x, Shape w, bool bias, std::vector<Attribute> attrs) {
  SCOPED_TRACE(label);
  std::mt19937 rng(1234);
  std::vector<Tensor> inputs = {testing::random_f32(x, rng), testing::random_f32(w, rng)};
  const int64_t group = [&] {
    for (const Attribute& a : attrs) {
      if (a.name == "group") return a.i;
    }
    return int64_t{1};
  }();
  if (bias) inputs.push_back(testing::random_f32(Shape{w[1] * group}, rng));
  const OpSpec spec{"ConvTranspose", 17, std::move(attrs)};
  const double atol = nn_test::sum_atol(w[0] / group * 4);
  EXPECT_GT(testing::expect_kernels_match_reference(spec, inputs, atol, 1e-4), 0);
  EXPECT_GT(nn_test::expect_dynamic_kernels_match_reference(spec, inputs, atol, 1e-4), 0);
}

TEST(ConvTransposeCpu, StrideOutputPaddingPadsMatchReference) {
  check_conv_transpose("s2 op1", {2, 3, 5, 6}, {3, 4, 3, 3}, true,
                       {attr_ints("strides", {2, 2}), attr_ints("output_padding", {1, 1}), attr_ints("pads", {1, 0, 1, 2})});
  check_conv_transpose("s1", {1, 7, 4, 4}, {7, 5, 2, 2}, false, {});
}

TEST(ConvTransposeCpu, DilatedGroupedMatchesReference) {
  check_conv_transpose("group 2 dilated", {1, 4, 5, 4}, {4, 3, 3, 2}, true,
                       {attr_int("group", 2), attr_ints("dilations", {2, 3}), attr_ints("strides", {3, 2})});
}

TEST(ConvTransposeCpu, OutputShapeAndAutoPadMatchReference) {
  check_conv_transpose("output_shape", {1, 2, 4, 4}, {2, 3, 3, 3}, true,
                       {attr_ints("strides", {2, 2}), attr_ints("output_shape", {8, 9})});
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check_conv_transpose(std::string("auto_pad ") + mode, {1, 3, 5, 4}, {3, 2, 4, 3}, true,
                         {attr_string("auto_pad", mode), attr_ints("strides", {2, 2})});
  }
}

TEST(ConvTransposeCpu, OneDMatchesReference) {
  check_conv_transpose("1-D", {2, 3, 11}, {3, 5, 4}, true, {attr_ints("strides", {3}), attr_ints("pads", {1, 2})});
}

}  // namespace
}  // namespace fastserve
