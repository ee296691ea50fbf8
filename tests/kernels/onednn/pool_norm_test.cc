// The cheap oneDNN descriptors against the reference on random inputs:
// MaxPool / AveragePool (strides, pads, dilations, ceil_mode, auto_pad,
// count_include_pad), GlobalAveragePool (1-D to 3-D), BatchNormalization
// (ranks 2 to 5) and Relu; and what the pools leave to our kernels.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/onednn/onednn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

void check_pool(const std::string& op, const std::string& label, Shape x, std::vector<Attribute> attrs,
                int64_t opset = 19) {
  SCOPED_TRACE(op + ": " + label);
  std::mt19937 rng(11);
  const std::string name = op == "MaxPool" ? "max_pool_f32__onednn" : "average_pool_f32__onednn";
  onednn_test::expect_matches_reference(name, OpSpec{op, opset, std::move(attrs)},
                                        {testing::random_f32(x, rng)}, 1e-5);
}

TEST(OneDnnPool, MaxPoolMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_pool("MaxPool", "2x2 s2", {2, 16, 28, 28},
             {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})});
  check_pool("MaxPool", "3x3 s1 p1, odd channels", {1, 5, 9, 7},
             {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})});
  check_pool("MaxPool", "ceil_mode", {1, 3, 10, 9},
             {attr_ints("kernel_shape", {3, 2}), attr_ints("strides", {2, 2}), attr_int("ceil_mode", 1)});
  check_pool("MaxPool", "dilated asymmetric pads", {2, 4, 11, 12},
             {attr_ints("kernel_shape", {2, 3}), attr_ints("dilations", {2, 1}),
              attr_ints("pads", {1, 0, 0, 2}), attr_ints("strides", {1, 2})});
  check_pool("MaxPool", "SAME_UPPER", {1, 3, 7, 8},
             {attr_ints("kernel_shape", {3, 3}), attr_string("auto_pad", "SAME_UPPER"),
              attr_ints("strides", {2, 2})});
}

TEST(OneDnnPool, AveragePoolMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  for (int include : {0, 1}) {
    const std::string pad = include ? " count_include_pad" : " exclude pad";
    check_pool("AveragePool", "3x3 s2 p1" + pad, {2, 7, 9, 10},
               {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}),
                attr_ints("pads", {1, 1, 1, 1}), attr_int("count_include_pad", include)});
    check_pool("AveragePool", "asymmetric pads" + pad, {1, 3, 8, 6},
               {attr_ints("kernel_shape", {2, 3}), attr_ints("pads", {0, 2, 1, 1}),
                attr_int("count_include_pad", include)});
    check_pool("AveragePool", "SAME_LOWER" + pad, {1, 2, 7, 7},
               {attr_ints("kernel_shape", {2, 2}), attr_string("auto_pad", "SAME_LOWER"),
                attr_int("count_include_pad", include)});
  }
  check_pool("AveragePool", "ceil_mode exclude pad", {1, 3, 10, 9},
             {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_int("ceil_mode", 1)});
  check_pool("AveragePool", "dilated", {1, 2, 12, 11},
             {attr_ints("kernel_shape", {2, 2}), attr_ints("dilations", {2, 3})});
}

TEST(OneDnnPool, LeavesIndicesOneDAndCeilWithIncludedPadsToOurKernels) {
  SKIP_WITHOUT_ONEDNN();
  std::mt19937 rng(2);
  const Tensor x = testing::random_f32({1, 2, 6, 6}, rng);
  const KernelDesc* max_pool = onednn_test::find_kernel("max_pool_f32__onednn");
  const KernelDesc* avg_pool = onednn_test::find_kernel("average_pool_f32__onednn");
  ASSERT_NE(max_pool, nullptr);
  ASSERT_NE(avg_pool, nullptr);
  OpSpec with_indices{"MaxPool", 12, {attr_ints("kernel_shape", {2, 2})}};
  with_indices.num_outputs = 2;
  EXPECT_FALSE(onednn_test::accepts(*max_pool, with_indices, {x}));
  EXPECT_FALSE(onednn_test::accepts(*max_pool, OpSpec{"MaxPool", 12, {attr_ints("kernel_shape", {2})}},
                                    {testing::random_f32({1, 2, 6}, rng)}));
  EXPECT_FALSE(onednn_test::accepts(
      *avg_pool,
      OpSpec{"AveragePool",
             19,
             {attr_ints("kernel_shape", {2, 2}), attr_int("count_include_pad", 1), attr_int("ceil_mode", 1)}},
      {x}));
  EXPECT_TRUE(
      onednn_test::accepts(*max_pool, OpSpec{"MaxPool", 12, {attr_ints("kernel_shape", {2, 2})}}, {x}));
}

TEST(OneDnnPool, GlobalAveragePoolMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  std::mt19937 rng(8);
  for (const Shape& x : {Shape{2, 5, 7}, Shape{3, 16, 7, 7}, Shape{1, 9, 3, 4, 5}}) {
    SCOPED_TRACE(x.to_string());
    onednn_test::expect_matches_reference("global_average_pool_f32__onednn", OpSpec{"GlobalAveragePool"},
                                          {testing::random_f32(x, rng)}, 1e-5);
  }
}

TEST(OneDnnBatchNorm, InferenceMatchesReferenceForRanksTwoToFive) {
  SKIP_WITHOUT_ONEDNN();
  std::mt19937 rng(6);
  for (const Shape& x : {Shape{4, 6}, Shape{2, 5, 9}, Shape{2, 13, 7, 3}, Shape{1, 3, 2, 4, 5}}) {
    SCOPED_TRACE(x.to_string());
    const int64_t c = x[1];
    std::vector<Tensor> inputs = {testing::random_f32(x, rng), testing::random_f32({c}, rng),
                                  testing::random_f32({c}, rng), testing::random_f32({c}, rng),
                                  testing::random_f32({c}, rng, 0.1, 2.0)};
    onednn_test::expect_matches_reference("batchnorm_f32__onednn",
                                          OpSpec{"BatchNormalization", 15, {attr_float("epsilon", 1e-3f)}},
                                          inputs, 1e-5);
  }
}

TEST(OneDnnRelu, MatchesReferenceOnAnyShape) {
  SKIP_WITHOUT_ONEDNN();
  std::mt19937 rng(1);
  for (const Shape& x : {Shape{3, 5, 7}, Shape{1}, Shape{10007}, Shape{2, 16, 28, 28}}) {
    SCOPED_TRACE(x.to_string());
    onednn_test::expect_matches_reference("relu_f32__onednn", OpSpec{"Relu", 14},
                                          {testing::random_f32(x, rng)}, 0);
  }
}

}  // namespace
}  // namespace fastserve
