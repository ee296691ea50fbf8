// Reference LpNormalization and MeanVarianceNormalization
// (kernels/ref/lp_norm.cc) against the formulas evaluated here per element
// (grouping elements by their index on the kept axes), random shapes and
// axes, plus the all-zero slice and the invalid p.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// Multi-index of flat element i in `s`.
std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.rank());
  for (size_t d = s.rank(); d-- > 0;) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

// True when elements i and j differ only on the `reduced` axes.
bool same_slice(int64_t i, int64_t j, const Shape& s, const std::vector<bool>& reduced) {
  const std::vector<int64_t> a = unravel(i, s), b = unravel(j, s);
  for (size_t d = 0; d < a.size(); ++d) {
    if (!reduced[d] && a[d] != b[d]) return false;
  }
  return true;
}

TEST(RefLpNorm, RandomShapesAxesAndPMatchTheNorm) {
  std::mt19937 rng(11);
  for (const Shape& shape : {Shape{5}, Shape{3, 4}, Shape{2, 3, 5}}) {
    const auto rank = static_cast<int64_t>(shape.rank());
    for (int64_t axis = -rank; axis < rank; ++axis) {
      for (int64_t p : {1, 2}) {
        const Tensor x = random_f32(shape, rng, -3, 3);
        const std::vector<Tensor> out =
            run_ref({.op_type = "LpNormalization", .opset = 1, .attrs = {attr_int("axis", axis), attr_int("p", p)}},
                    {x});
        ASSERT_EQ(out.size(), 1u);
        std::vector<bool> reduced(shape.rank(), false);
        reduced[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = true;
        Tensor y = Tensor::empty(DType::kF32, shape);
        const float* px = x.data<float>();
        for (int64_t i = 0; i < x.numel(); ++i) {
          double norm = 0;
          for (int64_t j = 0; j < x.numel(); ++j) {
            if (same_slice(i, j, shape, reduced)) norm += p == 1 ? std::fabs(px[j]) : px[j] * px[j];
          }
          y.data<float>()[i] = static_cast<float>(px[i] / (p == 1 ? norm : std::sqrt(norm)));
        }
        EXPECT_TRUE(tensors_near(out[0], y, 1e-6, 1e-5)) << shape.to_string() << " axis " << axis << " p " << p;
      }
    }
  }
}

TEST(RefLpNorm, DefaultIsL2OnLastAxisAndZeroSliceStaysZero) {
  const std::vector<Tensor> out = run_ref({.op_type = "LpNormalization", .opset = 1}, {f32({3, 4, 0, 0}, {2, 2})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(tensors_near(out[0], f32({0.6f, 0.8f, 0, 0}, {2, 2}), 1e-7, 1e-6));
}

TEST(RefLpNorm, POtherThanOneOrTwoIsRejected) {
  // Inference refuses it first; this checks the kernel's own guard.
  std::vector<Tensor> outs = {Tensor::empty(DType::kF32, {2})};
  const Status s = run_ref_without_inference({.op_type = "LpNormalization", .opset = 1, .attrs = {attr_int("p", 3)}},
                                             {f32({1, 2})}, outs);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("p = 3"), std::string::npos) << s.message();
}

TEST(RefMeanVarianceNorm, DefaultAndExplicitAxesMatchSliceStatistics) {
  std::mt19937 rng(13);
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;  // empty: the default [0, 2, 3]
  };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {}}, {{3, 2, 2, 3}, {1}}, {{2, 3, 4}, {-1}}, {{2, 3, 4}, {0, 2}}, {{4, 3, 2, 2}, {0, 1, 2, 3}}};
  for (const Case& c : cases) {
    const Tensor x = random_f32(c.shape, rng, -3, 3);
    std::vector<Attribute> attrs;
    if (!c.axes.empty()) attrs.push_back(attr_ints("axes", c.axes));
    const std::vector<Tensor> out = run_ref({.op_type = "MeanVarianceNormalization", .opset = 13, .attrs = attrs}, {x});
    ASSERT_EQ(out.size(), 1u);
    std::vector<bool> reduced(c.shape.rank(), false);
    const auto rank = static_cast<int64_t>(c.shape.rank());
    for (int64_t a : c.axes.empty() ? std::vector<int64_t>{0, 2, 3} : c.axes) {
      reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
    }
    Tensor y = Tensor::empty(DType::kF32, c.shape);
    const float* px = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      double sum = 0, sq = 0, n = 0;
      for (int64_t j = 0; j < x.numel(); ++j) {
        if (!same_slice(i, j, c.shape, reduced)) continue;
        sum += px[j];
        sq += static_cast<double>(px[j]) * px[j];
        n += 1;
      }
      const double mu = sum / n, var = sq / n - mu * mu;
      y.data<float>()[i] = static_cast<float>((px[i] - mu) / (std::sqrt(var) + 1e-9));
    }
    EXPECT_TRUE(tensors_near(out[0], y, 1e-5, 1e-4)) << c.shape.to_string();
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
