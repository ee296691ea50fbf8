// Reference Hardmax (kernels/ref/hardmax.cc) and LRN (kernels/ref/lrn.cc)
// against per-element formulas written here: Hardmax's first-maximum one-hot
// for the opset 11 (2-D coercion) and 13 (single axis) forms and ties; LRN's
// channel window sum on random shapes and window sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// One-hot of the first maximum in each slice; slice_of(i) groups elements
// and order within a slice is flat order.
template <typename SliceOf>
Tensor naive_hardmax(const Tensor& x, SliceOf slice_of) {
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  const float* p = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t first = -1;
    for (int64_t j = 0; j < x.numel(); ++j) {
      if (slice_of(j) == slice_of(i) && (first < 0 || p[j] > p[first])) first = j;
    }
    y.data<float>()[i] = first == i ? 1.0f : 0.0f;
  }
  return y;
}

TEST(RefHardmax, Opset13AxesAndOpset11Coercion) {
  std::mt19937 rng(31);
  const Tensor x = random_f32({2, 3, 4}, rng, -3, 3);
  const std::vector<Tensor> last = run_ref({.op_type = "Hardmax", .opset = 13}, {x});
  ASSERT_EQ(last.size(), 1u);
  EXPECT_TRUE(tensors_near(last[0], naive_hardmax(x, [](int64_t i) { return i / 4; }), 0, 0));
  const std::vector<Tensor> mid = run_ref({.op_type = "Hardmax", .opset = 13, .attrs = {attr_int("axis", 1)}}, {x});
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_TRUE(tensors_near(mid[0], naive_hardmax(x, [](int64_t i) { return (i / 12) * 4 + i % 4; }), 0, 0));
  // Opset 11, default axis 1: one slice of 12 per batch entry.
  const std::vector<Tensor> v11 = run_ref({.op_type = "Hardmax", .opset = 11}, {x});
  ASSERT_EQ(v11.size(), 1u);
  EXPECT_TRUE(tensors_near(v11[0], naive_hardmax(x, [](int64_t i) { return i / 12; }), 0, 0));
}

TEST(RefHardmax, TiesPickTheFirst) {
  const std::vector<Tensor> y = run_ref({.op_type = "Hardmax", .opset = 13}, {f32({2, 5, 5, 1, 7, 7}, {2, 3})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({0, 1, 0, 0, 1, 0}, {2, 3}), 0, 0));
}

TEST(RefLrn, RandomShapesAndSizesMatchChannelWindow) {
  std::mt19937 rng(32);
  for (const auto& [shape, size] : std::vector<std::pair<Shape, int64_t>>{
           {{2, 5, 3, 3}, 3}, {{1, 7, 4}, 4}, {{2, 3, 2, 2}, 1}, {{1, 4, 2, 3}, 9}}) {
    const Tensor x = random_f32(shape, rng, -2, 2);
    const float alpha = 0.01f, beta = 0.6f, bias = 1.5f;
    const std::vector<Tensor> y = run_ref(
        {.op_type = "LRN",
         .opset = 13,
         .attrs = {attr_int("size", size), attr_float("alpha", alpha), attr_float("beta", beta),
                   attr_float("bias", bias)}},
        {x});
    ASSERT_EQ(y.size(), 1u);
    const int64_t c_count = shape[1], plane = x.numel() / (shape[0] * c_count);
    Tensor want = Tensor::empty(DType::kF32, shape);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / plane) % c_count;
      double sq = 0;
      for (int64_t k = 0; k < c_count; ++k) {
        // Channel k is in the window when c - floor((size-1)/2) <= k <= c + ceil((size-1)/2).
        if (k >= c - (size - 1) / 2 && k <= c + size / 2) {
          const double v = x.data<float>()[i + (k - c) * plane];
          sq += v * v;
        }
      }
      want.data<float>()[i] = static_cast<float>(x.data<float>()[i] / std::pow(bias + alpha / size * sq, beta));
    }
    EXPECT_TRUE(tensors_near(y[0], want, 1e-6, 1e-5)) << shape.to_string() << " size " << size;
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
