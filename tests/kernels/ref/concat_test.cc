// Reference Concat (kernels/ref/concat.cc) against hand-computed values:
// positive and negative axes, int64 shape vectors, bool, 0-sized inputs.
#include <gtest/gtest.h>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(ConcatRef, InnerAxisByHand) {
  const Tensor a = f32s({0, 1, 2, 3}, Shape{2, 2});
  const Tensor b = f32s({10, 11}, Shape{2, 1});
  for (int64_t axis : {1, -1}) {
    auto r = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", axis)}}, {a, b});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 1, 10, 2, 3, 11}, Shape{2, 3}))) << "axis " << axis;
  }
}

TEST(ConcatRef, OuterAxisThreeInputs) {
  const Tensor a = f32s({0, 1}, Shape{1, 2});
  const Tensor b = f32s({2, 3, 4, 5}, Shape{2, 2});
  const Tensor c = f32s({6, 7}, Shape{1, 2});
  auto r = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", -2)}}, {a, b, c});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], iota_f32(Shape{4, 2})));
}

TEST(ConcatRef, Int64ShapeVectors) {
  auto r = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", 0)}},
                         {i64s({2}), i64s({-1, 7})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], i64s({2, -1, 7})));
}

TEST(ConcatRef, ZeroSizedInputsContributeNothing) {
  const Tensor empty = Tensor::empty(DType::kBool, Shape{2, 0});
  const Tensor b = Tensor::from_vector<bool>({true, false, true, false, false, true}, Shape{2, 3});
  auto r = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", 1)}}, {empty, b, empty});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], b));
  auto all_empty = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", 0)}},
                                 {Tensor::empty(DType::kF16, Shape{0, 4}), Tensor::empty(DType::kF16, Shape{0, 4})});
  ASSERT_TRUE(all_empty.ok()) << all_empty.status().to_string();
  EXPECT_EQ((*all_empty)[0].shape(), (Shape{0, 4}));
}

TEST(ConcatRef, HalfPrecisionKeepsBits) {
  Tensor a = Tensor::empty(DType::kF16, Shape{1, 2});
  Tensor b = Tensor::empty(DType::kF16, Shape{1, 1});
  a.data<Half>()[0].bits = 0x3c00;  // 1.0
  a.data<Half>()[1].bits = 0x7e01;  // a NaN with a payload
  b.data<Half>()[0].bits = 0x8000;  // -0.0
  auto r = run_reference({.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", 1)}}, {a, b});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Half* y = (*r)[0].data<Half>();
  EXPECT_EQ(y[0].bits, 0x3c00);
  EXPECT_EQ(y[1].bits, 0x7e01);
  EXPECT_EQ(y[2].bits, 0x8000);
}

}  // namespace
}  // namespace fastserve::testing
