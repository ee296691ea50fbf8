#include "graph/shape_utils.h"

#include <gtest/gtest.h>

namespace fastserve {
namespace {

constexpr int64_t U = kUnknownDim;

TEST(ShapeUtils, BroadcastsKnownShapesLikeNumpy) {
  EXPECT_EQ(*broadcast_shapes(Shape{2, 3}, Shape{2, 3}), Shape({2, 3}));
  EXPECT_EQ(*broadcast_shapes(Shape{4, 1, 5}, Shape{3, 1}), Shape({4, 3, 5}));
  EXPECT_EQ(*broadcast_shapes(Shape{}, Shape{7}), Shape({7}));
  EXPECT_EQ(*broadcast_shapes(Shape{1}, Shape{0}), Shape({0}));
  EXPECT_EQ(*broadcast_shapes(Shape{8, 1, 6, 1}, Shape{7, 1, 5}), Shape({8, 7, 6, 5}));
}

TEST(ShapeUtils, RejectsIncompatibleDims) {
  Result<Shape> r = broadcast_shapes(Shape{2, 3}, Shape{4});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3"), std::string::npos);
  EXPECT_NE(r.status().message().find("4"), std::string::npos);
  EXPECT_FALSE(broadcast_shapes(Shape{2, 0}, Shape{3}).ok());
}

TEST(ShapeUtils, UnknownDimsTakeTheKnownNonOneDim) {
  EXPECT_EQ(*broadcast_shapes(Shape{U, 3}, Shape{5, 3}), Shape({5, 3}));
  EXPECT_EQ(*broadcast_shapes(Shape{U, 3}, Shape{1, 3}), Shape({U, 3}));
  EXPECT_EQ(*broadcast_shapes(Shape{U, 3}, Shape{3}), Shape({U, 3}));
  EXPECT_EQ(*broadcast_shapes(Shape{U}, Shape{U}), Shape({U}));
  EXPECT_EQ(*broadcast_shapes(Shape{1, U}, Shape{4, 1}), Shape({4, U}));
  // An unknown dim is then 0 or 1: the result is 0 either way.
  EXPECT_EQ(*broadcast_shapes(Shape{U}, Shape{0}), Shape({0}));
}

TEST(ShapeUtils, ContiguousStrides) {
  EXPECT_EQ(contiguous_strides(Shape{2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(contiguous_strides(Shape{5}), (std::vector<int64_t>{1}));
  EXPECT_TRUE(contiguous_strides(Shape{}).empty());
}

TEST(ShapeUtils, BroadcastStridesZeroOnRepeatedDims) {
  EXPECT_EQ(broadcast_strides(Shape{3, 1}, Shape{2, 3, 4}), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(broadcast_strides(Shape{2, 3, 4}, Shape{2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(broadcast_strides(Shape{}, Shape{2, 2}), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(broadcast_strides(Shape{4}, Shape{3, 4}), (std::vector<int64_t>{0, 1}));
}

TEST(ShapeUtils, BroadcastStridesAddressEveryElementCorrectly) {
  // Independent check: the strided offset of each output index equals the
  // row-major offset of the index clamped into the input (dims of 1 -> 0).
  const Shape in{3, 1, 2}, out{2, 3, 4, 2};
  const std::vector<int64_t> s = broadcast_strides(in, out);
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 4; ++c)
        for (int64_t d = 0; d < 2; ++d) {
          const int64_t got = a * s[0] + b * s[1] + c * s[2] + d * s[3];
          const int64_t expect = b * 2 + 0 * 2 + d;
          ASSERT_EQ(got, expect);
        }
}

TEST(ShapeUtilsDeathTest, BroadcastStridesChecksShapes) {
  EXPECT_DEATH(broadcast_strides(Shape{3}, Shape{4}), "check failed");
  EXPECT_DEATH(broadcast_strides(Shape{1, 1, 1}, Shape{4}), "check failed");
}

TEST(ShapeUtils, PropagateSameCopiesDTypeAndShapeNotValue) {
  const Tensor c = Tensor::from_vector<int64_t>({1, 2});
  std::vector<TensorInfo> ins = {TensorInfo::of(c), TensorInfo{}};
  std::vector<TensorInfo> outs(2);
  outs[0].present = outs[1].present = true;
  NodeView node("n", "Identity", "", 17, nullptr, ins, outs);
  propagate_same(node, outs, 0, 0);
  EXPECT_EQ(outs[0].dtype, DType::kI64);
  EXPECT_TRUE(outs[0].shape_known);
  EXPECT_EQ(outs[0].shape, Shape({2}));
  EXPECT_EQ(outs[0].value, nullptr);
  EXPECT_TRUE(outs[0].present);
  propagate_same(node, outs, 1, 1);  // omitted input: unknown
  EXPECT_EQ(outs[1].dtype, DType::kUndefined);
  EXPECT_FALSE(outs[1].shape_known);
  std::vector<TensorInfo> unknown_in = {TensorInfo{true, DType::kF32, false, Shape{}, nullptr}};
  std::vector<TensorInfo> o(1);
  NodeView n2("n", "Relu", "", 17, nullptr, unknown_in, o);
  propagate_same(n2, o);
  EXPECT_EQ(o[0].dtype, DType::kF32);
  EXPECT_FALSE(o[0].shape_known);
}

}  // namespace
}  // namespace fastserve
