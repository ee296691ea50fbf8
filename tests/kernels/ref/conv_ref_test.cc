// Reference Conv and ConvTranspose (kernels/ref/conv.cc, conv_transpose.cc)
// against hand-computed outputs and independent formulations: Conv against
// a direct sum over an explicitly zero-padded copy of the input, and
// ConvTranspose through the adjoint identity <ConvT(x), y> = <x, Conv(y)>.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/ref/nn_ref.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

Tensor run_ref(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return Tensor();
  auto out = testing::run_kernel(*ref, spec, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

Tensor iota(Shape shape, float start = 1.f) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

TEST(ConvRef, HandComputedDifferenceKernelWithBias) {
  // y[i][j] = x[i][j] - x[i+1][j+1] + 0.5 = -4 + 0.5 for x = 1..9 row-major.
  Tensor x = iota({1, 1, 3, 3});
  Tensor w = Tensor::from_vector<float>({1, 0, 0, -1}, Shape{1, 1, 2, 2});
  Tensor b = Tensor::from_vector<float>({0.5f}, Shape{1});
  Tensor y = run_ref(OpSpec{"Conv"}, {x, w, b});
  EXPECT_TRUE(testing::tensors_near(y, Tensor::from_vector<float>({-3.5f, -3.5f, -3.5f, -3.5f}, Shape{1, 1, 2, 2})));
}

TEST(ConvRef, HandComputedPaddedStrided) {
  // 3x3 ones kernel, pads 1, stride 2 over x = 1..9: window sums of the 2x2 corners.
  Tensor x = iota({1, 1, 3, 3});
  Tensor w = Tensor::from_vector<float>(std::vector<float>(9, 1.f), Shape{1, 1, 3, 3});
  Tensor y = run_ref(OpSpec{"Conv", 17, {attr_ints("pads", {1, 1, 1, 1}), attr_ints("strides", {2, 2})}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(y, Tensor::from_vector<float>({12, 16, 24, 28}, Shape{1, 1, 2, 2})));
}

TEST(ConvRef, HandComputedDilated) {
  // x = 0..24 (5x5), 2x2 ones dilated by 2: y[i][j] = x[i][j]+x[i][j+2]+x[i+2][j]+x[i+2][j+2] = 20i + 4j + 24.
  Tensor x = iota({1, 1, 5, 5}, 0.f);
  Tensor w = Tensor::from_vector<float>({1, 1, 1, 1}, Shape{1, 1, 2, 2});
  Tensor y = run_ref(OpSpec{"Conv", 17, {attr_ints("dilations", {2, 2})}}, {x, w});
  std::vector<float> want;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) want.push_back(static_cast<float>(20 * i + 4 * j + 24));
  }
  EXPECT_TRUE(testing::tensors_near(y, Tensor::from_vector<float>(want, Shape{1, 1, 3, 3})));
}

TEST(ConvRef, HandComputedGroups) {
  Tensor x = Tensor::from_vector<float>({2, 3}, Shape{1, 2, 1, 1});
  Tensor w = Tensor::from_vector<float>({10, 100}, Shape{2, 1, 1, 1});
  Tensor y = run_ref(OpSpec{"Conv", 17, {attr_int("group", 2)}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(y, Tensor::from_vector<float>({20, 300}, Shape{1, 2, 1, 1})));
}

// Independent 2-D conv: copy x into an explicitly zero-padded buffer, then
// sum without bounds checks.
Tensor conv2d_padded_naive(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group, int64_t sh, int64_t sw,
                           int64_t dh, int64_t dw, int64_t pt, int64_t pl, int64_t pb, int64_t pr) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3), cg = c / group, mg = m / group;
  const int64_t hp = h + pt + pb, wp = wd + pl + pr;
  std::vector<float> padded(static_cast<size_t>(n * c * hp * wp), 0.f);
  for (int64_t i = 0; i < n * c; ++i) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t xx = 0; xx < wd; ++xx) {
        padded[static_cast<size_t>((i * hp + y + pt) * wp + xx + pl)] = x.data<float>()[(i * h + y) * wd + xx];
      }
    }
  }
  const int64_t oh = (hp - (dh * (kh - 1) + 1)) / sh + 1, ow = (wp - (dw * (kw - 1) + 1)) / sw + 1;
  Tensor out = Tensor::zeros(DType::kF32, Shape{n, m, oh, ow});
  for (int64_t img = 0; img < n; ++img) {
    for (int64_t mm = 0; mm < m; ++mm) {
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          double s = b != nullptr ? b->data<float>()[mm] : 0.0;
          for (int64_t cc = 0; cc < cg; ++cc) {
            const int64_t ci = (mm / mg) * cg + cc;
            for (int64_t ki = 0; ki < kh; ++ki) {
              for (int64_t kj = 0; kj < kw; ++kj) {
                s += padded[static_cast<size_t>(((img * c + ci) * hp + oy * sh + ki * dh) * wp + ox * sw + kj * dw)] *
                     w.data<float>()[((mm * cg + cc) * kh + ki) * kw + kj];
              }
            }
          }
          out.data<float>()[((img * m + mm) * oh + oy) * ow + ox] = static_cast<float>(s);
        }
      }
    }
  }
  return out;
}

TEST(ConvRef, MatchesPaddedNaiveOnRandomGroupedStridedDilated) {
  std::mt19937 rng(1234);
  Tensor x = testing::random_f32({2, 6, 9, 11}, rng);
  Tensor w = testing::random_f32({4, 3, 3, 2}, rng);
  Tensor b = testing::random_f32({4}, rng);
  OpSpec spec{"Conv", 17,
              {attr_int("group", 2), attr_ints("strides", {2, 3}), attr_ints("dilations", {2, 1}),
               attr_ints("pads", {1, 0, 2, 3})}};
  Tensor y = run_ref(spec, {x, w, b});
  Tensor want = conv2d_padded_naive(x, w, &b, 2, 2, 3, 2, 1, 1, 0, 2, 3);
  EXPECT_TRUE(testing::tensors_near(y, want, 1e-5, 1e-5));
}

// f16 / bf16 Conv: the f32 reference on the widened values, rounded once
// (kernels/ref/run_via_f32.h).
TEST(ConvRef, HalfAndBFloat16AreTheRoundedF32Result) {
  std::mt19937 rng(77);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    const Tensor x = testing::random_tensor(dt, {1, 4, 7, 6}, rng, -1, 1);
    const Tensor w = testing::random_tensor(dt, {2, 2, 3, 3}, rng, -1, 1);
    const Tensor b = testing::random_tensor(dt, {2}, rng, -1, 1);
    const OpSpec spec{"Conv", 22, {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})}};
    const auto widen = [](const Tensor& t) {
      Tensor f = Tensor::empty(DType::kF32, t.shape());
      for (int64_t i = 0; i < t.numel(); ++i) f.data<float>()[i] = static_cast<float>(t.element_as_double(i));
      return f;
    };
    const Tensor want32 = conv2d_padded_naive(widen(x), widen(w), nullptr, 2, 1, 1, 1, 1, 1, 1, 1, 1);
    const Tensor bias32 = widen(b);
    const Tensor y = run_ref(spec, {x, w, b});
    ASSERT_EQ(y.dtype(), dt);
    ASSERT_EQ(y.shape(), want32.shape());
    for (int64_t i = 0; i < y.numel(); ++i) {
      const float v = want32.data<float>()[i] + bias32.data<float>()[(i / 42) % 2];
      const double want =
          dt == DType::kF16 ? half_to_float(float_to_half(v)) : bf16_to_float(float_to_bf16(v));
      // The naive sum and the reference may round the f32 sum differently:
      // allow one 16-bit ulp.
      EXPECT_NEAR(y.element_as_double(i), want, std::fabs(want) * (dt == DType::kF16 ? 1e-3 : 8e-3) + 1e-3)
          << dtype_name(dt) << " at " << i;
    }
  }
  // Mixed X / W types are not taken.
  const Tensor xh = testing::random_tensor(DType::kF16, {1, 1, 3, 3}, rng);
  const Tensor w32 = testing::random_f32({1, 1, 2, 2}, rng);
  EXPECT_TRUE(testing::runnable_kernels(OpSpec{"Conv", 22}, {xh, w32}).empty());
}

TEST(ConvRef, SameLowerPutsOddPadFirst) {
  std::mt19937 rng(1234);
  Tensor x = testing::random_f32({1, 2, 6, 5}, rng);
  Tensor w = testing::random_f32({3, 2, 2, 4}, rng);
  // in 6, k 2, s 1: total 1 -> LOWER (1, 0); in 5, k 4: total 3 -> LOWER (2, 1).
  Tensor y = run_ref(OpSpec{"Conv", 17, {attr_string("auto_pad", "SAME_LOWER")}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(y, conv2d_padded_naive(x, w, nullptr, 1, 1, 1, 1, 1, 1, 2, 0, 1), 1e-5, 1e-5));
  Tensor yu = run_ref(OpSpec{"Conv", 17, {attr_string("auto_pad", "SAME_UPPER")}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(yu, conv2d_padded_naive(x, w, nullptr, 1, 1, 1, 1, 1, 0, 1, 1, 2), 1e-5, 1e-5));
}

TEST(ConvRef, OneDAndThreeDMatchTwoDEmbedding) {
  std::mt19937 rng(1234);
  // 1-D conv == 2-D conv with H = 1.
  Tensor x1 = testing::random_f32({2, 3, 10}, rng);
  Tensor w1 = testing::random_f32({4, 3, 3}, rng);
  Tensor y1 = run_ref(OpSpec{"Conv", 17, {attr_ints("pads", {1, 2}), attr_ints("strides", {2})}}, {x1, w1});
  Tensor want1 = conv2d_padded_naive(x1.reshaped(Shape{2, 3, 1, 10}), w1.reshaped(Shape{4, 3, 1, 3}), nullptr, 1, 1,
                                     2, 1, 1, 0, 1, 0, 2);
  EXPECT_TRUE(testing::tensors_near(y1, want1.reshaped(y1.shape()), 1e-5, 1e-5));
  // 3-D conv with depth-1 kernel == 2-D conv per depth slice.
  Tensor x3 = testing::random_f32({1, 2, 3, 5, 4}, rng);
  Tensor w3 = testing::random_f32({2, 2, 1, 3, 3}, rng);
  Tensor y3 = run_ref(OpSpec{"Conv", 17, {attr_ints("pads", {0, 1, 1, 0, 1, 1})}}, {x3, w3});
  ASSERT_EQ(y3.shape(), (Shape{1, 2, 3, 5, 4}));
  Tensor w2 = w3.reshaped(Shape{2, 2, 3, 3});
  for (int64_t d = 0; d < 3; ++d) {
    Tensor slice = Tensor::empty(DType::kF32, Shape{1, 2, 5, 4});
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t i = 0; i < 20; ++i) slice.data<float>()[c * 20 + i] = x3.data<float>()[(c * 3 + d) * 20 + i];
    }
    Tensor want = conv2d_padded_naive(slice, w2, nullptr, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    for (int64_t m = 0; m < 2; ++m) {
      for (int64_t i = 0; i < 20; ++i) {
        EXPECT_NEAR(y3.data<float>()[(m * 3 + d) * 20 + i], want.data<float>()[m * 20 + i], 1e-5);
      }
    }
  }
}

TEST(ConvTransposeRef, HandComputedStride2And1) {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, Shape{1, 1, 2, 2});
  Tensor w = Tensor::from_vector<float>({1, 1, 1, 1}, Shape{1, 1, 2, 2});
  Tensor y2 = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2})}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(
      y2, Tensor::from_vector<float>({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, Shape{1, 1, 4, 4})));
  Tensor b = Tensor::from_vector<float>({10}, Shape{1});
  Tensor y1 = run_ref(OpSpec{"ConvTranspose"}, {x, w, b});
  EXPECT_TRUE(testing::tensors_near(y1, Tensor::from_vector<float>({11, 13, 12, 14, 20, 16, 13, 17, 14}, Shape{1, 1, 3, 3})));
}

TEST(ConvTransposeRef, OutputPaddingAddsBiasOnlyCells) {
  // stride 2 + output_padding 1: the last row/column gets no contribution.
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, Shape{1, 1, 2, 2});
  Tensor w = Tensor::from_vector<float>({1}, Shape{1, 1, 1, 1});
  Tensor b = Tensor::from_vector<float>({0.5f}, Shape{1});
  Tensor y = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2}), attr_ints("output_padding", {1, 1})}},
                     {x, w, b});
  EXPECT_TRUE(testing::tensors_near(
      y, Tensor::from_vector<float>({1.5f, 0.5f, 2.5f, 0.5f,   // row 0: x[0][*] at even columns
                                     0.5f, 0.5f, 0.5f, 0.5f,   // row 1: bias only
                                     3.5f, 0.5f, 4.5f, 0.5f,   // row 2: x[1][*]
                                     0.5f, 0.5f, 0.5f, 0.5f},  // row 3: output_padding, bias only
                                    Shape{1, 1, 4, 4})));
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a.data<float>()[i]) * b.data<float>()[i];
  return s;
}

TEST(ConvTransposeRef, IsTheAdjointOfConv) {
  std::mt19937 rng(1234);
  // ConvTranspose W [C, M/g, kh, kw] read as Conv W maps M channels to C.
  const int64_t group = 2;
  Tensor x = testing::random_f32({2, 4, 4, 5}, rng);  // C = 4
  Tensor w = testing::random_f32({4, 3, 3, 2}, rng);  // M = 6
  const std::vector<Attribute> attrs = {attr_int("group", group), attr_ints("strides", {2, 3}),
                                        attr_ints("dilations", {1, 2}), attr_ints("pads", {1, 0, 2, 1})};
  Tensor yt = run_ref(OpSpec{"ConvTranspose", 17, attrs}, {x, w});
  ASSERT_TRUE(yt.defined());
  Tensor probe = testing::random_f32(yt.shape(), rng);
  Tensor conv_probe = run_ref(OpSpec{"Conv", 17, attrs}, {probe, w});
  ASSERT_EQ(conv_probe.shape(), x.shape());
  EXPECT_NEAR(dot(yt, probe), dot(x, conv_probe), 1e-3);
}

TEST(ConvTransposeRef, OutputShapeAndSameUpperMatchExplicitPads) {
  std::mt19937 rng(1234);
  Tensor x = testing::random_f32({1, 2, 3, 3}, rng);
  Tensor w = testing::random_f32({2, 1, 3, 3}, rng);
  // Full size 2*(3-1)+3 = 7; output_shape 6 -> total pad 1, begin gets it (not SAME_UPPER).
  Tensor a = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2}), attr_ints("output_shape", {6, 6})}}, {x, w});
  Tensor b = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 0, 0})}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(a, b));
  // SAME_UPPER: output 6, the pad goes to the end.
  Tensor c = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2}), attr_string("auto_pad", "SAME_UPPER")}},
                     {x, w});
  Tensor d = run_ref(OpSpec{"ConvTranspose", 17, {attr_ints("strides", {2, 2}), attr_ints("pads", {0, 0, 1, 1})}}, {x, w});
  EXPECT_TRUE(testing::tensors_near(c, d));
}

}  // namespace
}  // namespace fastserve
