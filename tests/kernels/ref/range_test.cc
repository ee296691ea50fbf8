// Reference Range and ConstantOfShape (kernels/ref/range.cc,
// constant_of_shape.cc): lengths max(ceil((limit - start) / delta), 0) for
// every dtype and sign of delta, the element formula, and the value
// attribute's dtype becoming the output's.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

template <typename T>
void check_range(T start, T limit, T delta) {
  SCOPED_TRACE(::testing::Message() << start << " " << limit << " " << delta);
  auto r = run_reference({.op_type = "Range", .opset = 11},
                         {Tensor::scalar<T>(start), Tensor::scalar<T>(limit), Tensor::scalar<T>(delta)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& y = (*r)[0];
  const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
  const auto len = static_cast<int64_t>(n > 0 ? n : 0);
  ASSERT_EQ(y.shape(), Shape{len});
  ASSERT_EQ(y.dtype(), DTypeOf<T>::value);
  for (int64_t i = 0; i < len; ++i) {
    EXPECT_EQ(y.data<T>()[i], static_cast<T>(static_cast<double>(start) + static_cast<double>(i) * delta)) << i;
  }
}

TEST(RangeRef, LengthAndValuesForEveryDtype) {
  check_range<int64_t>(0, 10, 3);    // 0 3 6 9
  check_range<int64_t>(10, 0, -3);   // 10 7 4 1
  check_range<int64_t>(0, 9, 3);     // exact: 0 3 6
  check_range<int64_t>(5, 1, 1);     // empty
  check_range<int32_t>(-7, 7, 2);
  check_range<int32_t>(3, -3, -4);   // 3 -1
  check_range<float>(1.0f, 5.0f, 0.5f);
  check_range<float>(10.0f, 6.0f, -3.0f);
  check_range<float>(0.0f, 1.0f, 0.3f);  // 4 elements, last 0.9
  check_range<double>(-1.0, 1.0, 0.25);
  check_range<double>(1.0, -1.0, 0.25);  // empty
  check_range<int16_t>(-5, 5, 3);
}

// Range-27 on f16 / bf16: start + i * delta in float (stash_type 1, the
// default) or double (11), rounded once per element.
TEST(RangeRef, HalfAndBFloat16ComputeInTheStashType) {
  auto scalar_of = [](DType dt, float v) {
    Tensor t = Tensor::empty(dt, Shape{});
    if (dt == DType::kF16) t.data<Half>()[0].bits = float_to_half(v);
    if (dt == DType::kBF16) t.data<BFloat16>()[0].bits = float_to_bf16(v);
    return t;
  };
  for (DType dt : {DType::kF16, DType::kBF16}) {
    for (int64_t stash : {1, 11}) {
      // delta = 0.1 is not exact in either type: the element formula uses
      // the stored delta, and each element rounds on its own.
      const Tensor start = scalar_of(dt, -1.f), limit = scalar_of(dt, 2.f), delta = scalar_of(dt, 0.1f);
      auto r = run_reference({.op_type = "Range", .opset = 27, .attrs = {attr_int("stash_type", stash)}},
                             {start, limit, delta});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      const Tensor& y = (*r)[0];
      ASSERT_EQ(y.dtype(), dt);
      const double s = start.element_as_double(0), d = delta.element_as_double(0);
      ASSERT_EQ(y.numel(), static_cast<int64_t>(std::ceil((2.0 - s) / d)));
      for (int64_t i = 0; i < y.numel(); ++i) {
        const double exact = s + static_cast<double>(i) * d;
        const float v = stash == 1 ? static_cast<float>(s) + static_cast<float>(i) * static_cast<float>(d)
                                   : static_cast<float>(exact);
        EXPECT_EQ(y.element_as_double(i), scalar_of(dt, v).element_as_double(0))
            << dtype_name(dt) << " " << i;
      }
    }
  }
  EXPECT_FALSE(
      run_reference({.op_type = "Range", .opset = 27, .attrs = {attr_int("stash_type", 10)}},
                    {scalar_of(DType::kF16, 0), scalar_of(DType::kF16, 3), scalar_of(DType::kF16, 1)})
          .ok());
}

TEST(RangeRef, ZeroDeltaAndMixedDtypesAreErrors) {
  EXPECT_FALSE(run_reference({.op_type = "Range", .opset = 11},
                             {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(0)})
                   .ok());
  EXPECT_FALSE(run_reference({.op_type = "Range", .opset = 11},
                             {Tensor::scalar<int64_t>(0), Tensor::scalar<int32_t>(3), Tensor::scalar<int64_t>(1)})
                   .ok());
}

TEST(ConstantOfShapeRef, DefaultIsFloatZero) {
  auto r = run_reference({.op_type = "ConstantOfShape", .opset = 11}, {i64s({2, 3})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], Tensor::zeros(DType::kF32, Shape{2, 3})));
}

TEST(ConstantOfShapeRef, ValueAttributeGivesDtypeAndFill) {
  auto r = run_reference(
      {.op_type = "ConstantOfShape", .opset = 20, .attrs = {attr_tensor("value", Tensor::from_vector<int64_t>({7}))}},
      {i64s({3, 1, 2})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], i64s({7, 7, 7, 7, 7, 7}, Shape{3, 1, 2})));
  auto f = run_reference(
      {.op_type = "ConstantOfShape", .opset = 11, .attrs = {attr_tensor("value", Tensor::from_vector<float>({-1.5f}))}},
      {i64s({4})});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(same_bytes((*f)[0], f32s({-1.5f, -1.5f, -1.5f, -1.5f}, Shape{4})));
}

TEST(ConstantOfShapeRef, EmptyShapeGivesScalarAndZeroDimGivesEmpty) {
  auto s = run_reference(
      {.op_type = "ConstantOfShape", .opset = 11, .attrs = {attr_tensor("value", Tensor::from_vector<int32_t>({4}))}},
      {i64s({})});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(same_bytes((*s)[0], Tensor::scalar<int32_t>(4)));
  auto e = run_reference({.op_type = "ConstantOfShape", .opset = 11}, {i64s({2, 0})});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ((*e)[0].shape(), (Shape{2, 0}));
  EXPECT_FALSE(run_reference({.op_type = "ConstantOfShape", .opset = 11}, {i64s({2, -1})}).ok());
}

}  // namespace
}  // namespace fastserve::testing
