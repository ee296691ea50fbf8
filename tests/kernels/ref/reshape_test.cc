// Reference Reshape, Flatten, Squeeze, Unsqueeze (kernels/ref/reshape.cc):
// the output holds the input's bytes in the same order under the inferred
// shape, for every dtype; argument errors name the node.
#include <gtest/gtest.h>

#include <random>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(ReshapeRef, ZeroCopiesDimAndMinusOneIsInferred) {
  const Tensor x = iota_f32(Shape{2, 3, 4});
  auto r = run_reference({.op_type = "Reshape", .opset = 13}, {x, i64s({0, -1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], x.reshaped(Shape{2, 12})));
  auto r2 = run_reference({.op_type = "Reshape", .opset = 13}, {x, i64s({-1, 0, 2})});
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_TRUE(same_bytes((*r2)[0], x.reshaped(Shape{4, 3, 2})));
}

TEST(ReshapeRef, AllowZeroMakesZeroLiteral) {
  const Tensor x = Tensor::empty(DType::kF32, Shape{0, 3});
  auto r = run_reference({.op_type = "Reshape", .opset = 14, .attrs = {attr_int("allowzero", 1)}},
                         {x, i64s({3, 0})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 0}));
  // Without allowzero, 0 copies the input dim: [0,3] -> [0, 3].
  auto r2 = run_reference({.op_type = "Reshape", .opset = 14}, {x, i64s({0, 3})});
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ((*r2)[0].shape(), (Shape{0, 3}));
}

TEST(ReshapeRef, MovesEveryDtype) {
  std::mt19937 rng(1234);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI8, DType::kU8, DType::kI32,
                  DType::kI64, DType::kBool}) {
    const Tensor x = random_tensor(t, Shape{2, 3, 5}, rng, -100, 100);
    auto r = run_reference({.op_type = "Reshape", .opset = 13}, {x, i64s({5, -1})});
    ASSERT_TRUE(r.ok()) << dtype_name(t) << ": " << r.status().to_string();
    EXPECT_TRUE(same_bytes((*r)[0], x.reshaped(Shape{5, 6}))) << dtype_name(t);
  }
}

TEST(ReshapeRef, BadShapesAreErrorsNamingTheNode) {
  const Tensor x = iota_f32(Shape{2, 3, 4});
  auto two = run_reference({.op_type = "Reshape", .opset = 13}, {x, i64s({-1, -1})});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("node 'node0' (Reshape)"), std::string::npos) << two.status().message();
  EXPECT_NE(two.status().message().find("more than one -1"), std::string::npos);
  auto mismatch = run_reference({.op_type = "Reshape", .opset = 13}, {x, i64s({5, 5})});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("[2,3,4]"), std::string::npos) << mismatch.status().message();
}

TEST(FlattenRef, AxisSplitsOuterAndInner) {
  const Tensor x = iota_f32(Shape{2, 3, 4});
  for (auto [axis, expected] : std::vector<std::pair<int64_t, Shape>>{
           {0, Shape{1, 24}}, {1, Shape{2, 12}}, {-1, Shape{6, 4}}, {3, Shape{24, 1}}}) {
    auto r = run_reference({.op_type = "Flatten", .opset = 13, .attrs = {attr_int("axis", axis)}}, {x});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes((*r)[0], x.reshaped(expected))) << "axis " << axis;
  }
}

TEST(SqueezeRef, AxesFromAttributeOrInputOrAllOnes) {
  std::mt19937 rng(1234);
  const Tensor x = random_tensor(DType::kI64, Shape{1, 3, 1, 2}, rng, -9, 9);
  auto attr = run_reference({.op_type = "Squeeze", .opset = 11, .attrs = {attr_ints("axes", {-2})}}, {x});
  ASSERT_TRUE(attr.ok()) << attr.status().to_string();
  EXPECT_TRUE(same_bytes((*attr)[0], x.reshaped(Shape{1, 3, 2})));
  auto input = run_reference({.op_type = "Squeeze", .opset = 13}, {x, i64s({0})});
  ASSERT_TRUE(input.ok()) << input.status().to_string();
  EXPECT_TRUE(same_bytes((*input)[0], x.reshaped(Shape{3, 1, 2})));
  auto all = run_reference({.op_type = "Squeeze", .opset = 13}, {x});
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_TRUE(same_bytes((*all)[0], x.reshaped(Shape{3, 2})));
  auto bad = run_reference({.op_type = "Squeeze", .opset = 13}, {x, i64s({1})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("axis 1"), std::string::npos) << bad.status().message();
}

TEST(UnsqueezeRef, NegativeAxesCountFromOutputRank) {
  std::mt19937 rng(1234);
  const Tensor x = random_tensor(DType::kBool, Shape{3, 2}, rng);
  auto r = run_reference({.op_type = "Unsqueeze", .opset = 13}, {x, i64s({-1, 1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], x.reshaped(Shape{3, 1, 2, 1})));
  auto attr = run_reference({.op_type = "Unsqueeze", .opset = 11, .attrs = {attr_ints("axes", {0})}}, {x});
  ASSERT_TRUE(attr.ok()) << attr.status().to_string();
  EXPECT_TRUE(same_bytes((*attr)[0], x.reshaped(Shape{1, 3, 2})));
  // A 0-D int64 (shape arithmetic) becomes 1-D.
  const Tensor s = Tensor::scalar<int64_t>(7);
  auto one = run_reference({.op_type = "Unsqueeze", .opset = 13}, {s, i64s({0})});
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  EXPECT_TRUE(same_bytes((*one)[0], i64s({7})));
}

}  // namespace
}  // namespace fastserve::testing
