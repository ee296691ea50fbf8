// Reference Shape and Size (kernels/ref/shape.cc): int64 dims of any input dtype,
// with opset 15's start/end (negative from the back, clamped).
#include <gtest/gtest.h>

#include <tuple>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

Result<Tensor> shape_of(const Tensor& x, std::vector<Attribute> attrs = {}) {
  FS_ASSIGN_OR_RETURN(std::vector<Tensor> out, run_reference({.op_type = "Shape", .opset = 15, .attrs = attrs}, {x}));
  return out[0];
}

TEST(ShapeRef, DimsOfAnyDtype) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBool, DType::kI8}) {
    auto r = shape_of(Tensor::zeros(t, Shape{2, 3, 4}));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes(*r, i64s({2, 3, 4}))) << dtype_name(t);
  }
  auto scalar = shape_of(Tensor::scalar<float>(1));
  ASSERT_TRUE(scalar.ok()) << scalar.status().to_string();
  EXPECT_EQ(scalar->shape(), (Shape{0}));
}

TEST(ShapeRef, StartAndEnd) {
  const Tensor x = Tensor::zeros(DType::kF32, Shape{2, 3, 4, 5});
  auto a = shape_of(x, {attr_int("start", 1)});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_TRUE(same_bytes(*a, i64s({3, 4, 5})));
  auto b = shape_of(x, {attr_int("start", -2)});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(same_bytes(*b, i64s({4, 5})));
  auto c = shape_of(x, {attr_int("end", -1)});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(same_bytes(*c, i64s({2, 3, 4})));
  auto d = shape_of(x, {attr_int("start", -10), attr_int("end", 10)});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(same_bytes(*d, i64s({2, 3, 4, 5})));
  auto e = shape_of(x, {attr_int("start", 3), attr_int("end", 1)});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->shape(), (Shape{0}));
}

TEST(SizeRef, ElementCountAsInt64ScalarOfAnyDtype) {
  for (const auto& [t, s, n] : {std::tuple{DType::kF32, Shape{2, 3, 4}, int64_t{24}},
                                std::tuple{DType::kBool, Shape{}, int64_t{1}},
                                std::tuple{DType::kI8, Shape{5, 0}, int64_t{0}}}) {
    auto r = run_reference({.op_type = "Size", .opset = 13}, {Tensor::zeros(t, s)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes((*r)[0], Tensor::scalar<int64_t>(n))) << dtype_name(t) << " " << s.to_string();
  }
}

}  // namespace
}  // namespace fastserve::testing
