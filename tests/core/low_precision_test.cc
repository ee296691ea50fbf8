// float8 / float4 / E8M0 / int4 / int2 conversions and sub-byte packing
// (fastserve/low_precision.h), against references written here from the
// formats' definitions:
//   - decoding: every code of every format, from the bit-layout formula (in
//     double) and the published special values;
//   - encoding: a search over every finite code for the nearest one (ties to
//     the even code), with the ONNX Cast overflow table applied on top, on
//     every code's value, every midpoint between neighbours and its float32
//     neighbours, specials, and random floats;
//   - E8M0: frexp-based rounding in double for each round_mode;
//   - sub-byte ints and packing: modular arithmetic and explicit bytes.
#include "fastserve/low_precision.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace fastserve {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A minifloat format as the test knows it: layout and which codes are special.
struct Format {
  const char* name;
  int exp_bits, man_bits, bias;
  bool ieee_specials;  // E5M2: all-ones exponent is inf (mantissa 0) or NaN
  bool fn_nan;         // E4M3FN: S.1111.111 is NaN, no infinities
  bool fnuz;           // 0x80 is the only NaN, no -0, no infinities
  // Code under test.
  float (*decode)(uint8_t);
  uint8_t (*encode)(float, bool);
};

uint8_t encode_f4(float f, bool) { return float_to_f4e2m1(f); }

const std::vector<Format>& formats() {
  static const std::vector<Format> f = {
      {"E4M3FN", 4, 3, 7, false, true, false, f8e4m3fn_to_float, float_to_f8e4m3fn},
      {"E4M3FNUZ", 4, 3, 8, false, false, true, f8e4m3fnuz_to_float, float_to_f8e4m3fnuz},
      {"E5M2", 5, 2, 15, true, false, false, f8e5m2_to_float, float_to_f8e5m2},
      {"E5M2FNUZ", 5, 2, 16, false, false, true, f8e5m2fnuz_to_float, float_to_f8e5m2fnuz},
      {"E2M1", 2, 1, 1, false, false, false, f4e2m1_to_float, encode_f4},
  };
  return f;
}

int width(const Format& f) { return 1 + f.exp_bits + f.man_bits; }
int num_codes(const Format& f) { return 1 << width(f); }

// (-1)^s * 2^(e - bias) * (1 + m / 2^M), or 2^(1 - bias) * m / 2^M at e = 0,
// with the format's specials.
double reference_value(const Format& f, int code) {
  const int s = code >> (f.exp_bits + f.man_bits);
  const int e = (code >> f.man_bits) & ((1 << f.exp_bits) - 1);
  const int m = code & ((1 << f.man_bits) - 1);
  const int all_ones = (1 << f.exp_bits) - 1;
  if (f.fnuz && code == 0x80) return kNaN;
  if (f.fn_nan && e == all_ones && m == (1 << f.man_bits) - 1) return kNaN;
  if (f.ieee_specials && e == all_ones) return m == 0 ? (s ? -kInf : kInf) : kNaN;
  const double frac = static_cast<double>(m) / (1 << f.man_bits);
  const double v = e == 0 ? std::ldexp(frac, 1 - f.bias) : std::ldexp(1.0 + frac, e - f.bias);
  return s ? -v : v;
}

// The largest finite magnitude code and the value one step beyond it (the
// code after it if the exponent range went on): the overflow threshold of
// ONNX's "[x] > FLT_MAX" rule, [x] being x rounded to the mantissa width.
int max_finite_code(const Format& f) {
  int best = 0;
  for (int c = 0; c < num_codes(f) / 2; ++c) {
    if (std::isfinite(reference_value(f, c))) best = c;
  }
  return best;
}

// Expected encoding of x (any float32) by the rules in low_precision.h.
int reference_encode(const Format& f, float x, bool saturate) {
  const int sign_bit = 1 << (f.exp_bits + f.man_bits);
  const int max_code = max_finite_code(f);
  const bool e2m1 = !f.ieee_specials && !f.fn_nan && !f.fnuz;
  const bool neg = std::signbit(x);
  auto overflow = [&]() -> int {
    if (saturate || e2m1) return (neg ? sign_bit : 0) | max_code;
    if (f.ieee_specials) return (neg ? sign_bit : 0) | (((1 << f.exp_bits) - 1) << f.man_bits);
    if (f.fn_nan) return (neg ? sign_bit : 0) | (sign_bit - 1);
    return 0x80;
  };
  if (std::isnan(x)) {
    if (f.fnuz) return 0x80;
    if (f.fn_nan) return (neg ? sign_bit : 0) | (sign_bit - 1);
    if (f.ieee_specials) return (neg ? sign_bit : 0) | (((1 << f.exp_bits) - 1) << f.man_bits) | 0x2;
    return neg ? 0 : sign_bit;  // E2M1: the reference's inverted-sign zero
  }
  if (std::isinf(x)) return overflow();
  const double a = std::fabs(static_cast<double>(x));
  const double max_value = reference_value(f, max_code);
  // One step past max: the max's exponent and mantissa all-ones plus one ulp.
  const int max_e = (max_code >> f.man_bits);
  const double beyond = max_value + std::ldexp(1.0, max_e - f.bias - f.man_bits);
  if (a >= beyond) return overflow();  // (the search below cannot tell huge values apart)
  // Nearest among the finite non-negative codes and `beyond` (code max+1,
  // whose parity decides ties with max).
  int best = 0;
  double best_err = kInf;
  for (int c = 0; c <= max_code + 1; ++c) {
    const double v = c <= max_code ? reference_value(f, c) : beyond;
    const double err = std::fabs(v - a);
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = c;
      best_err = err;
    }
  }
  if (best > max_code) return overflow();
  if (best == 0 && f.fnuz) return 0;
  return (neg ? sign_bit : 0) | best;
}

std::string hex(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

TEST(LowPrecision, EveryMinifloatCodeDecodesToItsLayoutValue) {
  for (const Format& f : formats()) {
    for (int c = 0; c < num_codes(f); ++c) {
      SCOPED_TRACE(std::string(f.name) + " code " + hex(c));
      const double want = reference_value(f, c);
      const float got = f.decode(static_cast<uint8_t>(c));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got));
      } else {
        EXPECT_EQ(static_cast<double>(got), want);
        EXPECT_EQ(std::signbit(got), std::signbit(want));  // -0 stays -0 where it exists
      }
    }
  }
}

TEST(LowPrecision, PublishedExtremesAndSpecials) {
  // Max finite, smallest subnormal, NaN/inf codes (ONNX float8 / float4 pages).
  EXPECT_EQ(f8e4m3fn_to_float(0x7E), 448.f);
  EXPECT_EQ(f8e4m3fn_to_float(0x01), std::ldexp(1.f, -9));
  EXPECT_TRUE(std::isnan(f8e4m3fn_to_float(0x7F)));
  EXPECT_TRUE(std::isnan(f8e4m3fn_to_float(0xFF)));
  EXPECT_EQ(f8e4m3fnuz_to_float(0x7F), 240.f);
  EXPECT_EQ(f8e4m3fnuz_to_float(0x01), std::ldexp(1.f, -10));
  EXPECT_TRUE(std::isnan(f8e4m3fnuz_to_float(0x80)));
  EXPECT_EQ(f8e5m2_to_float(0x7B), 57344.f);
  EXPECT_EQ(f8e5m2_to_float(0x7C), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f8e5m2_to_float(0xFC), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(f8e5m2_to_float(0x01), std::ldexp(1.f, -16));
  EXPECT_EQ(f8e5m2fnuz_to_float(0x7F), 57344.f);
  EXPECT_EQ(f8e5m2fnuz_to_float(0x01), std::ldexp(1.f, -17));
  EXPECT_TRUE(std::isnan(f8e5m2fnuz_to_float(0x80)));
  // E2M1: the ONNX float4 table, positive half.
  const float e2m1[8] = {0.f, 0.5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f};
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(f4e2m1_to_float(static_cast<uint8_t>(c)), e2m1[c]);
    EXPECT_EQ(f4e2m1_to_float(static_cast<uint8_t>(c | 8)), -e2m1[c]);
    EXPECT_EQ(f4e2m1_to_float(static_cast<uint8_t>(c | 0xF0)), e2m1[c]) << "high nibble is ignored";
  }
}

// Every code's value, every midpoint between neighbouring codes and the
// float32 neighbours of both, zeros, specials.
std::vector<float> probe_values(const Format& f) {
  std::vector<float> xs = {0.f,
                           -0.f,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           -std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::denorm_min(),
                           1e-30f,
                           1e30f};
  const int max_code = max_finite_code(f);
  std::vector<double> values;
  for (int c = 0; c <= max_code; ++c) values.push_back(reference_value(f, c));
  const int max_e = max_code >> f.man_bits;
  values.push_back(values.back() + std::ldexp(1.0, max_e - f.bias - f.man_bits));  // one step beyond
  values.push_back(values.back() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    std::vector<double> here = {values[i]};
    if (i + 1 < values.size()) here.push_back((values[i] + values[i + 1]) / 2);
    for (double v : here) {
      const float fv = static_cast<float>(v);  // exact: these need few mantissa bits
      for (float p :
           {fv, std::nextafter(fv, 0.f), std::nextafter(fv, std::numeric_limits<float>::infinity())}) {
        xs.push_back(p);
        xs.push_back(-p);
      }
    }
  }
  return xs;
}

TEST(LowPrecision, EncodingRoundsToNearestEvenWithOnnxOverflowRules) {
  for (const Format& f : formats()) {
    for (bool saturate : {true, false}) {
      for (float x : probe_values(f)) {
        const int want = reference_encode(f, x, saturate);
        const int got = f.encode(x, saturate);
        ASSERT_EQ(got, want) << f.name << " saturate=" << saturate << " x=" << x << " (" << std::hexfloat << x
                             << std::defaultfloat << "): got " << hex(got) << ", want " << hex(want);
      }
    }
  }
}

TEST(LowPrecision, RandomFloatsMatchTheSearchAndRoundTrip) {
  std::mt19937 rng(20240517);
  std::uniform_real_distribution<float> exponent(-30.f, 20.f);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  for (const Format& f : formats()) {
    for (int i = 0; i < 4000; ++i) {
      const float x = unit(rng) * std::exp2(exponent(rng));
      for (bool saturate : {true, false}) {
        const int got = f.encode(x, saturate);
        ASSERT_EQ(got, reference_encode(f, x, saturate)) << f.name << " x=" << x << " saturate=" << saturate;
        // Round trip: the decoded code encodes back to itself.
        const float back = f.decode(static_cast<uint8_t>(got));
        if (std::isfinite(back)) {
          EXPECT_EQ(f.encode(back, saturate), got) << f.name << " x=" << x;
        }
      }
    }
  }
}

TEST(LowPrecision, EveryFiniteCodeSurvivesARoundTrip) {
  for (const Format& f : formats()) {
    for (int c = 0; c < num_codes(f); ++c) {
      const float v = f.decode(static_cast<uint8_t>(c));
      if (!std::isfinite(v)) continue;
      EXPECT_EQ(f.encode(v, true), c) << f.name << " code " << hex(c);
      EXPECT_EQ(f.encode(v, false), c) << f.name << " code " << hex(c);
    }
  }
}

TEST(LowPrecision, OnnxCastTableSpotChecks) {
  // The rows of the ONNX Cast spec tables, one format each.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(float_to_f8e4m3fn(inf), 0x7E);
  EXPECT_EQ(float_to_f8e4m3fn(-inf), 0xFE);
  EXPECT_EQ(float_to_f8e4m3fn(inf, false), 0x7F);
  EXPECT_EQ(float_to_f8e4m3fn(-inf, false), 0xFF);
  EXPECT_EQ(float_to_f8e4m3fn(1e6f, false), 0x7F);
  EXPECT_EQ(float_to_f8e4m3fn(464.f, false), 0x7E);  // tie between 448 and 480: even 448
  EXPECT_EQ(float_to_f8e4m3fn(465.f, false), 0x7F);  // rounds to 480 > max: NaN
  EXPECT_EQ(float_to_f8e4m3fn(-0.f), 0x80);
  EXPECT_EQ(float_to_f8e4m3fnuz(-0.f), 0x00);
  EXPECT_EQ(float_to_f8e4m3fnuz(-1e-7f), 0x00);
  EXPECT_EQ(float_to_f8e4m3fnuz(nan), 0x80);
  EXPECT_EQ(float_to_f8e4m3fnuz(-inf, false), 0x80);
  EXPECT_EQ(float_to_f8e4m3fnuz(-inf, true), 0xFF);
  EXPECT_EQ(float_to_f8e5m2(inf, false), 0x7C);
  EXPECT_EQ(float_to_f8e5m2(-1e6f, false), 0xFC);
  EXPECT_EQ(float_to_f8e5m2(inf), 0x7B);
  EXPECT_EQ(float_to_f8e5m2(nan), 0x7E);
  EXPECT_EQ(float_to_f8e5m2fnuz(1e6f, false), 0x80);
  EXPECT_EQ(float_to_f8e5m2fnuz(1e6f, true), 0x7F);
  // float4: saturating always; 0.25 ties to 0, -3.5 ties to -4 (even codes).
  EXPECT_EQ(float_to_f4e2m1(inf), 0x7);
  EXPECT_EQ(float_to_f4e2m1(-9.f), 0xF);
  EXPECT_EQ(float_to_f4e2m1(0.25f), 0x0);
  EXPECT_EQ(float_to_f4e2m1(-3.5f), 0xE);
  EXPECT_EQ(float_to_f4e2m1(nan), 0x8);
}

// E8M0 by frexp in double: |x| = r * 2^e with r in [1, 2).
int reference_e8m0(float x, bool saturate, E8M0Rounding mode) {
  if (std::isnan(x)) return 0xFF;
  const double a = std::fabs(static_cast<double>(x));
  if (std::isinf(x)) return saturate ? 0xFE : 0xFF;
  if (a == 0) return saturate ? 0x00 : 0xFF;
  int k;
  const double r = std::frexp(a, &k) * 2;  // in [1, 2)
  int e = k - 1;
  if (mode == E8M0Rounding::kUp && r > 1) ++e;
  if (mode == E8M0Rounding::kNearest && r >= 1.5) ++e;
  if (e < -127) return saturate ? 0x00 : 0xFF;
  if (e > 127) return saturate ? 0xFE : 0xFF;
  return e + 127;
}

TEST(LowPrecision, E8M0DecodesEveryCode) {
  for (int c = 0; c < 255; ++c) {
    EXPECT_EQ(static_cast<double>(f8e8m0_to_float(static_cast<uint8_t>(c))), std::ldexp(1.0, c - 127)) << c;
  }
  EXPECT_TRUE(std::isnan(f8e8m0_to_float(0xFF)));
}

TEST(LowPrecision, E8M0RoundsByModeAndSaturates) {
  std::vector<float> xs = {0.f,
                           -0.f,
                           std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::min(),
                           0.124f,
                           1.1f,
                           -3.f,
                           1.5f,
                           1.4999999f};
  for (int e = -149; e <= 127; ++e) {
    const float p = std::ldexp(1.f, e);
    for (float m : {1.f, 1.25f, 1.5f, 1.75f}) {
      const float v = p * m;  // inexact (zero) for the lowest subnormals: still a probe
      xs.push_back(v);
      xs.push_back(std::nextafter(v, 0.f));
      xs.push_back(std::nextafter(v, std::numeric_limits<float>::infinity()));
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFFFFFFu);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t b = bits(rng);
    float v;
    std::memcpy(&v, &b, 4);
    xs.push_back(v);
  }
  for (E8M0Rounding mode : {E8M0Rounding::kUp, E8M0Rounding::kDown, E8M0Rounding::kNearest}) {
    for (bool saturate : {true, false}) {
      for (float x : xs) {
        ASSERT_EQ(float_to_f8e8m0(x, saturate, mode), reference_e8m0(x, saturate, mode))
            << "x=" << std::hexfloat << x << " mode " << static_cast<int>(mode) << " saturate " << saturate;
      }
    }
  }
  // The ONNX node test's values (saturate, up).
  const std::vector<std::pair<float, int>> onnx = {{0.f, 0},    {0.124f, 124}, {0.25f, 125}, {0.5f, 126},
                                                   {1.1f, 128}, {2.f, 128},    {4.f, 129},   {8.f, 130}};
  for (auto [x, code] : onnx) EXPECT_EQ(float_to_f8e8m0(x), code) << x;
}

TEST(LowPrecision, SubByteIntegersKeepTheLowBits) {
  for (int64_t v = -300; v <= 300; ++v) {
    const int64_t m16 = ((v % 16) + 16) % 16, m4 = ((v % 4) + 4) % 4;
    EXPECT_EQ(wrap_to_uint4(v), m16) << v;
    EXPECT_EQ(wrap_to_int4(v), m16 >= 8 ? m16 - 16 : m16) << v;
    EXPECT_EQ(wrap_to_uint2(v), m4) << v;
    EXPECT_EQ(wrap_to_int2(v), m4 >= 2 ? m4 - 4 : m4) << v;
  }
  EXPECT_EQ(wrap_to_int4(std::numeric_limits<int64_t>::min()), 0);
  EXPECT_EQ(wrap_to_int4(std::numeric_limits<int64_t>::max()), -1);
}

TEST(LowPrecision, LowPrecisionToDoubleReadsEveryStoredByte) {
  for (int b = 0; b < 256; ++b) {
    const uint8_t s = static_cast<uint8_t>(b);
    EXPECT_EQ(low_precision_to_double(DType::kI4, s), wrap_to_int4(b));
    EXPECT_EQ(low_precision_to_double(DType::kU2, s), wrap_to_uint2(b));
    const double e8 = low_precision_to_double(DType::kF8E8M0, s);
    if (b == 255) {
      EXPECT_TRUE(std::isnan(e8));
    } else {
      EXPECT_EQ(e8, std::ldexp(1.0, b - 127));
    }
  }
}

TEST(LowPrecision, PackingPutsTheFirstElementInTheLowBits) {
  // int4 [-8, 7, -1] -> bytes 0x78, 0x0F (pad nibble zero).
  const std::vector<uint8_t> i4 = {static_cast<uint8_t>(-8), 7, static_cast<uint8_t>(-1)};
  std::vector<uint8_t> packed(packed_byte_count(DType::kI4, 3));
  ASSERT_EQ(packed.size(), 2u);
  pack_sub_byte(DType::kI4, i4.data(), 3, packed.data());
  EXPECT_EQ(packed, (std::vector<uint8_t>{0x78, 0x0F}));
  // uint2 [1, 2, 3, 0, 3] -> 0b00111001 = 0x39, 0x03.
  const std::vector<uint8_t> u2 = {1, 2, 3, 0, 3};
  std::vector<uint8_t> p2(packed_byte_count(DType::kU2, 5));
  ASSERT_EQ(p2.size(), 2u);
  pack_sub_byte(DType::kU2, u2.data(), 5, p2.data());
  EXPECT_EQ(p2, (std::vector<uint8_t>{0x39, 0x03}));
  EXPECT_EQ(packed_byte_count(DType::kF4E2M1, 0), 0u);
  EXPECT_EQ(packed_byte_count(DType::kI2, 8), 2u);
  EXPECT_EQ(packed_byte_count(DType::kI2, 9), 3u);
}

TEST(LowPrecision, UnpackSignExtendsAndIgnoresPadding) {
  // Every byte value, as two int4 / uint4 / float4 and four int2 / uint2 elements.
  for (int b = 0; b < 256; ++b) {
    const uint8_t byte = static_cast<uint8_t>(b);
    uint8_t out[4];
    unpack_sub_byte(DType::kI4, &byte, 2, out);
    EXPECT_EQ(static_cast<int8_t>(out[0]), wrap_to_int4(b & 0xF));
    EXPECT_EQ(static_cast<int8_t>(out[1]), wrap_to_int4(b >> 4));
    unpack_sub_byte(DType::kU4, &byte, 1, out);  // odd count: the high nibble is padding
    EXPECT_EQ(out[0], b & 0xF);
    unpack_sub_byte(DType::kF4E2M1, &byte, 2, out);
    EXPECT_EQ(out[0], b & 0xF);
    EXPECT_EQ(out[1], b >> 4);
    unpack_sub_byte(DType::kI2, &byte, 4, out);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(static_cast<int8_t>(out[k]), wrap_to_int2(b >> (2 * k)));
    unpack_sub_byte(DType::kU2, &byte, 3, out);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(out[k], (b >> (2 * k)) & 3);
  }
}

TEST(LowPrecision, PackUnpackRoundTripsRandomTensors) {
  std::mt19937 rng(99);
  for (DType t : {DType::kI4, DType::kU4, DType::kF4E2M1, DType::kI2, DType::kU2}) {
    const int bits = dtype_packed_bits(t);
    for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 31, 64, 101}) {
      std::vector<uint8_t> values(static_cast<size_t>(n));
      std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
      for (auto& v : values) {
        const int c = code(rng);
        // The stored form: signed types sign-extended, others the code.
        v = static_cast<uint8_t>(t == DType::kI4 ? wrap_to_int4(c) : t == DType::kI2 ? wrap_to_int2(c) : c);
      }
      std::vector<uint8_t> packed(packed_byte_count(t, n), 0xAA);
      pack_sub_byte(t, values.data(), n, packed.data());
      std::vector<uint8_t> back(static_cast<size_t>(n));
      unpack_sub_byte(t, packed.data(), n, back.data());
      EXPECT_EQ(back, values) << dtype_name(t) << " n=" << n;
    }
  }
}

TEST(LowPrecision, DTypeTablesKnowTheNewTypes) {
  for (int v = 17; v <= 26; ++v) {
    const DType t = dtype_from_onnx(v);
    EXPECT_EQ(static_cast<int>(t), v);
    EXPECT_TRUE(dtype_is_low_precision(t));
    EXPECT_TRUE(dtype_is_storable(t));
    EXPECT_EQ(dtype_size(t), 1u);
    EXPECT_FALSE(dtype_is_float(t));
    EXPECT_FALSE(dtype_is_integer(t));
    EXPECT_STREQ(dtype_v2_name(t), "INVALID");
  }
  EXPECT_FALSE(dtype_is_low_precision(DType::kBF16));
  EXPECT_FALSE(dtype_is_low_precision(DType::kU8));
  EXPECT_EQ(dtype_from_onnx(27), DType::kUndefined);  // float6
  EXPECT_STREQ(dtype_name(DType::kF8E4M3FN), "float8_e4m3fn");
  EXPECT_STREQ(dtype_name(DType::kI4), "int4");
  EXPECT_STREQ(dtype_name(DType::kF4E2M1), "float4_e2m1fn");
  EXPECT_EQ(dtype_packed_bits(DType::kU4), 4);
  EXPECT_EQ(dtype_packed_bits(DType::kI2), 2);
  EXPECT_EQ(dtype_packed_bits(DType::kF8E5M2), 0);
  EXPECT_EQ(dtype_packed_bits(DType::kU8), 0);
}

}  // namespace
}  // namespace fastserve
