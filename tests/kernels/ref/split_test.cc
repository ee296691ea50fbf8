// Reference Split (kernels/ref/split.cc) for each opset's way of giving the
// sizes: 'split' attribute (11-12), 'split' input (13+), equal split by
// default, 'num_outputs' with a smaller last chunk (18+).
#include <gtest/gtest.h>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(SplitRef, AttributeSizesBeforeOpset13) {
  const Tensor x = iota_f32(Shape{3, 2});
  auto r = run_reference({.op_type = "Split", .opset = 11, .attrs = {attr_ints("split", {1, 2})}, .num_outputs = 2},
                         {x});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 1}, Shape{1, 2})));
  EXPECT_TRUE(same_bytes((*r)[1], f32s({2, 3, 4, 5}, Shape{2, 2})));
}

TEST(SplitRef, InputSizesFromOpset13AlongNegativeAxis) {
  const Tensor x = iota_f32(Shape{2, 3});
  auto r = run_reference({.op_type = "Split", .opset = 13, .attrs = {attr_int("axis", -1)}, .num_outputs = 2},
                         {x, i64s({2, 1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 1, 3, 4}, Shape{2, 2})));
  EXPECT_TRUE(same_bytes((*r)[1], f32s({2, 5}, Shape{2, 1})));
}

TEST(SplitRef, EqualSplitByDefault) {
  auto r = run_reference({.op_type = "Split", .opset = 13, .num_outputs = 2}, {i64s({4, 5, 6, 7})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], i64s({4, 5})));
  EXPECT_TRUE(same_bytes((*r)[1], i64s({6, 7})));
  // Uneven without num_outputs before opset 18 is an error.
  auto uneven = run_reference({.op_type = "Split", .opset = 13, .num_outputs = 3}, {i64s({4, 5, 6, 7})});
  ASSERT_FALSE(uneven.ok());
  EXPECT_NE(uneven.status().message().find("node 'node0' (Split)"), std::string::npos);
}

// The ONNX backend test test_split_2d_uneven_split_opset18.
TEST(SplitRef, NumOutputsUnevenLastChunkSmaller) {
  const Tensor x = f32s({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Shape{2, 8});
  auto r = run_reference(
      {.op_type = "Split", .opset = 18, .attrs = {attr_int("axis", 1), attr_int("num_outputs", 3)}, .num_outputs = 3},
      {x});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({1, 2, 3, 9, 10, 11}, Shape{2, 3})));
  EXPECT_TRUE(same_bytes((*r)[1], f32s({4, 5, 6, 12, 13, 14}, Shape{2, 3})));
  EXPECT_TRUE(same_bytes((*r)[2], f32s({7, 8, 15, 16}, Shape{2, 2})));
}

TEST(SplitRef, ZeroSizedPart) {
  auto r = run_reference({.op_type = "Split", .opset = 13, .num_outputs = 3},
                         {Tensor::from_vector<bool>({true, false, true}), i64s({0, 2, 1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape(), (Shape{0}));
  EXPECT_TRUE(same_bytes((*r)[1], Tensor::from_vector<bool>({true, false})));
  EXPECT_TRUE(same_bytes((*r)[2], Tensor::from_vector<bool>({true})));
}

}  // namespace
}  // namespace fastserve::testing
