// Reference Trilu, CumSum and EyeLike (kernels/ref/trilu.cc, cumsum.cc,
// eye_like.cc) against formulas written here: random batched matrices and
// every k sign, every axis form and flag of CumSum, EyeLike's diagonals.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(TriluRef, MatchesTriangleFormulaForEveryK) {
  std::mt19937 rng(31);
  for (DType dt : {DType::kF32, DType::kI64, DType::kBool}) {
    for (Shape s : {Shape{4, 5}, Shape{2, 3, 3}, Shape{5, 2}, Shape{0, 3}}) {
      const Tensor x = random_tensor(dt, s, rng, 1, 9);
      const int64_t rows = s[s.rank() - 2], cols = s[s.rank() - 1];
      for (int64_t k : {-6, -1, 0, 2, 7}) {
        for (int upper : {0, 1}) {
          SCOPED_TRACE(::testing::Message() << dtype_name(dt) << s.to_string() << " k " << k << " upper " << upper);
          auto r = run_reference({.op_type = "Trilu", .opset = 14, .attrs = {attr_int("upper", upper)}},
                                 {x, Tensor::scalar<int64_t>(k)});
          ASSERT_TRUE(r.ok()) << r.status().to_string();
          for (int64_t e = 0; e < x.numel(); ++e) {
            const int64_t i = (e / cols) % rows, j = e % cols;
            const bool keep = upper ? j - i >= k : j - i <= k;
            EXPECT_EQ((*r)[0].element_as_double(e), keep ? x.element_as_double(e) : 0.0) << e;
          }
        }
      }
    }
  }
}

TEST(TriluRef, DefaultIsUpperWithKZero) {
  auto r = run_reference({.op_type = "Trilu", .opset = 14}, {iota_f32({3, 3})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({0, 1, 2, 0, 4, 5, 0, 0, 8}, {3, 3})));
}

TEST(CumSumRef, MatchesRunningSumForAxesAndFlags) {
  std::mt19937 rng(32);
  for (DType dt : {DType::kF32, DType::kI32, DType::kI64}) {
    const Tensor x = random_tensor(dt, {3, 4, 2}, rng, -5, 5);
    for (int64_t axis : {0, 1, 2, -1, -3}) {
      for (int exclusive : {0, 1}) {
        for (int reverse : {0, 1}) {
          SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " axis " << axis << " excl " << exclusive << " rev "
                                            << reverse);
          const Tensor a = (axis % 2 == 0) ? Tensor::scalar<int64_t>(axis) : Tensor::scalar<int32_t>(static_cast<int32_t>(axis));
          auto r = run_reference(
              {.op_type = "CumSum", .opset = 14, .attrs = {attr_int("exclusive", exclusive), attr_int("reverse", reverse)}},
              {x, a});
          ASSERT_TRUE(r.ok()) << r.status().to_string();
          const int64_t ax = axis < 0 ? axis + 3 : axis;
          const std::vector<int64_t> st = {8, 2, 1};
          for (int64_t e = 0; e < x.numel(); ++e) {
            const int64_t pos = (e / st[static_cast<size_t>(ax)]) % x.dim(static_cast<size_t>(ax));
            double want = 0;
            for (int64_t p = 0; p < x.dim(static_cast<size_t>(ax)); ++p) {
              const bool in = reverse ? (exclusive ? p > pos : p >= pos) : (exclusive ? p < pos : p <= pos);
              if (in) want += x.element_as_double(e + (p - pos) * st[static_cast<size_t>(ax)]);
            }
            EXPECT_NEAR((*r)[0].element_as_double(e), want, 1e-5) << e;
          }
        }
      }
    }
  }
}

TEST(CumSumRef, BadAxisIsAnError) {
  EXPECT_FALSE(run_reference({.op_type = "CumSum", .opset = 14}, {iota_f32({2, 2}), Tensor::scalar<int64_t>(2)}).ok());
}

TEST(EyeLikeRef, OnesOnTheKthDiagonalInTheRequestedDtype) {
  for (int64_t k : {-2, 0, 1, 5}) {
    auto r = run_reference({.op_type = "EyeLike", .opset = 11, .attrs = {attr_int("k", k), attr_int("dtype", 7)}},
                           {iota_f32({3, 4})});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ((*r)[0].dtype(), DType::kI64);
    for (int64_t e = 0; e < 12; ++e) EXPECT_EQ((*r)[0].element_as_double(e), e % 4 - e / 4 == k ? 1.0 : 0.0) << e;
  }
  // Default dtype: the input's.
  auto f = run_reference({.op_type = "EyeLike", .opset = 11}, {Tensor::zeros(DType::kF64, Shape{2, 2})});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(values((*f)[0]), (std::vector<double>{1, 0, 0, 1}));
}

}  // namespace
}  // namespace fastserve::testing
