// Linear quantization arithmetic: rounding half to even, saturation,
// symmetric / asymmetric parameters for every integer target, and the
// per-tensor / per-channel / per-block layouts, against plain formulas.
#include "core/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/test_util.h"

namespace fastserve {
namespace {

TEST(Quantize, RangesOfEachTarget) {
  auto r = [](DType t, bool sym) { return quant_range(t, sym).value(); };
  EXPECT_EQ(r(DType::kI8, false).qmin, -128);
  EXPECT_EQ(r(DType::kI8, false).qmax, 127);
  EXPECT_EQ(r(DType::kI8, true).qmin, -127);
  EXPECT_EQ(r(DType::kU8, true).qmax, 255);
  EXPECT_EQ(r(DType::kI4, false).qmin, -8);
  EXPECT_EQ(r(DType::kI4, true).qmin, -7);
  EXPECT_EQ(r(DType::kU4, false).qmax, 15);
  EXPECT_EQ(r(DType::kI16, false).qmin, -32768);
  EXPECT_FALSE(quant_range(DType::kF32, false).ok());
}

TEST(Quantize, RoundsHalfToEvenAndSaturates) {
  const QuantRange r{-128, 127};
  const QuantParams p{1.f, 0};
  EXPECT_EQ(quantize_value(2.5f, p, r), 2);
  EXPECT_EQ(quantize_value(3.5f, p, r), 4);
  EXPECT_EQ(quantize_value(-2.5f, p, r), -2);
  EXPECT_EQ(quantize_value(-3.5f, p, r), -4);
  EXPECT_EQ(quantize_value(2.4999f, p, r), 2);
  EXPECT_EQ(quantize_value(1e9f, p, r), 127);
  EXPECT_EQ(quantize_value(-1e9f, p, r), -128);
  EXPECT_EQ(quantize_value(std::nanf(""), QuantParams{1.f, 5}, r), 5);
  // The zero point is added after rounding: 0.5 / 1 -> 0 (even), + 3.
  EXPECT_EQ(quantize_value(0.5f, QuantParams{1.f, 3}, QuantRange{0, 255}), 3);
  EXPECT_EQ(quantize_value(1.5f, QuantParams{1.f, 3}, QuantRange{0, 255}), 5);
}

TEST(Quantize, SymmetricAndAsymmetricParameters) {
  // Asymmetric uint8 over [-1, 3]: scale 4/255, zero point round(0 + 1/scale) = round(63.75) = 64.
  QuantParams a = choose_quant_params(-1.f, 3.f, DType::kU8, false).value();
  EXPECT_FLOAT_EQ(a.scale, 4.f / 255.f);
  EXPECT_EQ(a.zero_point, 64);
  // The range always includes 0: [2, 6] quantizes [0, 6].
  a = choose_quant_params(2.f, 6.f, DType::kU8, false).value();
  EXPECT_FLOAT_EQ(a.scale, 6.f / 255.f);
  EXPECT_EQ(a.zero_point, 0);
  EXPECT_EQ(quantize_value(0.f, a, {0, 255}), 0) << "0.0 is exact";
  // Symmetric int8: absmax / 127, zero point 0.
  QuantParams s = choose_quant_params(-0.5f, 2.54f, DType::kI8, true).value();
  EXPECT_FLOAT_EQ(s.scale, 2.54f / 127.f);
  EXPECT_EQ(s.zero_point, 0);
  // Symmetric uint8: zero in the middle.
  s = choose_quant_params(-1.f, 1.f, DType::kU8, true).value();
  EXPECT_EQ(s.zero_point, 128);
  EXPECT_FLOAT_EQ(s.scale, 1.f / 127.f);
  // All zeros: scale 1, nothing divides by zero.
  EXPECT_FLOAT_EQ(choose_quant_params(0.f, 0.f, DType::kI8, true).value().scale, 1.f);
  EXPECT_FALSE(choose_quant_params(1.f, -1.f, DType::kI8, false).ok());
  EXPECT_FALSE(choose_quant_params(0.f, INFINITY, DType::kI8, false).ok());
}

TEST(Quantize, RoundTripErrorIsAtMostHalfAStepInsideTheRange) {
  std::mt19937 rng(1);
  for (DType t : {DType::kI8, DType::kU8, DType::kI4, DType::kU4}) {
    for (bool sym : {false, true}) {
      const Tensor x = testing::random_f32({3, 7, 5}, rng, -2.0, 3.0);
      for (QuantLayout layout : {QuantLayout{}, QuantLayout{1, 0}, QuantLayout{-1, 0}, QuantLayout{2, 2},
                                 QuantLayout{0, 2}}) {
        SCOPED_TRACE(std::string(dtype_name(t)) + (sym ? " symmetric" : " asymmetric") + " axis " +
                     std::to_string(layout.axis) + " block " + std::to_string(layout.block));
        auto params = choose_quant_params_for(x, layout, t, sym);
        ASSERT_TRUE(params.ok()) << params.status().to_string();
        auto q = quantize_tensor(x, layout, *params, t);
        ASSERT_TRUE(q.ok()) << q.status().to_string();
        EXPECT_EQ(q->dtype(), t);
        auto back = dequantize_tensor(*q, layout, *params);
        ASSERT_TRUE(back.ok());
        for (int64_t i = 0; i < x.numel(); ++i) {
          const QuantParams& p = (*params)[static_cast<size_t>(quant_param_index(x.shape(), layout, i))];
          ASSERT_LE(std::abs(back->data<float>()[i] - x.data<float>()[i]), 0.5f * p.scale * 1.0001f) << i;
        }
      }
    }
  }
}

TEST(Quantize, LayoutsIndexAsOnnxLaysOutTheScales) {
  const Shape s{2, 5, 3};
  EXPECT_EQ(quant_param_count(s, QuantLayout{}).value(), 1);
  EXPECT_EQ(quant_param_count(s, QuantLayout{1, 0}).value(), 5);
  EXPECT_EQ(quant_param_count(s, QuantLayout{1, 2}).value(), 2 * 3 * 3);  // ceil(5 / 2) = 3 blocks
  EXPECT_FALSE(quant_param_count(s, QuantLayout{3, 0}).ok());
  EXPECT_FALSE(quant_param_count(s, QuantLayout{1, -1}).ok());
  for (int64_t flat = 0; flat < s.numel(); ++flat) {
    const int64_t i0 = flat / 15, i1 = flat / 3 % 5, i2 = flat % 3;
    EXPECT_EQ(quant_param_index(s, QuantLayout{1, 0}, flat), i1);
    EXPECT_EQ(quant_param_index(s, QuantLayout{-1, 0}, flat), i2);
    // Scale tensor [2, 3, 3]: block i1 / 2 along axis 1.
    EXPECT_EQ(quant_param_index(s, QuantLayout{1, 2}, flat), (i0 * 3 + i1 / 2) * 3 + i2);
  }
  const Tensor x = Tensor::zeros(DType::kF32, s);
  EXPECT_FALSE(quantize_tensor(x, QuantLayout{1, 0}, std::vector<QuantParams>(4), DType::kI8).ok())
      << "4 scales for 5 channels";
}

TEST(Quantize, PerChannelScalesFollowEachChannelsRange) {
  // Channel c of axis 0 spans [-c-1, c+1]: symmetric scale (c+1)/127.
  Tensor w = Tensor::empty(DType::kF32, Shape{3, 4});
  for (int c = 0; c < 3; ++c)
    for (int j = 0; j < 4; ++j) w.data<float>()[c * 4 + j] = (j % 2 ? 1.f : -1.f) * static_cast<float>(c + 1) * (j + 1) / 4.f;
  auto p = choose_quant_params_for(w, QuantLayout{0, 0}, DType::kI8, true).value();
  ASSERT_EQ(p.size(), 3u);
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(p[static_cast<size_t>(c)].scale, static_cast<float>(c + 1) / 127.f);
}

}  // namespace
}  // namespace fastserve
