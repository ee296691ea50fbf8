// Reference Cast (kernels/ref/cast.cc): every pair of the 13 supported types,
// truncation, the defined answers for NaN / out-of-range, bool rules, f16 and
// bf16 rounding and special values, and round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

const std::vector<DType> kAllTypes = {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI8,
                                      DType::kU8,  DType::kI16, DType::kU16,  DType::kI32, DType::kI64,
                                      DType::kU32, DType::kU64, DType::kBool};

Tensor cast(const Tensor& x, DType to, int64_t opset = 13) {
  std::vector<Tensor> out =
      run_ref({.op_type = "Cast", .opset = opset, .attrs = {attr_int("to", static_cast<int64_t>(to))}}, {x});
  if (out.size() != 1) {
    ADD_FAILURE() << "cast to " << dtype_name(to) << " failed";
    return Tensor();
  }
  EXPECT_EQ(out[0].dtype(), to);
  EXPECT_EQ(out[0].shape(), x.shape());
  return out[0];
}

// A tensor of dtype `dt` holding small non-negative integers (exact in every type).
Tensor small_values(DType dt) {
  Tensor f = Tensor::from_vector<float>({0, 1, 2, 100, 37});
  if (dt == DType::kF32) return f;
  return cast(f, dt);
}

TEST(RefCast, EveryPairCarriesSmallIntegers) {
  for (DType from : kAllTypes) {
    const Tensor x = small_values(from);
    ASSERT_TRUE(x.defined());
    for (DType to : kAllTypes) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
      const Tensor y = cast(x, to);
      ASSERT_TRUE(y.defined());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const double in = x.element_as_double(i);
        const double want = to == DType::kBool ? (in != 0 ? 1 : 0) : in;
        EXPECT_EQ(y.element_as_double(i), want) << "element " << i;
      }
    }
  }
}

TEST(RefCast, FloatToIntTruncatesTowardZero) {
  const Tensor x = f32({2.7f, -2.7f, 0.5f, -0.5f, -0.f, 126.99f}, {6});
  for (DType to : {DType::kI8, DType::kI16, DType::kI32, DType::kI64}) {
    SCOPED_TRACE(dtype_name(to));
    const Tensor y = cast(x, to);
    ASSERT_TRUE(y.defined());
    const std::vector<int64_t> want = {2, -2, 0, 0, 0, 126};
    for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(y.element_as_int64(i), want[static_cast<size_t>(i)]);
  }
  const Tensor d = cast(Tensor::from_vector<double>({-7.9, 7.9}), DType::kI32);
  ASSERT_TRUE(d.defined());
  EXPECT_EQ(d.data<int32_t>()[0], -7);
  EXPECT_EQ(d.data<int32_t>()[1], 7);
}

TEST(RefCast, NaNAndOutOfRangeFloatsAreDefined) {
  // NaN -> 0; beyond the range -> saturate (C++ leaves both undefined).
  const Tensor x = f32({kNaN, kInf, -kInf, 1e10f, -1e10f, 300.f, -1.5f}, {7});
  const Tensor i32 = cast(x, DType::kI32);
  ASSERT_TRUE(i32.defined());
  const int32_t* p = i32.data<int32_t>();
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[1], std::numeric_limits<int32_t>::max());
  EXPECT_EQ(p[2], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(p[3], std::numeric_limits<int32_t>::max());
  EXPECT_EQ(p[4], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(p[5], 300);
  EXPECT_EQ(p[6], -1);
  const Tensor u8 = cast(x, DType::kU8);
  ASSERT_TRUE(u8.defined());
  const uint8_t* q = u8.data<uint8_t>();
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 255);
  EXPECT_EQ(q[2], 0);
  EXPECT_EQ(q[5], 255);  // 300 saturates
  EXPECT_EQ(q[6], 0);    // -1.5 saturates at 0
  const Tensor i64 = cast(Tensor::from_vector<double>({9.3e18, -9.3e18, 9223372036854775807.0}), DType::kI64);
  ASSERT_TRUE(i64.defined());
  EXPECT_EQ(i64.data<int64_t>()[0], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(i64.data<int64_t>()[1], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(i64.data<int64_t>()[2], std::numeric_limits<int64_t>::max());  // 2^63 as a double
  const Tensor u64 = cast(Tensor::from_vector<double>({1.9e19, 1.8e19, -3}), DType::kU64);
  ASSERT_TRUE(u64.defined());
  EXPECT_EQ(u64.data<uint64_t>()[0], std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(u64.data<uint64_t>()[1], 18000000000000000000ULL);
  EXPECT_EQ(u64.data<uint64_t>()[2], 0u);
}

TEST(RefCast, IntegerNarrowingWraps) {
  const Tensor y = cast(Tensor::from_vector<int64_t>({300, -1, 128, 65536 + 7}), DType::kI8);
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int8_t>()[0], 44);
  EXPECT_EQ(y.data<int8_t>()[1], -1);
  EXPECT_EQ(y.data<int8_t>()[2], -128);
  EXPECT_EQ(y.data<int8_t>()[3], 7);
  const Tensor u = cast(Tensor::from_vector<int32_t>({-1}), DType::kU32);
  ASSERT_TRUE(u.defined());
  EXPECT_EQ(u.data<uint32_t>()[0], 0xFFFFFFFFu);
}

TEST(RefCast, BoolIsNonZero) {
  const Tensor b = cast(f32({0, -0.f, 0.5f, -3, kNaN, kInf}, {6}), DType::kBool);
  ASSERT_TRUE(b.defined());
  const bool* p = b.data<bool>();
  EXPECT_FALSE(p[0]);
  EXPECT_FALSE(p[1]);
  EXPECT_TRUE(p[2]);
  EXPECT_TRUE(p[3]);
  EXPECT_TRUE(p[4]);  // NaN != 0
  EXPECT_TRUE(p[5]);
  const Tensor f = cast(Tensor::from_vector<bool>({true, false}), DType::kF32);
  ASSERT_TRUE(f.defined());
  EXPECT_EQ(f.data<float>()[0], 1.f);
  EXPECT_EQ(f.data<float>()[1], 0.f);
  const Tensor i = cast(Tensor::from_vector<int64_t>({-5, 0}), DType::kBool);
  ASSERT_TRUE(i.defined());
  EXPECT_TRUE(i.data<bool>()[0]);
  EXPECT_FALSE(i.data<bool>()[1]);
}

TEST(RefCast, HalfSpecialValuesAndRounding) {
  // 65504 is the largest half; 65520 rounds up to inf; 2^-24 is the smallest
  // subnormal; 1 + 2^-11 is a tie that rounds to even (1.0).
  const Tensor x =
      f32({65504.f, 65520.f, -kInf, kNaN, -0.f, 5.9604645e-8f, 1.f + 0.00048828125f, 1e-9f}, {8});
  const Tensor h = cast(x, DType::kF16);
  ASSERT_TRUE(h.defined());
  const Half* p = h.data<Half>();
  EXPECT_EQ(p[0].bits, 0x7BFF);
  EXPECT_EQ(p[1].bits, 0x7C00);
  EXPECT_EQ(p[2].bits, 0xFC00);
  EXPECT_TRUE((p[3].bits & 0x7C00) == 0x7C00 && (p[3].bits & 0x03FF) != 0);  // NaN stays NaN
  EXPECT_EQ(p[4].bits, 0x8000);
  EXPECT_EQ(p[5].bits, 0x0001);
  EXPECT_EQ(p[6].bits, 0x3C00);
  EXPECT_EQ(p[7].bits, 0x0000);  // underflows to +0
  // Back to f32: subnormals widen exactly.
  Tensor sub = Tensor::empty(DType::kF16, Shape{3});
  sub.data<Half>()[0].bits = 0x0001;
  sub.data<Half>()[1].bits = 0x03FF;  // largest subnormal
  sub.data<Half>()[2].bits = 0x8200;  // negative subnormal
  const Tensor w = cast(sub, DType::kF32);
  ASSERT_TRUE(w.defined());
  EXPECT_EQ(w.data<float>()[0], std::ldexp(1.f, -24));
  EXPECT_EQ(w.data<float>()[1], std::ldexp(1023.f, -24));
  EXPECT_EQ(w.data<float>()[2], -std::ldexp(512.f, -24));
  // f16 -> i32 goes through the widened value.
  const Tensor hi = cast(cast(f32({-2.5f, 1000.f}, {2}), DType::kF16), DType::kI32);
  ASSERT_TRUE(hi.defined());
  EXPECT_EQ(hi.data<int32_t>()[0], -2);
  EXPECT_EQ(hi.data<int32_t>()[1], 1000);
}

TEST(RefCast, BFloat16RoundsToNearestEven) {
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even is 1.0 (0x3F80).
  const Tensor b = cast(f32({1.f, 1.f + 0.00390625f, -2.f, kInf, 3.0e38f}, {5}), DType::kBF16);
  ASSERT_TRUE(b.defined());
  const BFloat16* p = b.data<BFloat16>();
  EXPECT_EQ(p[0].bits, 0x3F80);
  EXPECT_EQ(p[1].bits, 0x3F80);
  EXPECT_EQ(p[2].bits, 0xC000);
  EXPECT_EQ(p[3].bits, 0x7F80);
  EXPECT_EQ(p[4].bits, 0x7F62);  // 3e38 = 0x7F61B1E6 rounds up
}

TEST(RefCast, RoundTripsAreExactWhereRepresentable) {
  const Tensor x = f32({0.1f, -123.456f, 1e-30f, 3e38f, -0.f, kInf}, {6});
  EXPECT_TRUE(tensors_near(cast(cast(x, DType::kF64), DType::kF32), x, 0, 0));
  const Tensor halfable = f32({0.5f, -1024.f, 0.099975586f, 6.1035156e-05f, 65504.f}, {5});
  EXPECT_TRUE(tensors_near(cast(cast(halfable, DType::kF16), DType::kF32), halfable, 0, 0));
  const Tensor bf = f32({0.5f, -1024.f, 3.3895314e38f, 1.1754944e-38f}, {4});
  EXPECT_TRUE(tensors_near(cast(cast(bf, DType::kBF16), DType::kF32), bf, 0, 0));
  const Tensor big =
      Tensor::from_vector<int64_t>({std::numeric_limits<int64_t>::min(), -1, (int64_t{1} << 53) + 1});
  EXPECT_TRUE(tensors_near(cast(cast(big, DType::kU64), DType::kI64), big, 0, 0));
  const Tensor as_f64 =
      cast(Tensor::from_vector<int32_t>({std::numeric_limits<int32_t>::min(), 16777217}), DType::kF64);
  ASSERT_TRUE(as_f64.defined());
  EXPECT_EQ(as_f64.data<double>()[1], 16777217.0);  // exact in double, not in float
}

TEST(RefCast, SameTypeIsACopyAndEmptyWorks) {
  const Tensor x = Tensor::from_vector<int64_t>({5, -6});
  const Tensor y = cast(x, DType::kI64);
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int64_t>()[1], -6);
  const Tensor e = cast(f32({}, {0, 4}), DType::kF16);
  ASSERT_TRUE(e.defined());
  EXPECT_EQ(e.numel(), 0);
}

TEST(RefCastLike, ConvertsToTheSecondInputsDtypeLikeCast) {
  const Tensor x = f32({1.7f, -2.5f, kInf, 3e9f, 0}, {5});
  for (DType to : {DType::kI32, DType::kU8, DType::kF16, DType::kBool, DType::kF64, DType::kI64}) {
    // The target's values and shape do not matter.
    const std::vector<Tensor> out =
        run_ref({.op_type = "CastLike", .opset = 15}, {x, Tensor::zeros(to, Shape{2, 7})});
    ASSERT_EQ(out.size(), 1u) << dtype_name(to);
    EXPECT_TRUE(tensors_near(out[0], cast(x, to), 0, 0)) << dtype_name(to);
  }
  const std::vector<Tensor> same = run_ref({.op_type = "CastLike", .opset = 21}, {x, f32({}, {0})});
  ASSERT_EQ(same.size(), 1u);
  EXPECT_TRUE(tensors_near(same[0], x, 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
