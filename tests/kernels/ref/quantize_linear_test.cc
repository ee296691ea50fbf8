// Reference QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv
// (kernels/ref/quantize_linear.cc, integer_linalg.cc) against formulas and
// loops written here, on random shapes and values, plus the errors a bad
// scale layout gets.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/ref/nn_ref.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::OpSpec;

Result<std::vector<Tensor>> run_ref(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return internal_error("no reference kernel");
  return testing::run_kernel(*ref, spec, inputs);
}

Tensor random_u8(Shape s, std::mt19937& rng, int lo = 0, int hi = 255) {
  std::uniform_int_distribution<int> u(lo, hi);
  Tensor t = Tensor::empty(DType::kU8, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(u(rng));
  return t;
}

Tensor random_i8(Shape s, std::mt19937& rng, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> u(lo, hi);
  Tensor t = Tensor::empty(DType::kI8, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(u(rng));
  return t;
}

Tensor f32_scalar(float v) { return Tensor::scalar<float>(v); }

TEST(QuantizeLinearRef, PerAxisInt8MatchesTheFormulaAndRoundTrips) {
  std::mt19937 rng(1);
  const Tensor x = testing::random_f32({2, 4, 3}, rng, -3.0, 3.0);
  const Tensor scale = Tensor::from_vector<float>({0.02f, 0.05f, 0.1f, 0.013f});
  const Tensor zp = Tensor::from_vector<int8_t>({0, -3, 7, 1});
  auto q = run_ref(OpSpec{"QuantizeLinear", 13, {attr_int("axis", 1)}}, {x, scale, zp});
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  ASSERT_EQ((*q)[0].dtype(), DType::kI8);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = i / 3 % 4;
    const float v = x.data<float>()[i] / scale.data<float>()[c];
    const double want = std::clamp<double>(std::nearbyint(v) + zp.data<int8_t>()[c], -128.0, 127.0);
    ASSERT_EQ((*q)[0].data<int8_t>()[i], static_cast<int8_t>(want)) << i;
  }
  auto back = run_ref(OpSpec{"DequantizeLinear", 13, {attr_int("axis", 1)}}, {(*q)[0], scale, zp});
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = i / 3 % 4;
    const float want = (static_cast<float>((*q)[0].data<int8_t>()[i]) - zp.data<int8_t>()[c]) * scale.data<float>()[c];
    ASSERT_EQ((*back)[0].data<float>()[i], want) << i;
    if (std::abs(x.data<float>()[i]) < 1.2f) {  // inside every channel's range: error <= half a step
      ASSERT_LE(std::abs((*back)[0].data<float>()[i] - x.data<float>()[i]), 0.5f * scale.data<float>()[c] + 1e-6f);
    }
  }
}

TEST(QuantizeLinearRef, BlockedUint8AndHalfwayValuesRoundToEven) {
  // Blocks of 2 along axis 1 of [1, 5]: scale [1, 3].
  const Tensor x = Tensor::from_vector<float>({0.5f, 1.5f, 2.5f, -0.5f, 7.f}, Shape{1, 5});
  const Tensor scale = Tensor::from_vector<float>({1.f, 1.f, 2.f}, Shape{1, 3});
  const Tensor zp = Tensor::from_vector<uint8_t>({10, 20, 30}, Shape{1, 3});
  auto q = run_ref(OpSpec{"QuantizeLinear", 21, {attr_int("axis", 1), attr_int("block_size", 2)}}, {x, scale, zp});
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  const uint8_t* y = (*q)[0].data<uint8_t>();
  EXPECT_EQ(y[0], 10);  // 0.5 -> 0 (even) + 10
  EXPECT_EQ(y[1], 12);  // 1.5 -> 2 + 10
  EXPECT_EQ(y[2], 22);  // 2.5 -> 2 + 20
  EXPECT_EQ(y[3], 20);  // -0.5 -> -0 + 20
  EXPECT_EQ(y[4], 34);  // 7 / 2 = 3.5 -> 4 + 30
}

TEST(QuantizeLinearRef, BadScaleLayoutsNameTheNode) {
  const Tensor x = Tensor::zeros(DType::kF32, Shape{2, 3});
  auto r = run_ref(OpSpec{"QuantizeLinear", 13, {attr_int("axis", 1)}}, {x, Tensor::from_vector<float>({1.f, 2.f})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("want a scalar or a 1-D tensor of dim(axis)"), std::string::npos)
      << r.status().message();
  r = run_ref(OpSpec{"QuantizeLinear", 13, {attr_int("axis", 5)}}, {x, Tensor::from_vector<float>({1.f, 2.f, 3.f})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("axis 5 is out of range"), std::string::npos) << r.status().message();
}

TEST(DynamicQuantizeLinearRef, ScaleZeroPointAndValuesFollowTheSpec) {
  std::mt19937 rng(2);
  const Tensor x = testing::random_f32({3, 17}, rng, -1.5, 4.0);
  auto out = run_ref(OpSpec{"DynamicQuantizeLinear", 11, {}, 3}, {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, x.data<float>()[i]);
    hi = std::max(hi, x.data<float>()[i]);
  }
  const float scale = (hi - lo) / 255.f;
  const auto zp = static_cast<uint8_t>(std::nearbyint(std::clamp(-lo / scale, 0.f, 255.f)));
  EXPECT_EQ((*out)[1].data<float>()[0], scale);
  EXPECT_EQ((*out)[2].data<uint8_t>()[0], zp);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double want = std::clamp<double>(std::nearbyint(x.data<float>()[i] / scale) + zp, 0.0, 255.0);
    ASSERT_EQ((*out)[0].data<uint8_t>()[i], static_cast<uint8_t>(want)) << i;
  }
}

TEST(MatMulIntegerRef, BatchedWithPerRowAndPerColumnZeroPointsMatchesADoubleMatMul) {
  std::mt19937 rng(3);
  const Tensor a = random_u8({2, 3, 5}, rng), b = random_i8({5, 4}, rng);
  const Tensor a_zp = random_u8({3}, rng), b_zp = random_i8({4}, rng);
  auto y = run_ref(OpSpec{"MatMulInteger", 10}, {a, b, a_zp, b_zp});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ((*y)[0].shape(), (Shape{2, 3, 4}));
  for (int64_t bt = 0; bt < 2; ++bt)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < 5; ++p) {
          acc += (double(a.data<uint8_t>()[(bt * 3 + i) * 5 + p]) - a_zp.data<uint8_t>()[i]) *
                 (double(b.data<int8_t>()[p * 4 + j]) - b_zp.data<int8_t>()[j]);
        }
        ASSERT_EQ((*y)[0].data<int32_t>()[(bt * 3 + i) * 4 + j], static_cast<int32_t>(acc));
      }
}

TEST(QLinearMatMulRef, RequantizedProductMatchesTheRealValuedResult) {
  std::mt19937 rng(4);
  const Tensor a = random_u8({4, 16}, rng), b = random_u8({16, 6}, rng);
  const float as = 0.02f, bs = 0.03f, ys = 0.5f;
  const uint8_t azp = 120, bzp = 130, yzp = 128;
  auto y = run_ref(OpSpec{"QLinearMatMul", 10},
                   {a, f32_scalar(as), Tensor::scalar<uint8_t>(azp), b, f32_scalar(bs), Tensor::scalar<uint8_t>(bzp),
                    f32_scalar(ys), Tensor::scalar<uint8_t>(yzp)});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  int exact = 0;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      double real = 0;  // the product of the dequantized values
      for (int64_t p = 0; p < 16; ++p) {
        real += (a.data<uint8_t>()[i * 16 + p] - azp) * double(as) * (b.data<uint8_t>()[p * 6 + j] - bzp) * double(bs);
      }
      const double want = std::clamp(std::nearbyint(real / ys) + yzp, 0.0, 255.0);
      const int got = (*y)[0].data<uint8_t>()[i * 6 + j];
      ASSERT_LE(std::abs(got - want), 1.0) << i << "," << j;  // the scale ratio is rounded to float once
      exact += got == want;
    }
  EXPECT_GE(exact, 22);
}

// Conv of float copies of (x - x_zp) and (w - w_zp[m]): exact for these sizes.
Tensor float_conv(const Tensor& x, int x_zp, const Tensor& w, const std::vector<int>& w_zp, const OpSpec& spec) {
  Tensor xf = Tensor::empty(DType::kF32, x.shape()), wf = Tensor::empty(DType::kF32, w.shape());
  for (int64_t i = 0; i < x.numel(); ++i) xf.data<float>()[i] = float(x.data<uint8_t>()[i] - x_zp);
  const int64_t per = w.numel() / w.dim(0);
  for (int64_t i = 0; i < w.numel(); ++i) wf.data<float>()[i] = float(w.data<int8_t>()[i] - w_zp[static_cast<size_t>(i / per)]);
  OpSpec conv = spec;
  conv.op_type = "Conv";
  conv.opset = 11;
  auto y = run_ref(conv, {xf, wf});
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  return y.ok() ? (*y)[0] : Tensor();
}

TEST(ConvIntegerRef, MatchesAFloatConvOfTheShiftedValues) {
  std::mt19937 rng(5);
  const Tensor x = random_u8({2, 4, 7, 6}, rng, 0, 40), w = random_i8({6, 2, 3, 3}, rng, -20, 20);
  const OpSpec spec{"ConvInteger", 10, {attr_ints("pads", {1, 0, 1, 2}), attr_ints("strides", {2, 1}), attr_int("group", 2)}};
  const std::vector<int> w_zp = {1, -2, 0, 3, -1, 2};
  Tensor wz = Tensor::empty(DType::kI8, Shape{6});
  for (int i = 0; i < 6; ++i) wz.data<int8_t>()[i] = static_cast<int8_t>(w_zp[static_cast<size_t>(i)]);
  auto y = run_ref(spec, {x, w, Tensor::scalar<uint8_t>(5), wz});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  const Tensor want = float_conv(x, 5, w, w_zp, spec);
  ASSERT_EQ((*y)[0].shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) {
    ASSERT_EQ((*y)[0].data<int32_t>()[i], static_cast<int32_t>(want.data<float>()[i])) << i;
  }
}

TEST(QLinearConvRef, PerChannelScalesAndBiasRequantizeTheRealResult) {
  std::mt19937 rng(6);
  const Tensor x = random_u8({1, 3, 5, 5}, rng, 0, 60), w = random_i8({4, 3, 3, 3}, rng, -30, 30);
  const std::vector<float> ws = {0.01f, 0.02f, 0.015f, 0.03f};
  const float xs = 0.05f, ys = 0.25f;
  const Tensor bias = Tensor::from_vector<int32_t>({100, -50, 0, 7});
  const OpSpec spec{"QLinearConv", 10, {attr_ints("pads", {1, 1, 1, 1})}};
  auto y = run_ref(spec, {x, f32_scalar(xs), Tensor::scalar<uint8_t>(10), w, Tensor::from_vector<float>(ws),
                          Tensor::scalar<int8_t>(0), f32_scalar(ys), Tensor::scalar<uint8_t>(100), bias});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  const Tensor acc = float_conv(x, 10, w, {0, 0, 0, 0}, spec);
  ASSERT_EQ((*y)[0].shape(), acc.shape());
  const int64_t plane = 25;
  for (int64_t i = 0; i < acc.numel(); ++i) {
    const auto m = static_cast<size_t>(i / plane);
    const double real = (acc.data<float>()[i] + bias.data<int32_t>()[m]) * double(xs) * ws[m] / ys;
    const double want = std::clamp(std::nearbyint(real) + 100, 0.0, 255.0);
    ASSERT_LE(std::abs((*y)[0].data<uint8_t>()[i] - want), 1.0) << i;
  }
}

}  // namespace
}  // namespace fastserve
