#include "fastserve/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace fastserve {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Independent half decoding: value = (-1)^s * 2^(e-15) * (1 + m/1024), or
// 2^-14 * m/1024 for subnormals, computed with ldexp.
double half_value_reference(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v;
  if (e == 0) {
    v = std::ldexp(m, -24);
  } else if (e == 31) {
    v = m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else {
    v = std::ldexp(1024 + m, e - 25);
  }
  return s ? -v : v;
}

// Round-to-nearest-even to half by search: the finite half closest to x,
// ties to the even mantissa; beyond the max, infinity (IEEE overflow rule).
uint16_t half_round_reference(float x) {
  const double d = x;
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(d);
  if (a >= 65520.0) return sign | 0x7c00;
  uint16_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (uint16_t h = 0; h < 0x7c00; ++h) {
    const double err = std::fabs(half_value_reference(h) - a);
    if (err < best_err || (err == best_err && (h & 1) == 0)) {
      best = h;
      best_err = err;
    }
  }
  return sign | best;
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::kF32), 4u);
  EXPECT_EQ(dtype_size(DType::kF16), 2u);
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_size(DType::kF64), 8u);
  EXPECT_EQ(dtype_size(DType::kI64), 8u);
  EXPECT_EQ(dtype_size(DType::kU64), 8u);
  EXPECT_EQ(dtype_size(DType::kI32), 4u);
  EXPECT_EQ(dtype_size(DType::kU32), 4u);
  EXPECT_EQ(dtype_size(DType::kI16), 2u);
  EXPECT_EQ(dtype_size(DType::kU16), 2u);
  EXPECT_EQ(dtype_size(DType::kI8), 1u);
  EXPECT_EQ(dtype_size(DType::kU8), 1u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_EQ(dtype_size(DType::kString), 0u);
  EXPECT_EQ(dtype_size(DType::kUndefined), 0u);
  EXPECT_STREQ(dtype_name(DType::kF32), "float32");
  EXPECT_STREQ(dtype_name(DType::kBF16), "bfloat16");
  EXPECT_STREQ(dtype_name(DType::kI64), "int64");
  EXPECT_STREQ(dtype_name(DType::kBool), "bool");
  EXPECT_STREQ(dtype_v2_name(DType::kF32), "FP32");
  EXPECT_STREQ(dtype_v2_name(DType::kI64), "INT64");
  EXPECT_STREQ(dtype_v2_name(DType::kBool), "BOOL");
  EXPECT_STREQ(dtype_v2_name(DType::kF16), "FP16");
  EXPECT_STREQ(dtype_v2_name(DType::kBF16), "BF16");
  EXPECT_STREQ(dtype_v2_name(DType::kU8), "UINT8");
}

TEST(DType, FromOnnxAcceptsKnownCodesOnly) {
  EXPECT_EQ(dtype_from_onnx(1), DType::kF32);
  EXPECT_EQ(dtype_from_onnx(7), DType::kI64);
  EXPECT_EQ(dtype_from_onnx(10), DType::kF16);
  EXPECT_EQ(dtype_from_onnx(16), DType::kBF16);
  EXPECT_EQ(dtype_from_onnx(8), DType::kString);
  EXPECT_EQ(dtype_from_onnx(0), DType::kUndefined);
  EXPECT_EQ(dtype_from_onnx(14), DType::kUndefined);  // complex64
  EXPECT_EQ(dtype_from_onnx(17), DType::kF8E4M3FN);
  EXPECT_EQ(dtype_from_onnx(26), DType::kI2);
  EXPECT_EQ(dtype_from_onnx(27), DType::kUndefined);  // float6e2m3
  EXPECT_EQ(dtype_from_onnx(-3), DType::kUndefined);
}

TEST(DType, Predicates) {
  EXPECT_TRUE(dtype_is_float(DType::kF16));
  EXPECT_TRUE(dtype_is_float(DType::kBF16));
  EXPECT_FALSE(dtype_is_float(DType::kI32));
  EXPECT_TRUE(dtype_is_integer(DType::kU64));
  EXPECT_TRUE(dtype_is_integer(DType::kI8));
  EXPECT_FALSE(dtype_is_integer(DType::kBool));
  EXPECT_FALSE(dtype_is_integer(DType::kF32));
  EXPECT_TRUE(dtype_is_storable(DType::kBool));
  EXPECT_FALSE(dtype_is_storable(DType::kString));
  EXPECT_FALSE(dtype_is_storable(DType::kUndefined));
}

TEST(Half, EveryPatternDecodesExactlyAndRoundTrips) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = half_to_float(bits);
    const double expect = half_value_reference(bits);
    if (std::isnan(expect)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      // NaN stays NaN (and keeps its sign) through float and back.
      const uint16_t back = float_to_half(f);
      ASSERT_EQ(back & 0x7c00, 0x7c00) << std::hex << h;
      ASSERT_NE(back & 0x3ff, 0) << std::hex << h;
      ASSERT_EQ(back & 0x8000, bits & 0x8000) << std::hex << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), expect) << std::hex << h;
    ASSERT_EQ(std::signbit(f), (bits & 0x8000) != 0) << std::hex << h;
    ASSERT_EQ(float_to_half(f), bits) << std::hex << h;
  }
}

TEST(Half, RoundsToNearestEvenIncludingSubnormalsAndOverflow) {
  // Halfway between 1.0 (0x3c00) and the next half (0x3c01): ties to even.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // Halfway between 0x3c01 and 0x3c02 rounds up to the even 0x3c02.
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Just above halfway rounds up.
  EXPECT_EQ(float_to_half(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
  // Smallest subnormal 2^-24; half of it ties to zero; just above rounds up.
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(float_to_half(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(float_to_half(-std::ldexp(1.0f, -26)), 0x8000);
  // 1.5 * 2^-24 ties to the even 2 * 2^-24.
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);
  // Largest subnormal rounding up into the smallest normal.
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)), 0x0400);
  // Overflow: 65504 is the max, 65520 ties up to infinity, 65519 stays.
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);
  EXPECT_EQ(float_to_half(-1e10f), 0xfc00);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(Half, RandomFloatsMatchNearestEvenSearch) {
  std::mt19937 rng(1234);
  // Exponents spanning subnormal, normal and overflow ranges of half.
  std::uniform_int_distribution<uint32_t> exp_dist(127 - 27, 127 + 16);
  std::uniform_int_distribution<uint32_t> man_dist(0, 0x7fffff);
  for (int i = 0; i < 300; ++i) {
    const uint32_t u = ((i & 1u) << 31) | (exp_dist(rng) << 23) | man_dist(rng);
    const float f = float_of(u);
    ASSERT_EQ(float_to_half(f), half_round_reference(f)) << f;
  }
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between 0x3f80 and 0x3f81: ties to even (down).
  EXPECT_EQ(float_to_bf16(float_of(0x3f808000u)), 0x3f80);
  // 0x3f818000 is halfway between 0x3f81 and 0x3f82: ties to even (up).
  EXPECT_EQ(float_to_bf16(float_of(0x3f818000u)), 0x3f82);
  EXPECT_EQ(float_to_bf16(float_of(0x3f808001u)), 0x3f81);
  EXPECT_EQ(float_to_bf16(float_of(0x3f807fffu)), 0x3f80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xc000);
  // The largest finite float rounds up to infinity.
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
}

TEST(BFloat16, NanStaysNanEvenWhenPayloadIsOnlyInLowBits) {
  const float nan_low = float_of(0x7f800001u);  // truncation alone would give inf
  const uint16_t b = float_to_bf16(nan_low);
  EXPECT_TRUE(std::isnan(bf16_to_float(b)));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(-std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::quiet_NaN()) & 0x8000, 0x8000);
}

TEST(BFloat16, EveryPatternRoundTrips) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const float f = bf16_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16_to_float(float_to_bf16(f))));
    } else {
      ASSERT_EQ(float_to_bf16(f), b) << std::hex << b;
      ASSERT_EQ(bits_of(f), b << 16);
    }
  }
}

}  // namespace
}  // namespace fastserve
