// Reference Mod and BitShift (kernels/ref/{mod,bitshift}.cc) against the
// definitions written out here: Python's floored remainder for fmod = 0, C's
// truncated remainder for fmod = 1, shifts on unsigned types.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor run1(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out = run_ref(spec, inputs);
  if (out.size() != 1) {
    ADD_FAILURE() << spec.op_type << " returned " << out.size() << " outputs";
    return Tensor();
  }
  return out[0];
}

// a - b * floor(a / b) (fmod = 0) or a - b * trunc(a / b) (fmod = 1), exact
// in long double for these magnitudes.
template <typename T>
T remainder_of(T a, T b, bool fmod) {
  const long double q = static_cast<long double>(a) / static_cast<long double>(b);
  const long double k = fmod ? std::trunc(q) : std::floor(q);
  return static_cast<T>(static_cast<long double>(a) - static_cast<long double>(b) * k);
}

template <typename T>
void check_int_mod(uint32_t seed) {
  std::mt19937 rng(seed);
  const T lo = std::is_signed_v<T> ? static_cast<T>(-50) : T{0};
  std::uniform_int_distribution<int> va(static_cast<int>(lo), 50), vb(1, 9);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{4, 5}, Shape{4, 5}}, {Shape{3, 1}, Shape{6}}, {Shape{}, Shape{2, 2}}};
  for (int fmod : {0, 1}) {
    for (const auto& [sa, sb] : shapes) {
      Tensor a = Tensor::empty(DTypeOf<T>::value, sa), b = Tensor::empty(DTypeOf<T>::value, sb);
      for (int64_t i = 0; i < a.numel(); ++i) a.data<T>()[i] = static_cast<T>(va(rng));
      for (int64_t i = 0; i < b.numel(); ++i) {
        const int sign = std::is_signed_v<T> && (rng() & 1) ? -1 : 1;
        b.data<T>()[i] = static_cast<T>(sign * vb(rng));
      }
      const Shape out = broadcast_all({sa, sb});
      Tensor want = Tensor::empty(DTypeOf<T>::value, out);
      for (int64_t i = 0; i < want.numel(); ++i) {
        want.data<T>()[i] = remainder_of<T>(a.data<T>()[broadcast_offset(out, sa, i)],
                                            b.data<T>()[broadcast_offset(out, sb, i)], fmod != 0);
      }
      EXPECT_TRUE(tensors_near(
          run1({.op_type = "Mod", .opset = 13, .attrs = {attr_int("fmod", fmod)}}, {a, b}), want, 0, 0))
          << dtype_name(DTypeOf<T>::value) << " fmod=" << fmod << " " << sa.to_string() << " "
          << sb.to_string();
    }
  }
}

TEST(RefMod, IntegerModMatchesFlooredAndTruncatedDefinitions) {
  check_int_mod<int32_t>(1);
  check_int_mod<int64_t>(2);
  check_int_mod<int8_t>(3);
  check_int_mod<int16_t>(4);
  check_int_mod<uint8_t>(5);
  check_int_mod<uint64_t>(6);
  check_int_mod<uint16_t>(7);
  check_int_mod<uint32_t>(8);
}

// f16 / bf16: the float remainder of the 16-bit values, rounded back.
TEST(RefMod, HalfAndBFloat16MatchFloatRemainder) {
  std::mt19937 rng(13);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    for (int fmod : {0, 1}) {
      const Tensor a = random_tensor(dt, {3, 4}, rng, -10, 10), b = random_tensor(dt, {4}, rng, -3, 3);
      Tensor want = Tensor::empty(DType::kF32, Shape{3, 4});
      for (int64_t i = 0; i < 12; ++i) {
        want.data<float>()[i] = static_cast<float>(
            remainder_of<double>(a.element_as_double(i), b.element_as_double(i % 4), fmod != 0));
      }
      EXPECT_TRUE(
          tensors_near(run1({.op_type = "Mod", .opset = 28, .attrs = {attr_int("fmod", fmod)}}, {a, b}),
                       f32_as(want, dt), 0, 0))
          << dtype_name(dt) << " fmod=" << fmod;
    }
  }
  // Before opset 28 a 16-bit float needs fmod = 1, like f32.
  const Tensor h = f32_as(f32({1}, {1}), DType::kF16);
  std::vector<Tensor> out = {h.clone()};
  EXPECT_EQ(run_ref_without_inference({.op_type = "Mod", .opset = 13}, {h, h}, out).code(),
            StatusCode::kInvalidArgument);
}

TEST(RefMod, SignFollowsDivisorOrDividend) {
  const Tensor a = Tensor::from_vector<int32_t>({-7, 7, -7, 7, 0});
  const Tensor b = Tensor::from_vector<int32_t>({3, -3, -3, 3, -5});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mod", .opset = 13}, {a, b}),
                           Tensor::from_vector<int32_t>({2, -2, -1, 1, 0}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mod", .opset = 13, .attrs = {attr_int("fmod", 1)}}, {a, b}),
                           Tensor::from_vector<int32_t>({-1, 1, -1, 1, 0}), 0, 0));
}

TEST(RefMod, IntMinModMinusOneIsZeroAndZeroDivisorIsAnError) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  for (int fmod : {0, 1}) {
    EXPECT_TRUE(
        tensors_near(run1({.op_type = "Mod", .opset = 13, .attrs = {attr_int("fmod", fmod)}},
                          {Tensor::from_vector<int64_t>({min, 5}), Tensor::from_vector<int64_t>({-1, -1})}),
                     Tensor::from_vector<int64_t>({0, 0}), 0, 0));
  }
  const Status s = ref_status({.op_type = "Mod", .opset = 13},
                              {Tensor::from_vector<int32_t>({1, 2}), Tensor::from_vector<int32_t>({3, 0})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("node0"), std::string::npos) << s.message();
}

TEST(RefMod, FloatFmodIsCFmod) {
  std::mt19937 rng(7);
  const Tensor a = random_f32({3, 4}, rng, -10, 10), b = random_f32({4}, rng, 0.5, 3);
  Tensor want = Tensor::empty(DType::kF32, Shape{3, 4});
  for (int64_t i = 0; i < 12; ++i) {
    want.data<float>()[i] =
        static_cast<float>(remainder_of<double>(a.data<float>()[i], b.data<float>()[i % 4], true));
  }
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mod", .opset = 13, .attrs = {attr_int("fmod", 1)}}, {a, b}),
                           want, 1e-6, 1e-6));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mod", .opset = 13, .attrs = {attr_int("fmod", 1)}},
                                {f32({5, kInf, kNaN, -5.5f}, {4}), f32({0, 2, 2, kInf}, {4})}),
                           f32({kNaN, kNaN, kNaN, -5.5f}, {4}), 0, 0));
}

// Mod-28: fmod = 0 on floats is numpy.mod (floored; a zero remainder takes
// the divisor's sign; x mod +-inf is x when the signs agree, else +-inf).
TEST(RefMod, FloatFlooredModFromOpset28MatchesNumpyMod) {
  std::mt19937 rng(11);
  const Tensor a = random_f32({3, 4}, rng, -10, 10), b = random_f32({4}, rng, 0.5, 3);
  Tensor bneg = b.clone();
  for (int64_t i = 0; i < 4; ++i) bneg.data<float>()[i] *= (i % 2) ? -1.f : 1.f;
  Tensor want = Tensor::empty(DType::kF32, Shape{3, 4});
  for (int64_t i = 0; i < 12; ++i) {
    want.data<float>()[i] =
        static_cast<float>(remainder_of<double>(a.data<float>()[i], bneg.data<float>()[i % 4], false));
  }
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mod", .opset = 28}, {a, bneg}), want, 1e-5, 1e-5));
  const Tensor got = run1({.op_type = "Mod", .opset = 28},
                          {f32({0.f, -0.f, -3.f, 3.f, -1.f, 1.f, kInf, 1.f, kNaN}, {9}),
                           f32({-2.f, 2.f, kInf, kInf, -kInf, -kInf, 2.f, 0.f, 2.f}, {9})});
  EXPECT_TRUE(tensors_near(got, f32({-0.f, 0.f, kInf, 3.f, -1.f, -kInf, kNaN, kNaN, kNaN}, {9}), 0, 0));
  EXPECT_TRUE(std::signbit(got.data<float>()[0]));
  EXPECT_FALSE(std::signbit(got.data<float>()[1]));
}

// Before opset 28 shape inference refuses it too (tests/graph/infer_broadcast_test.cc);
// the kernel checks on its own.
TEST(RefMod, FloatWithoutFmodIsRejected) {
  std::vector<Tensor> out = {f32({0}, {1})};
  const Status s = run_ref_without_inference({.op_type = "Mod", .opset = 13}, {f32({1}, {1}), f32({2}, {1})}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("fmod"), std::string::npos) << s.message();
}

template <typename T>
void check_shift(uint32_t seed) {
  std::mt19937 rng(seed);
  constexpr int kBits = sizeof(T) * 8;
  const Shape sa{3, 4}, sb{4};
  Tensor a = Tensor::empty(DTypeOf<T>::value, sa), b = Tensor::empty(DTypeOf<T>::value, sb);
  std::uniform_int_distribution<uint64_t> va(0, std::numeric_limits<T>::max());
  std::uniform_int_distribution<int> vb(0, kBits - 1);
  for (int64_t i = 0; i < a.numel(); ++i) a.data<T>()[i] = static_cast<T>(va(rng));
  for (int64_t i = 0; i < b.numel(); ++i) b.data<T>()[i] = static_cast<T>(vb(rng));
  b.data<T>()[3] = static_cast<T>(kBits);  // every bit shifted out
  for (const std::string dir : {"LEFT", "RIGHT"}) {
    Tensor want = Tensor::empty(DTypeOf<T>::value, sa);
    for (int64_t i = 0; i < a.numel(); ++i) {
      const uint64_t v = a.data<T>()[i];
      const int s = static_cast<int>(b.data<T>()[i % 4]);
      // Multiplying / dividing by 2^s, reduced to the type's width.
      const long double p = std::ldexp(1.0L, s);
      uint64_t r = 0;
      if (s < kBits)
        r = dir == "LEFT" ? static_cast<uint64_t>(std::fmod(v * p, std::ldexp(1.0L, kBits)))
                          : static_cast<uint64_t>(std::floor(v / p));
      want.data<T>()[i] = static_cast<T>(r);
    }
    EXPECT_TRUE(tensors_near(
        run1({.op_type = "BitShift", .opset = 11, .attrs = {attr_string("direction", dir)}}, {a, b}), want, 0,
        0))
        << dtype_name(DTypeOf<T>::value) << " " << dir;
  }
}

TEST(RefBitShift, ShiftsUnsignedWithBroadcasting) {
  check_shift<uint8_t>(1);
  check_shift<uint16_t>(2);
  check_shift<uint32_t>(3);
  check_shift<uint64_t>(4);
}

TEST(RefBitShift, DirectionIsRequired) {
  const Status s = ref_status({.op_type = "BitShift", .opset = 11},
                              {Tensor::from_vector<uint8_t>({1}), Tensor::from_vector<uint8_t>({1})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("direction"), std::string::npos) << s.message();
}

// BitShift-28 on signed types: the arithmetic meaning written out (X * 2^s
// reduced to N-bit two's complement; floor(X / 2^s)), and the sign-fill
// result for a negative shift or one of N bits or more.
template <typename T>
void check_signed_shift(uint32_t seed) {
  std::mt19937 rng(seed);
  constexpr int kBits = sizeof(T) * 8;
  constexpr DType dt = DTypeOf<T>::value;
  const Shape sa{3, 5}, sb{5};
  const Tensor a = random_tensor(dt, sa, rng, -1e18, 1e18);
  Tensor b = random_tensor(dt, sb, rng, 0, kBits - 1);
  b.data<T>()[0] = static_cast<T>(kBits);                                // at the width
  b.data<T>()[1] = static_cast<T>(-1);                                   // negative
  if constexpr (kBits < 64) b.data<T>()[2] = static_cast<T>(kBits + 3);  // past it
  for (const std::string dir : {"LEFT", "RIGHT"}) {
    Tensor want = Tensor::empty(dt, sa);
    for (int64_t i = 0; i < a.numel(); ++i) {
      const auto v = static_cast<long double>(a.data<T>()[i]);
      const int s = static_cast<int>(b.data<T>()[i % 5]);
      long double r;
      if (s < 0 || s >= kBits) {
        r = dir == "RIGHT" && v < 0 ? -1 : 0;
      } else if (dir == "RIGHT") {
        r = std::floor(v / std::ldexp(1.0L, s));
      } else {
        // v * 2^s modulo 2^N, as a value in [-2^(N-1), 2^(N-1)).
        const long double m = std::ldexp(1.0L, kBits);
        r = std::fmod(std::fmod(v * std::ldexp(1.0L, s), m) + m, m);
        if (r >= m / 2) r -= m;
      }
      want.data<T>()[i] = static_cast<T>(r);
    }
    EXPECT_TRUE(same_bits(
        run1({.op_type = "BitShift", .opset = 28, .attrs = {attr_string("direction", dir)}}, {a, b}), want))
        << dtype_name(dt) << " " << dir;
  }
}

TEST(RefBitShift, SignedShiftsFollowBitShift28) {
  check_signed_shift<int8_t>(1);
  check_signed_shift<int16_t>(2);
  check_signed_shift<int32_t>(3);
}

TEST(RefBitShift, SignedInt64HandComputed) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  const Tensor x = Tensor::from_vector<int64_t>({-8, -8, 1, 3, min, -1});
  const Tensor s = Tensor::from_vector<int64_t>({1, 64, 63, -2, 1, 70});
  EXPECT_TRUE(same_bits(
      run1({.op_type = "BitShift", .opset = 28, .attrs = {attr_string("direction", "RIGHT")}}, {x, s}),
      Tensor::from_vector<int64_t>({-4, -1, 0, 0, min / 2, -1})));
  EXPECT_TRUE(same_bits(
      run1({.op_type = "BitShift", .opset = 28, .attrs = {attr_string("direction", "LEFT")}}, {x, s}),
      Tensor::from_vector<int64_t>({-16, 0, min, 0, 0, 0})));
}

}  // namespace
}  // namespace fastserve::testing::ew
