// Reference Transpose (kernels/ref/transpose.cc) against hand-computed values
// and an independent loop nest, for several dtypes and degenerate shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(TransposeRef, TwoByThreeByHand) {
  auto r = run_reference({.op_type = "Transpose", .opset = 13}, {iota_f32(Shape{2, 3})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 3, 1, 4, 2, 5}, Shape{3, 2})));
}

// y[j][k][i] = x[i][j][k] for perm [1,2,0], checked element by element with
// an explicit loop nest, for dtypes of every width.
TEST(TransposeRef, ThreeDimPermMatchesLoopNestForEveryDtype) {
  std::mt19937 rng(1234);
  const int64_t I = 2, J = 3, K = 5;
  for (DType t : {DType::kF32, DType::kF16, DType::kI64, DType::kBool, DType::kU8}) {
    const Tensor x = random_tensor(t, Shape{I, J, K}, rng, -50, 50);
    auto r = run_reference({.op_type = "Transpose", .opset = 13, .attrs = {attr_ints("perm", {1, 2, 0})}}, {x});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const Tensor& y = (*r)[0];
    ASSERT_EQ(y.shape(), (Shape{J, K, I}));
    const size_t es = dtype_size(t);
    const auto* xs = static_cast<const uint8_t*>(x.raw_data());
    const auto* ys = static_cast<const uint8_t*>(y.raw_data());
    for (int64_t i = 0; i < I; ++i) {
      for (int64_t j = 0; j < J; ++j) {
        for (int64_t k = 0; k < K; ++k) {
          const size_t xi = static_cast<size_t>((i * J + j) * K + k), yi = static_cast<size_t>((j * K + k) * I + i);
          EXPECT_EQ(std::memcmp(xs + xi * es, ys + yi * es, es), 0) << dtype_name(t) << " at " << i << j << k;
        }
      }
    }
  }
}

TEST(TransposeRef, DefaultPermReverses) {
  const Tensor x = iota_f32(Shape{2, 1, 3});
  auto r = run_reference({.op_type = "Transpose", .opset = 13}, {x});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // y[k][0][i] = x[i][0][k] = 3i + k
  EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 3, 1, 4, 2, 5}, Shape{3, 1, 2})));
}

TEST(TransposeRef, EmptyAndScalarInputs) {
  auto empty = run_reference({.op_type = "Transpose", .opset = 13}, {Tensor::empty(DType::kF32, Shape{0, 3})});
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ((*empty)[0].shape(), (Shape{3, 0}));
  auto scalar = run_reference({.op_type = "Transpose", .opset = 13}, {Tensor::scalar<int64_t>(5)});
  ASSERT_TRUE(scalar.ok()) << scalar.status().to_string();
  EXPECT_TRUE(same_bytes((*scalar)[0], Tensor::scalar<int64_t>(5)));
}

}  // namespace
}  // namespace fastserve::testing
