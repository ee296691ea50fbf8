// Reference LpPool and GlobalLpPool (kernels/ref/lp_pool.cc) against the
// p-norm of each window computed here on random shapes, with pads, strides
// and p = 1, 2, 3.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

TEST(RefLpPool, Windows2DWithPadsStridesAndP) {
  std::mt19937 rng(41);
  const Tensor x = random_f32({2, 3, 5, 6}, rng, -2, 2);
  for (int64_t p : {1, 2, 3}) {
    // kernel 3x2, stride 2x1, pads (top 1, left 0, bottom 1, right 1).
    const std::vector<Tensor> y = run_ref(
        {.op_type = "LpPool",
         .opset = 18,
         .attrs = {attr_ints("kernel_shape", {3, 2}), attr_ints("strides", {2, 1}), attr_ints("pads", {1, 0, 1, 1}),
                   attr_int("p", p)}},
        {x});
    ASSERT_EQ(y.size(), 1u);
    // H: (5 + 2 - 3) / 2 + 1 = 3; W: (6 + 1 - 2) / 1 + 1 = 6.
    ASSERT_EQ(y[0].shape(), (Shape{2, 3, 3, 6}));
    Tensor want = Tensor::empty(DType::kF32, y[0].shape());
    for (int64_t pl = 0; pl < 6; ++pl)
      for (int64_t oh = 0; oh < 3; ++oh)
        for (int64_t ow = 0; ow < 6; ++ow) {
          double s = 0;
          for (int64_t kh = 0; kh < 3; ++kh)
            for (int64_t kw = 0; kw < 2; ++kw) {
              const int64_t h = oh * 2 - 1 + kh, w = ow + kw;
              if (h >= 0 && h < 5 && w >= 0 && w < 6) {
                s += std::pow(std::fabs(x.data<float>()[(pl * 5 + h) * 6 + w]), static_cast<double>(p));
              }
            }
          want.data<float>()[(pl * 3 + oh) * 6 + ow] = static_cast<float>(std::pow(s, 1.0 / static_cast<double>(p)));
        }
    EXPECT_TRUE(tensors_near(y[0], want, 1e-5, 1e-4)) << "p " << p;
  }
}

TEST(RefGlobalLpPool, NormOverAllSpatialDims) {
  std::mt19937 rng(42);
  const Tensor x = random_f32({2, 3, 4, 5}, rng, -2, 2);
  for (int64_t p : {1, 2}) {
    const std::vector<Tensor> y = run_ref({.op_type = "GlobalLpPool", .opset = 2, .attrs = {attr_int("p", p)}}, {x});
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].shape(), (Shape{2, 3, 1, 1}));
    Tensor want = Tensor::empty(DType::kF32, {2, 3, 1, 1});
    for (int64_t pl = 0; pl < 6; ++pl) {
      double s = 0;
      for (int64_t i = 0; i < 20; ++i) s += std::pow(std::fabs(x.data<float>()[pl * 20 + i]), static_cast<double>(p));
      want.data<float>()[pl] = static_cast<float>(std::pow(s, 1.0 / static_cast<double>(p)));
    }
    EXPECT_TRUE(tensors_near(y[0], want, 1e-5, 1e-4)) << "p " << p;
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
