// Reference LayerNormalization and RMSNormalization (kernels/ref/layer_norm.cc)
// against per-row mean / variance computed here on random shapes, axes and
// values, plus the optional Mean / InvStdDev outputs, a scale that broadcasts
// to only part of the normalized shape, and a large common offset.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

struct RowStats {
  std::vector<double> mean, inv_std, inv_rms;
};

// Rows of `inner` contiguous elements: statistics by the textbook formulas.
RowStats row_stats(const Tensor& x, int64_t inner, double epsilon) {
  RowStats s;
  const float* p = x.data<float>();
  for (int64_t r = 0; r * inner < x.numel(); ++r) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < inner; ++i) sum += p[r * inner + i];
    const double mu = sum / static_cast<double>(inner);
    double var = 0;
    for (int64_t i = 0; i < inner; ++i) {
      var += (p[r * inner + i] - mu) * (p[r * inner + i] - mu);
      sq += static_cast<double>(p[r * inner + i]) * p[r * inner + i];
    }
    s.mean.push_back(mu);
    s.inv_std.push_back(1.0 / std::sqrt(var / static_cast<double>(inner) + epsilon));
    s.inv_rms.push_back(1.0 / std::sqrt(sq / static_cast<double>(inner) + epsilon));
  }
  return s;
}

int64_t inner_size(const Shape& s, int64_t axis) {
  int64_t n = 1;
  for (size_t d = static_cast<size_t>(axis); d < s.rank(); ++d) n *= s[d];
  return n;
}

Shape tail_shape(const Shape& s, int64_t axis) {
  return Shape(std::vector<int64_t>(s.dims().begin() + axis, s.dims().end()));
}

TEST(RefLayerNorm, RandomShapesAndAxesMatchRowStatistics) {
  std::mt19937 rng(1234);
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 17}, {1, 4, 33}};
  for (const Shape& shape : shapes) {
    const auto rank = static_cast<int64_t>(shape.rank());
    for (int64_t axis = -rank; axis < rank; ++axis) {
      const int64_t a = axis < 0 ? axis + rank : axis;
      const int64_t inner = inner_size(shape, a);
      const Tensor x = random_f32(shape, rng, -3, 3);
      const Tensor scale = random_f32(tail_shape(shape, a), rng, 0.5, 2);
      const Tensor bias = random_f32(tail_shape(shape, a), rng, -1, 1);
      const float eps = 1e-3f;
      const std::vector<Tensor> out =
          run_ref({.op_type = "LayerNormalization",
                   .opset = 17,
                   .attrs = {attr_int("axis", axis), attr_float("epsilon", eps)},
                   .num_outputs = 3},
                  {x, scale, bias});
      ASSERT_EQ(out.size(), 3u) << shape.to_string() << " axis " << axis;
      const RowStats st = row_stats(x, inner, eps);
      Tensor y = Tensor::empty(DType::kF32, shape);
      std::vector<int64_t> stat_dims(shape.dims());
      for (size_t d = static_cast<size_t>(a); d < stat_dims.size(); ++d) stat_dims[d] = 1;
      Tensor mean = Tensor::empty(DType::kF32, Shape(stat_dims));
      Tensor inv_std = Tensor::empty(DType::kF32, Shape(stat_dims));
      for (int64_t i = 0; i < x.numel(); ++i) {
        const auto r = static_cast<size_t>(i / inner);
        const int64_t c = i % inner;
        y.data<float>()[i] = static_cast<float>((x.data<float>()[i] - st.mean[r]) * st.inv_std[r] *
                                                    scale.data<float>()[c] +
                                                bias.data<float>()[c]);
      }
      for (size_t r = 0; r < st.mean.size(); ++r) {
        mean.data<float>()[r] = static_cast<float>(st.mean[r]);
        inv_std.data<float>()[r] = static_cast<float>(st.inv_std[r]);
      }
      EXPECT_TRUE(tensors_near(out[0], y, 1e-5, 1e-4)) << shape.to_string() << " axis " << axis;
      EXPECT_TRUE(tensors_near(out[1], mean, 1e-6, 1e-5)) << shape.to_string() << " axis " << axis;
      EXPECT_TRUE(tensors_near(out[2], inv_std, 1e-6, 1e-5)) << shape.to_string() << " axis " << axis;
    }
  }
}

TEST(RefLayerNorm, DefaultsNoBiasAndScaleBroadcastOverPartOfTheNormalizedShape) {
  std::mt19937 rng(7);
  const Tensor x = random_f32({2, 3, 5}, rng, -2, 2);
  // axis 1 normalizes [3, 5]; scale [5] broadcasts along the 3; no B.
  const Tensor scale = random_f32({5}, rng, 0.5, 2);
  const std::vector<Tensor> out =
      run_ref({.op_type = "LayerNormalization", .opset = 17, .attrs = {attr_int("axis", 1)}}, {x, scale});
  ASSERT_EQ(out.size(), 1u);
  const RowStats st = row_stats(x, 15, 1e-5);
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const auto r = static_cast<size_t>(i / 15);
    y.data<float>()[i] =
        static_cast<float>((x.data<float>()[i] - st.mean[r]) * st.inv_std[r] * scale.data<float>()[i % 5]);
  }
  EXPECT_TRUE(tensors_near(out[0], y, 1e-5, 1e-4));
}

TEST(RefLayerNorm, LargeCommonOffsetKeepsPrecision) {
  // x = 10000 + small noise: a one-pass E[x^2] - E[x]^2 in float would lose
  // the variance entirely; the two-pass double statistics keep it.
  std::vector<float> v;
  for (int i = 0; i < 64; ++i) v.push_back(10000.0f + static_cast<float>(i % 8) * 0.125f);
  const Tensor x = f32(v, {8, 8});
  const std::vector<Tensor> out =
      run_ref({.op_type = "LayerNormalization", .opset = 17}, {x, f32(std::vector<float>(8, 1.0f), {8})});
  ASSERT_EQ(out.size(), 1u);
  const RowStats st = row_stats(x, 8, 1e-5);
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  for (int64_t i = 0; i < 64; ++i) {
    y.data<float>()[i] = static_cast<float>((v[static_cast<size_t>(i)] - st.mean[static_cast<size_t>(i / 8)]) *
                                            st.inv_std[static_cast<size_t>(i / 8)]);
  }
  EXPECT_TRUE(tensors_near(out[0], y, 1e-4, 1e-4));
  EXPECT_GT(std::fabs(out[0].data<float>()[7]), 1.0f);  // not flattened to 0
}

TEST(RefLayerNorm, SessionWithoutTheOptionalStatistics) {
  // Only Y requested: the kernel gets no Mean / InvStdDev tensors. (The
  // session runs the optimized kernel, float statistics: close, not equal.)
  std::mt19937 rng(9);
  const Tensor x = random_f32({3, 4}, rng), scale = random_f32({4}, rng), bias = random_f32({4}, rng);
  const OpSpec spec = {.op_type = "LayerNormalization", .opset = 17};
  Result<std::vector<Tensor>> r = run_op_in_session(spec, {x, scale, bias});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::vector<Tensor> direct = run_ref(spec, {x, scale, bias});
  ASSERT_EQ(r->size(), 1u);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_TRUE(tensors_near((*r)[0], direct[0], 1e-6, 1e-6));
}

TEST(RefLayerNorm, EmptyRowsAndEmptyBatch) {
  const std::vector<Tensor> none =
      run_ref({.op_type = "LayerNormalization", .opset = 17, .num_outputs = 3},
              {Tensor::empty(DType::kF32, {0, 4}), f32({1, 1, 1, 1}, {4})});
  ASSERT_EQ(none.size(), 3u);
  EXPECT_EQ(none[0].shape(), (Shape{0, 4}));
  EXPECT_EQ(none[1].shape(), (Shape{0, 1}));
}

TEST(RefLayerNorm, AxisOutOfRangeIsRejected) {
  // Inference refuses it first; this checks the kernel's own guard.
  std::vector<Tensor> outs = {Tensor::empty(DType::kF32, {2, 2})};
  const Status s = run_ref_without_inference(
      {.op_type = "LayerNormalization", .opset = 17, .attrs = {attr_int("axis", 2)}},
      {f32({1, 2, 3, 4}, {2, 2}), f32({1, 1}, {2})}, outs);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("axis"), std::string::npos) << s.message();
}

TEST(RefRmsNorm, RandomShapesAndAxesMatchRootMeanSquare) {
  std::mt19937 rng(99);
  const std::vector<Shape> shapes = {{9}, {4, 6}, {2, 3, 7}};
  for (const Shape& shape : shapes) {
    const auto rank = static_cast<int64_t>(shape.rank());
    for (int64_t a = 0; a < rank; ++a) {
      const int64_t inner = inner_size(shape, a);
      const Tensor x = random_f32(shape, rng, -3, 3);
      const Tensor scale = random_f32(tail_shape(shape, a), rng, 0.5, 2);
      const std::vector<Tensor> out =
          run_ref({.op_type = "RMSNormalization", .opset = 23, .attrs = {attr_int("axis", a - rank)}}, {x, scale});
      ASSERT_EQ(out.size(), 1u);
      const RowStats st = row_stats(x, inner, 1e-5);
      Tensor y = Tensor::empty(DType::kF32, shape);
      for (int64_t i = 0; i < x.numel(); ++i) {
        y.data<float>()[i] = static_cast<float>(x.data<float>()[i] * st.inv_rms[static_cast<size_t>(i / inner)] *
                                                scale.data<float>()[i % inner]);
      }
      EXPECT_TRUE(tensors_near(out[0], y, 1e-5, 1e-4)) << shape.to_string() << " axis " << a;
    }
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
