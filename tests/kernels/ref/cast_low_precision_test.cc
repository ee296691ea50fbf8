// Reference Cast / CastLike with the low-precision types (kernels/ref/cast.cc):
// every code of each type to f32 / f16 / ints; f32, f16, f64 and integers to
// each type on random shapes against an element-by-element reference built
// from the scalar conversions (tested exhaustively in
// tests/core/low_precision_test.cc); the saturate and round_mode
// attributes; wrapping into int4/int2; CastLike; bad round_mode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fastserve/low_precision.h"
#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

const std::vector<DType> kMiniFloats = {DType::kF8E4M3FN,   DType::kF8E4M3FNUZ, DType::kF8E5M2,
                                        DType::kF8E5M2FNUZ, DType::kF8E8M0,     DType::kF4E2M1};
const std::vector<DType> kSubByteInts = {DType::kI4, DType::kU4, DType::kI2, DType::kU2};

Tensor cast(const Tensor& x, DType to, std::vector<Attribute> extra = {}, int64_t opset = 25) {
  extra.push_back(attr_int("to", static_cast<int64_t>(to)));
  std::vector<Tensor> out = run_ref({.op_type = "Cast", .opset = opset, .attrs = extra}, {x});
  if (out.size() != 1) {
    ADD_FAILURE() << "cast to " << dtype_name(to) << " failed";
    return Tensor();
  }
  EXPECT_EQ(out[0].dtype(), to);
  EXPECT_EQ(out[0].shape(), x.shape());
  return out[0];
}

const uint8_t* bytes(const Tensor& t) { return static_cast<const uint8_t*>(t.raw_data()); }

// The expected code of float `v` in type `t` (the scalar conversions).
uint8_t expected_code(DType t, float v, bool saturate = true, E8M0Rounding mode = E8M0Rounding::kUp) {
  switch (t) {
    case DType::kF8E4M3FN:
      return float_to_f8e4m3fn(v, saturate);
    case DType::kF8E4M3FNUZ:
      return float_to_f8e4m3fnuz(v, saturate);
    case DType::kF8E5M2:
      return float_to_f8e5m2(v, saturate);
    case DType::kF8E5M2FNUZ:
      return float_to_f8e5m2fnuz(v, saturate);
    case DType::kF8E8M0:
      return float_to_f8e8m0(v, saturate, mode);
    case DType::kF4E2M1:
      return float_to_f4e2m1(v);
    default:
      break;
  }
  ADD_FAILURE() << "not a minifloat";
  return 0;
}

// A tensor of type `t` holding every code it has (in a 2-D shape), the
// stored form of dtype.h.
Tensor every_code(DType t) {
  const int n = t == DType::kF4E2M1 ? 16 : 256;
  Tensor x = Tensor::empty(t, Shape{n / 16, 16});
  for (int c = 0; c < n; ++c) static_cast<uint8_t*>(x.raw_data())[c] = static_cast<uint8_t>(c);
  return x;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(RefCastLowPrecision, EveryCodeWidensExactlyToF32F16AndF64) {
  for (DType t : kMiniFloats) {
    SCOPED_TRACE(dtype_name(t));
    const Tensor x = every_code(t);
    const Tensor f = cast(x, DType::kF32);
    const Tensor h = cast(x, DType::kF16);
    const Tensor d = cast(x, DType::kF64);
    ASSERT_TRUE(f.defined() && h.defined() && d.defined());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double want = low_precision_to_double(t, bytes(x)[i]);
      EXPECT_TRUE(same_value(f.data<float>()[i], want)) << "code " << i;
      EXPECT_TRUE(same_value(d.data<double>()[i], want)) << "code " << i;
      // f16 holds every float8 value except E8M0's extremes and the E5M2 /
      // E5M2FNUZ subnormals below 2^-24, which round as float_to_half does.
      EXPECT_EQ(h.data<Half>()[i].bits, float_to_half(static_cast<float>(want))) << "code " << i;
    }
  }
}

TEST(RefCastLowPrecision, SubByteIntsWidenToTheirValues) {
  for (DType t : kSubByteInts) {
    SCOPED_TRACE(dtype_name(t));
    const int n = (t == DType::kI4 || t == DType::kU4) ? 16 : 4;
    Tensor x = Tensor::empty(t, Shape{n});
    for (int c = 0; c < n; ++c) {
      const uint8_t stored = static_cast<uint8_t>(t == DType::kI4   ? wrap_to_int4(c)
                                                  : t == DType::kI2 ? wrap_to_int2(c)
                                                                    : c);
      static_cast<uint8_t*>(x.raw_data())[c] = stored;
    }
    for (DType to :
         {DType::kF32, DType::kF16, DType::kI8, DType::kU8, DType::kI64, DType::kF64, DType::kBool}) {
      const Tensor y = cast(x, to);
      ASSERT_TRUE(y.defined());
      for (int c = 0; c < n; ++c) {
        const double v = low_precision_to_double(t, bytes(x)[c]);
        const double want = to == DType::kBool ? (v != 0)
                            : to == DType::kU8 ? static_cast<uint8_t>(static_cast<int>(v))
                                               : v;
        EXPECT_EQ(y.element_as_double(c), want) << dtype_name(to) << " code " << c;
      }
    }
  }
}

TEST(RefCastLowPrecision, RandomFloatsMatchTheScalarConversions) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> expo(-20.f, 18.f), unit(-1.f, 1.f);
  std::uniform_int_distribution<int> dim(1, 9);
  for (DType t : kMiniFloats) {
    for (int trial = 0; trial < 6; ++trial) {
      const Shape shape{dim(rng), dim(rng), dim(rng)};
      Tensor x = Tensor::empty(DType::kF32, shape);
      float* p = x.data<float>();
      for (int64_t i = 0; i < x.numel(); ++i) p[i] = unit(rng) * std::exp2(expo(rng));
      p[0] = kNaN;  // specials in every tensor
      if (x.numel() > 2) p[1] = -kInf, p[2] = -0.f;
      for (bool saturate : {true, false}) {
        SCOPED_TRACE(std::string(dtype_name(t)) + (saturate ? " saturate" : " no saturate") + " " +
                     shape.to_string());
        const Tensor y = cast(x, t, {attr_int("saturate", saturate ? 1 : 0)});
        ASSERT_TRUE(y.defined());
        for (int64_t i = 0; i < x.numel(); ++i)
          ASSERT_EQ(bytes(y)[i], expected_code(t, p[i], saturate)) << "x=" << p[i];
        // From f16 and f64: through the widened / rounded float32.
        const Tensor h = cast(x, DType::kF16);
        const Tensor yh = cast(h, t, {attr_int("saturate", saturate ? 1 : 0)});
        ASSERT_TRUE(yh.defined());
        for (int64_t i = 0; i < x.numel(); ++i) {
          ASSERT_EQ(bytes(yh)[i], expected_code(t, half_to_float(h.data<Half>()[i].bits), saturate));
        }
        const Tensor d = cast(x, DType::kF64);
        const Tensor yd = cast(d, t, {attr_int("saturate", saturate ? 1 : 0)});
        ASSERT_TRUE(yd.defined());
        for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(bytes(yd)[i], bytes(y)[i]);
      }
    }
  }
}

TEST(RefCastLowPrecision, SaturateDefaultsToOneAndApplies) {
  const Tensor x = f32({1e6f, -kInf, 300.f}, {3});
  // Before opset 19 there is no attribute: saturating, as the default.
  for (int64_t opset : {13, 19, 25}) {
    const Tensor y = cast(x, DType::kF8E4M3FN, {}, opset);
    ASSERT_TRUE(y.defined());
    EXPECT_EQ(bytes(y)[0], 0x7E) << opset;
    EXPECT_EQ(bytes(y)[1], 0xFE) << opset;
  }
  const Tensor n = cast(x, DType::kF8E4M3FN, {attr_int("saturate", 0)});
  ASSERT_TRUE(n.defined());
  EXPECT_EQ(bytes(n)[0], 0x7F);
  EXPECT_EQ(bytes(n)[1], 0xFF);
  EXPECT_EQ(bytes(n)[2], 0x79);  // 300 -> 288 = 1.125 * 2^8: in range either way
  const Tensor e = cast(x, DType::kF8E5M2, {attr_int("saturate", 0)});
  ASSERT_TRUE(e.defined());
  EXPECT_EQ(bytes(e)[0], 0x7C);  // inf
  EXPECT_EQ(bytes(e)[1], 0xFC);
}

TEST(RefCastLowPrecision, E8M0RoundModes) {
  const Tensor x = f32({0.f, 0.124f, 1.5f, 1.4f, 2.f, 3e38f, kInf}, {7});
  for (const char* mode : {"up", "down", "nearest"}) {
    const E8M0Rounding m = std::string(mode) == "up"     ? E8M0Rounding::kUp
                           : std::string(mode) == "down" ? E8M0Rounding::kDown
                                                         : E8M0Rounding::kNearest;
    for (bool saturate : {true, false}) {
      const Tensor y =
          cast(x, DType::kF8E8M0, {attr_string("round_mode", mode), attr_int("saturate", saturate)});
      ASSERT_TRUE(y.defined());
      for (int64_t i = 0; i < x.numel(); ++i) {
        EXPECT_EQ(bytes(y)[i], float_to_f8e8m0(x.data<float>()[i], saturate, m)) << mode << " " << i;
      }
    }
  }
  // Defaults: up, saturating. 1.4 -> 2 (up); 3e38 -> 2^127 (saturated).
  const Tensor d = cast(x, DType::kF8E8M0);
  ASSERT_TRUE(d.defined());
  EXPECT_EQ(bytes(d)[3], 128);
  EXPECT_EQ(bytes(d)[5], 0xFE);
  EXPECT_EQ(bytes(d)[6], 0xFE);
  const Tensor down = cast(x, DType::kF8E8M0, {attr_string("round_mode", "down")});
  ASSERT_TRUE(down.defined());
  EXPECT_EQ(bytes(down)[3], 127);
  const Tensor nearest = cast(x, DType::kF8E8M0, {attr_string("round_mode", "nearest")});
  ASSERT_TRUE(nearest.defined());
  EXPECT_EQ(bytes(nearest)[2], 128);  // 1.5 ties up
  EXPECT_EQ(bytes(nearest)[3], 127);
}

TEST(RefCastLowPrecision, UnknownRoundModeIsAnErrorNamingTheNode) {
  const Status s = ref_status(
      {.op_type = "Cast", .opset = 25, .attrs = {attr_int("to", 24), attr_string("round_mode", "sideways")}},
      {f32({1.f}, {1})});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("round_mode 'sideways'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Cast"), std::string::npos) << s.message();
}

TEST(RefCastLowPrecision, FloatsAndIntsWrapIntoSubByteInts) {
  // The ONNX node test's inputs, plus fractions, NaN and beyond-int64 values.
  std::vector<float> xs;
  for (int v = -9; v <= 15; ++v) xs.push_back(static_cast<float>(v));
  for (float v : {2.7f, -2.7f, 0.5f, -0.5f, kNaN, 1e30f, -1e30f, 300.f}) xs.push_back(v);
  const Tensor x = f32(xs, {static_cast<int64_t>(xs.size())});
  const Tensor xi = cast(x, DType::kI64);  // truncated, NaN -> 0, saturated at the int64 range
  ASSERT_TRUE(xi.defined());
  for (DType t : kSubByteInts) {
    SCOPED_TRACE(dtype_name(t));
    const Tensor y = cast(x, t);
    const Tensor from_h = cast(cast(x, DType::kF16), t);
    const Tensor from_i = cast(xi, t);
    ASSERT_TRUE(y.defined() && from_i.defined() && from_h.defined());
    for (size_t i = 0; i < xs.size(); ++i) {
      const int64_t v = xi.data<int64_t>()[i];
      const int64_t bits = (t == DType::kI4 || t == DType::kU4) ? 4 : 2;
      const int64_t mod = int64_t{1} << bits;
      int64_t want = ((v % mod) + mod) % mod;
      if ((t == DType::kI4 || t == DType::kI2) && want >= mod / 2) want -= mod;
      EXPECT_EQ(y.element_as_int64(static_cast<int64_t>(i)), want) << "x=" << xs[i];
      EXPECT_EQ(from_i.element_as_int64(static_cast<int64_t>(i)), want) << "x=" << xs[i];
    }
    // The node test's exact expectations: -9 -> 7 (int4), 8 -> -8.
    if (t == DType::kI4) {
      EXPECT_EQ(y.element_as_int64(0), 7);
      EXPECT_EQ(y.element_as_int64(17), -8);
    }
    EXPECT_EQ(bytes(from_h)[0], bytes(y)[0]);
  }
  const Tensor big = Tensor::from_vector<uint64_t>({~uint64_t{0}, 17});
  const Tensor u4 = cast(big, DType::kU4);
  ASSERT_TRUE(u4.defined());
  EXPECT_EQ(bytes(u4)[0], 15);
  EXPECT_EQ(bytes(u4)[1], 1);
  const Tensor b = cast(Tensor::from_vector<bool>({true, false}), DType::kI2);
  ASSERT_TRUE(b.defined());
  EXPECT_EQ(b.element_as_int64(0), 1);
  EXPECT_EQ(b.element_as_int64(1), 0);
}

TEST(RefCastLowPrecision, BetweenLowPrecisionTypesGoesThroughF32) {
  for (DType from : kMiniFloats) {
    const Tensor x = every_code(from);
    for (DType to : kMiniFloats) {
      if (to == from) continue;
      const Tensor y = cast(x, to);
      ASSERT_TRUE(y.defined());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = static_cast<float>(low_precision_to_double(from, bytes(x)[i]));
        ASSERT_EQ(bytes(y)[i], expected_code(to, v))
            << dtype_name(from) << " -> " << dtype_name(to) << " code " << i;
      }
    }
    const Tensor i4 = cast(x, DType::kI4);
    const Tensor bo = cast(x, DType::kBool);
    ASSERT_TRUE(i4.defined() && bo.defined());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double v = low_precision_to_double(from, bytes(x)[i]);
      EXPECT_EQ(bo.data<bool>()[i], v != 0) << dtype_name(from) << " code " << i;  // NaN -> true
      // Truncated toward zero, saturated at the int64 range, NaN -> 0.
      int64_t t = 0;
      if (v >= 9223372036854775808.0) {
        t = std::numeric_limits<int64_t>::max();
      } else if (v <= -9223372036854775808.0) {
        t = std::numeric_limits<int64_t>::min();
      } else if (!std::isnan(v)) {
        t = static_cast<int64_t>(std::trunc(v));
      }
      EXPECT_EQ(i4.element_as_int64(i), wrap_to_int4(t)) << dtype_name(from) << " code " << i;
    }
  }
}

TEST(RefCastLikeLowPrecision, TargetsTheSecondInputsType) {
  const Tensor x = f32({0.48f, -3.5f, 9.f, kNaN, 1e6f}, {5});
  for (DType to : {DType::kF8E4M3FN, DType::kF8E5M2FNUZ, DType::kF4E2M1, DType::kI4, DType::kU2}) {
    const std::vector<Tensor> out =
        run_ref({.op_type = "CastLike", .opset = 25}, {x, Tensor::zeros(to, Shape{2})});
    ASSERT_EQ(out.size(), 1u) << dtype_name(to);
    const Tensor want = cast(x, to);
    ASSERT_EQ(out[0].dtype(), to);
    EXPECT_EQ(std::memcmp(out[0].raw_data(), want.raw_data(), want.nbytes()), 0) << dtype_name(to);
  }
  // saturate=0 reaches CastLike too.
  const std::vector<Tensor> ns =
      run_ref({.op_type = "CastLike", .opset = 25, .attrs = {attr_int("saturate", 0)}},
              {x, Tensor::zeros(DType::kF8E4M3FNUZ, Shape{1})});
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(bytes(ns[0])[4], 0x80);
  // And back: float8 input, f16 like.
  const std::vector<Tensor> back =
      run_ref({.op_type = "CastLike", .opset = 25},
              {every_code(DType::kF8E5M2), Tensor::zeros(DType::kF16, Shape{1})});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].data<Half>()[0x3C].bits, 0x3C00);  // E5M2 is the top byte of f16
}

}  // namespace
}  // namespace fastserve::testing::ew
