// Reference GroupNormalization and InstanceNormalization
// (kernels/ref/group_norm.cc) against block statistics computed here: the
// opset 18 per-group vs opset 21 per-channel scale and bias, random shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// y for x [N, C, ...]: statistics over each (n, channel block of `per_group`),
// scale / bias indexed by `param_of(channel)`.
template <typename ParamOf>
Tensor naive_group_norm(const Tensor& x, int64_t per_group, const Tensor& scale, const Tensor& bias, double eps,
                        ParamOf param_of) {
  const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / (n * c);
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  const float* p = x.data<float>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t c0 = 0; c0 < c; c0 += per_group) {
      double sum = 0, cnt = 0;
      for (int64_t ch = c0; ch < c0 + per_group; ++ch) {
        for (int64_t i = 0; i < plane; ++i, ++cnt) sum += p[(b * c + ch) * plane + i];
      }
      const double mu = sum / cnt;
      double var = 0;
      for (int64_t ch = c0; ch < c0 + per_group; ++ch) {
        for (int64_t i = 0; i < plane; ++i) var += std::pow(p[(b * c + ch) * plane + i] - mu, 2);
      }
      var /= cnt;
      for (int64_t ch = c0; ch < c0 + per_group; ++ch) {
        for (int64_t i = 0; i < plane; ++i) {
          const int64_t k = (b * c + ch) * plane + i;
          y.data<float>()[k] = static_cast<float>((p[k] - mu) / std::sqrt(var + eps) *
                                                      scale.data<float>()[param_of(ch)] +
                                                  bias.data<float>()[param_of(ch)]);
        }
      }
    }
  }
  return y;
}

TEST(RefGroupNorm, Opset21ScalesPerChannel) {
  std::mt19937 rng(21);
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{2, 6, 3, 4}, 3}, {{1, 4, 5}, 1}, {{3, 4, 2, 2}, 4}, {{2, 8, 1, 3, 2}, 2}};
  for (const auto& [shape, groups] : cases) {
    const Tensor x = random_f32(shape, rng, -3, 3);
    const Tensor scale = random_f32({shape[1]}, rng, 0.5, 2);
    const Tensor bias = random_f32({shape[1]}, rng, -1, 1);
    const std::vector<Tensor> out = run_ref(
        {.op_type = "GroupNormalization", .opset = 21, .attrs = {attr_int("num_groups", groups),
                                                                 attr_float("epsilon", 1e-4f)}},
        {x, scale, bias});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(tensors_near(out[0],
                             naive_group_norm(x, shape[1] / groups, scale, bias, 1e-4, [](int64_t ch) { return ch; }),
                             1e-5, 1e-4))
        << shape.to_string() << " groups " << groups;
  }
}

TEST(RefGroupNorm, Opset18ScalesPerGroup) {
  std::mt19937 rng(18);
  const Tensor x = random_f32({2, 6, 3, 3}, rng, -3, 3);
  const Tensor scale = random_f32({3}, rng, 0.5, 2);
  const Tensor bias = random_f32({3}, rng, -1, 1);
  const std::vector<Tensor> out =
      run_ref({.op_type = "GroupNormalization", .opset = 18, .attrs = {attr_int("num_groups", 3)}}, {x, scale, bias});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(tensors_near(out[0], naive_group_norm(x, 2, scale, bias, 1e-5, [](int64_t ch) { return ch / 2; }),
                           1e-5, 1e-4));
}

TEST(RefGroupNorm, ScaleLengthMustMatchTheOpsetsGranularity) {
  // Per-group scale [3] is right for opset 18, wrong for opset 21 (6 channels).
  std::mt19937 rng(5);
  const Tensor x = random_f32({1, 6, 2}, rng);
  const Tensor s3 = random_f32({3}, rng);
  // Inference refuses these first; this checks the kernel's own guard.
  std::vector<Tensor> outs = {Tensor::empty(DType::kF32, x.shape())};
  const Status per_channel = run_ref_without_inference(
      {.op_type = "GroupNormalization", .opset = 21, .attrs = {attr_int("num_groups", 3)}}, {x, s3, s3}, outs);
  EXPECT_FALSE(per_channel.ok());
  EXPECT_NE(per_channel.message().find("scale"), std::string::npos) << per_channel.message();
  EXPECT_TRUE(run_ref_without_inference(
                  {.op_type = "GroupNormalization", .opset = 18, .attrs = {attr_int("num_groups", 3)}}, {x, s3, s3},
                  outs)
                  .ok());
  EXPECT_FALSE(run_ref_without_inference(
                   {.op_type = "GroupNormalization", .opset = 18, .attrs = {attr_int("num_groups", 4)}}, {x, s3, s3},
                   outs)
                   .ok());
}

TEST(RefInstanceNorm, RandomShapesMatchPerChannelStatistics) {
  std::mt19937 rng(6);
  for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{1, 5, 7}, Shape{3, 2, 1, 2, 3}}) {
    const Tensor x = random_f32(shape, rng, -3, 3);
    const Tensor scale = random_f32({shape[1]}, rng, 0.5, 2);
    const Tensor bias = random_f32({shape[1]}, rng, -1, 1);
    const std::vector<Tensor> out =
        run_ref({.op_type = "InstanceNormalization", .opset = 6, .attrs = {attr_float("epsilon", 1e-3f)}},
                {x, scale, bias});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(tensors_near(out[0], naive_group_norm(x, 1, scale, bias, 1e-3, [](int64_t ch) { return ch; }), 1e-5,
                             1e-4))
        << shape.to_string();
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
