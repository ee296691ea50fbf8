// Reference Add/Sub/Mul/Div/Pow (kernels/ref/binary.cc) against hand-computed
// values and an independent broadcasting loop written here.
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

// The numpy rule spelled out directly: for each output coordinate, an input
// dim of 1 reads index 0, otherwise the coordinate itself.
Tensor naive_broadcast_f32(const Tensor& a, const Tensor& b, double (*op)(double, double)) {
  const size_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(rank);
  auto dim_of = [rank](const Tensor& t, size_t d) {
    const size_t lead = rank - t.rank();
    return d < lead ? int64_t{1} : t.dim(d - lead);
  };
  for (size_t d = 0; d < rank; ++d) out[d] = std::max(dim_of(a, d), dim_of(b, d));
  for (size_t d = 0; d < rank; ++d) {
    if (dim_of(a, d) == 0 || dim_of(b, d) == 0) out[d] = 0;
  }
  Tensor y = Tensor::empty(DType::kF32, Shape(out));
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> coord(rank);
    int64_t rest = i;
    for (size_t d = rank; d-- > 0;) {
      coord[d] = rest % out[d];
      rest /= out[d];
    }
    auto flat = [&](const Tensor& t) {
      int64_t f = 0;
      const size_t lead = rank - t.rank();
      for (size_t d = lead; d < rank; ++d) {
        const int64_t n = t.dim(d - lead);
        f = f * n + (n == 1 ? 0 : coord[d]);
      }
      return f;
    };
    y.data<float>()[i] = static_cast<float>(op(a.data<float>()[flat(a)], b.data<float>()[flat(b)]));
  }
  return y;
}

double add(double x, double y) { return static_cast<float>(x) + static_cast<float>(y); }
double sub(double x, double y) { return static_cast<float>(x) - static_cast<float>(y); }
double mul(double x, double y) { return static_cast<float>(x) * static_cast<float>(y); }
double div(double x, double y) { return static_cast<float>(x) / static_cast<float>(y); }

TEST(RefBinary, AddsHandComputedRowBroadcast) {
  const std::vector<Tensor> out =
      run_ref({.op_type = "Add", .opset = 14}, {f32({1, 2, 3, 4, 5, 6}, {2, 3}), f32({10, 20, 30}, {3})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(tensors_near(out[0], f32({11, 22, 33, 14, 25, 36}, {2, 3}), 0, 0));
}

TEST(RefBinary, SubAndDivKeepOperandOrder) {
  const std::vector<Tensor> s =
      run_ref({.op_type = "Sub", .opset = 14}, {f32({10}, {}), f32({1, 2, 4}, {3})});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(tensors_near(s[0], f32({9, 8, 6}, {3}), 0, 0));
  const std::vector<Tensor> d =
      run_ref({.op_type = "Div", .opset = 14}, {f32({1, 2, 4}, {3}), f32({8}, {1})});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(tensors_near(d[0], f32({0.125f, 0.25f, 0.5f}, {3}), 0, 0));
}

TEST(RefBinary, BroadcastsLikeNumpy) {
  std::mt19937 rng(1234);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {4}}, {{2, 1, 4}, {3, 1}},
      {{}, {5}},        {{5}, {}},
      {{}, {}},         {{0, 3}, {3}},
      {{2, 0}, {1}},    {{3, 1, 5}, {1, 4, 1}},
      {{1}, {2, 2}},    {{2, 3, 4, 5}, {3, 1, 1}},
  };
  const std::vector<std::pair<const char*, double (*)(double, double)>> ops = {
      {"Add", add}, {"Sub", sub}, {"Mul", mul}, {"Div", div}};
  for (const auto& [sa, sb] : cases) {
    const Tensor a = random_f32(sa, rng, -2, 2);
    const Tensor b = random_f32(sb, rng, 0.5, 3);
    for (const auto& [op, fn] : ops) {
      SCOPED_TRACE(std::string(op) + " " + sa.to_string() + " with " + sb.to_string());
      const std::vector<Tensor> out = run_ref({.op_type = op, .opset = 14}, {a, b});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_TRUE(tensors_near(out[0], naive_broadcast_f32(a, b, fn), 0, 0));
      // And the other way round (broadcasting is symmetric in shape, not in value).
      const std::vector<Tensor> rev = run_ref({.op_type = op, .opset = 14}, {b, a});
      ASSERT_EQ(rev.size(), 1u);
      EXPECT_TRUE(tensors_near(rev[0], naive_broadcast_f32(b, a, fn), 0, 0));
    }
  }
}

TEST(RefBinary, IntegerDivTruncatesTowardZero) {
  const Tensor a = Tensor::from_vector<int32_t>({7, -7, 7, -7, 0, std::numeric_limits<int32_t>::min()});
  const Tensor b = Tensor::from_vector<int32_t>({2, 2, -2, -2, 5, -1});
  const std::vector<Tensor> out = run_ref({.op_type = "Div", .opset = 14}, {a, b});
  ASSERT_EQ(out.size(), 1u);
  const int32_t* y = out[0].data<int32_t>();
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(y[1], -3);
  EXPECT_EQ(y[2], -3);
  EXPECT_EQ(y[3], 3);
  EXPECT_EQ(y[4], 0);
  EXPECT_EQ(y[5], std::numeric_limits<int32_t>::min());  // wraps, defined instead of UB
}

TEST(RefBinary, IntegerDivByZeroIsAnError) {
  const Status s = ref_status({.op_type = "Div", .opset = 14},
                              {Tensor::from_vector<int64_t>({1, 2}), Tensor::from_vector<int64_t>({1, 0})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("division by zero"), std::string::npos);
}

TEST(RefBinary, IntegerArithmeticWrapsAndBroadcasts) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const Tensor a = Tensor::from_vector<int64_t>({kMax, 5, -3, 4}, Shape{2, 2});
  const Tensor b = Tensor::from_vector<int64_t>({1, 2}, Shape{2});
  const std::vector<Tensor> add_out = run_ref({.op_type = "Add", .opset = 14}, {a, b});
  ASSERT_EQ(add_out.size(), 1u);
  EXPECT_EQ(add_out[0].data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(add_out[0].data<int64_t>()[1], 7);
  EXPECT_EQ(add_out[0].data<int64_t>()[2], -2);
  EXPECT_EQ(add_out[0].data<int64_t>()[3], 6);
  const std::vector<Tensor> mul_out = run_ref(
      {.op_type = "Mul", .opset = 14}, {Tensor::from_vector<int32_t>({-3, 4}), Tensor::scalar<int32_t>(-6)});
  ASSERT_EQ(mul_out.size(), 1u);
  EXPECT_EQ(mul_out[0].data<int32_t>()[0], 18);
  EXPECT_EQ(mul_out[0].data<int32_t>()[1], -24);
  const std::vector<Tensor> sub_out = run_ref(
      {.op_type = "Sub", .opset = 14}, {Tensor::from_vector<int32_t>({-3, 4}), Tensor::scalar<int32_t>(-6)});
  ASSERT_EQ(sub_out.size(), 1u);
  EXPECT_EQ(sub_out[0].data<int32_t>()[0], 3);
  EXPECT_EQ(sub_out[0].data<int32_t>()[1], 10);
}

TEST(RefBinary, PowFloatBaseAnyExponentType) {
  const Tensor base = f32({2, -2, 9, 0.5f}, {4});
  const std::vector<Tensor> ff = run_ref({.op_type = "Pow", .opset = 15}, {base, f32({3, 3, 0.5f, -1}, {4})});
  ASSERT_EQ(ff.size(), 1u);
  EXPECT_TRUE(tensors_near(ff[0], f32({8, -8, 3, 2}, {4}), 0, 0));
  const std::vector<Tensor> fi =
      run_ref({.op_type = "Pow", .opset = 15}, {base, Tensor::from_vector<int64_t>({2}, Shape{1})});
  ASSERT_EQ(fi.size(), 1u);
  EXPECT_TRUE(tensors_near(fi[0], f32({4, 4, 81, 0.25f}, {4}), 0, 0));
  // A negative base with a fractional exponent is NaN, as std::pow.
  const std::vector<Tensor> nan =
      run_ref({.op_type = "Pow", .opset = 15}, {f32({-2}, {1}), f32({0.5f}, {1})});
  ASSERT_EQ(nan.size(), 1u);
  EXPECT_TRUE(std::isnan(nan[0].data<float>()[0]));
}

TEST(RefBinary, PowIntegerBaseIsExactOrTruncated) {
  // 3^39 = 4052555153018976267 needs all 62 bits: exact, not through double.
  const std::vector<Tensor> exact =
      run_ref({.op_type = "Pow", .opset = 15},
              {Tensor::from_vector<int64_t>({3, -2, 2}), Tensor::from_vector<int64_t>({39, 3, -1})});
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].data<int64_t>()[0], 4052555153018976267LL);
  EXPECT_EQ(exact[0].data<int64_t>()[1], -8);
  EXPECT_EQ(exact[0].data<int64_t>()[2], 0);  // 2^-1 = 0.5 truncates to 0
  // Integer base, float exponent: computed in double, truncated toward zero.
  const std::vector<Tensor> mixed =
      run_ref({.op_type = "Pow", .opset = 15},
              {Tensor::from_vector<int32_t>({2, 10, -8}), f32({0.5f, 2.5f, 1.f / 3}, {3})});
  ASSERT_EQ(mixed.size(), 1u);
  EXPECT_EQ(mixed[0].dtype(), DType::kI32);
  EXPECT_EQ(mixed[0].data<int32_t>()[0], 1);    // 1.414
  EXPECT_EQ(mixed[0].data<int32_t>()[1], 316);  // 316.2
  EXPECT_EQ(mixed[0].data<int32_t>()[2], 0);    // NaN (negative base, fractional exponent) -> 0
}

// Every integer type: random operands over the full range with broadcasting,
// against arithmetic modulo 2^64 reduced to the low N bits (Add/Sub/Mul) and
// a long double quotient truncated toward zero (Div, small operands).
template <typename T>
void check_integer_arith(uint32_t seed) {
  std::mt19937 rng(seed);
  constexpr DType dt = DTypeOf<T>::value;
  constexpr double kLo = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr double kHi = static_cast<double>(std::numeric_limits<T>::max());
  const std::vector<std::pair<Shape, Shape>> shapes = {{{3, 4}, {4}}, {{2, 1, 3}, {5, 1}}, {{}, {6}}};
  for (const auto& [sa, sb] : shapes) {
    const Shape out = broadcast_all({sa, sb});
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      const bool div = std::string(op) == "Div";
      // Div: |values| <= 100, divisor never 0 (that is an error, tested above).
      Tensor a = random_tensor(dt, sa, rng, div ? std::max(kLo, -100.0) : kLo, div ? 100 : kHi);
      Tensor b = random_tensor(dt, sb, rng, div ? 1 : kLo, div ? 9 : kHi);
      if (div && std::is_signed_v<T>) b.data<T>()[0] = static_cast<T>(-b.data<T>()[0]);
      Tensor want = Tensor::empty(dt, out);
      for (int64_t i = 0; i < want.numel(); ++i) {
        const T x = a.data<T>()[broadcast_offset(out, sa, i)], y = b.data<T>()[broadcast_offset(out, sb, i)];
        // Sign-extended to 64 bits, the low N bits of the 64-bit result are
        // the N-bit two's complement result.
        const auto wx = static_cast<uint64_t>(static_cast<int64_t>(x)),
                   wy = static_cast<uint64_t>(static_cast<int64_t>(y));
        uint64_t r = 0;
        if (op[0] == 'A') r = wx + wy;
        if (op[0] == 'S') r = wx - wy;
        if (op[0] == 'M') r = wx * wy;
        if (div)
          r = static_cast<uint64_t>(
              static_cast<int64_t>(std::trunc(static_cast<long double>(x) / static_cast<long double>(y))));
        want.data<T>()[i] = static_cast<T>(r);
      }
      const std::vector<Tensor> got = run_ref({.op_type = op, .opset = 14}, {a, b});
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(same_bits(got[0], want))
          << op << " " << dtype_name(dt) << " " << sa.to_string() << " " << sb.to_string();
    }
  }
}

TEST(RefBinary, EveryIntegerTypeWrapsAndTruncates) {
  check_integer_arith<int8_t>(1);
  check_integer_arith<int16_t>(2);
  check_integer_arith<int32_t>(3);
  check_integer_arith<int64_t>(4);
  check_integer_arith<uint8_t>(5);
  check_integer_arith<uint16_t>(6);
  check_integer_arith<uint32_t>(7);
  check_integer_arith<uint64_t>(8);
}

TEST(RefBinary, UnsignedDivByMaxIsZeroNotNegation) {
  // The signed "x / -1" special case must not catch the unsigned all-ones divisor.
  const std::vector<Tensor> out =
      run_ref({.op_type = "Div", .opset = 14}, {Tensor::from_vector<uint32_t>({7, 0xFFFFFFFFu}),
                                                Tensor::from_vector<uint32_t>({0xFFFFFFFFu, 0xFFFFFFFFu})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<uint32_t>()[0], 0u);
  EXPECT_EQ(out[0].data<uint32_t>()[1], 1u);
}

// f16 / bf16 arithmetic is the float result rounded once to the type (exact
// IEEE arithmetic for + - * /); f64 is plain double.
TEST(RefBinary, HalfBFloat16AndDoubleMatchRoundedResult) {
  std::mt19937 rng(21);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    const Tensor a = random_tensor(dt, {4, 5}, rng, -8, 8), b = random_tensor(dt, {5}, rng, 0.25, 4);
    const Tensor fa = as_f32(a), fb = as_f32(b);
    for (const auto& [op, fn] : std::vector<std::pair<const char*, double (*)(double, double)>>{
             {"Add", add}, {"Sub", sub}, {"Mul", mul}, {"Div", div}}) {
      const std::vector<Tensor> got = run_ref({.op_type = op, .opset = 14}, {a, b});
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(tensors_near(got[0], f32_as(naive_broadcast_f32(fa, fb, fn), dt), 0, 0))
          << op << " " << dtype_name(dt);
    }
  }
  const std::vector<Tensor> d =
      run_ref({.op_type = "Mul", .opset = 14},
              {Tensor::from_vector<double>({0.1, 3}), Tensor::from_vector<double>({3})});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].data<double>()[0], 0.1 * 3);
  EXPECT_EQ(d[0].data<double>()[1], 9.0);
}

TEST(RefBinary, PowTakesEveryExponentType) {
  std::mt19937 rng(3);
  const Tensor base = f32({1, 2, 3, -2}, {4});
  const Tensor want = f32({1, 32, 243, -32}, {4});
  for (DType e : {DType::kU8, DType::kU16, DType::kU32, DType::kU64, DType::kI8, DType::kI16, DType::kF64,
                  DType::kF16, DType::kBF16}) {
    const Tensor exponent = random_tensor(e, Shape{1}, rng, 5, 5);  // the range [5, 5]: exactly 5
    const std::vector<Tensor> got = run_ref({.op_type = "Pow", .opset = 15}, {base, exponent});
    ASSERT_EQ(got.size(), 1u) << dtype_name(e);
    EXPECT_TRUE(tensors_near(got[0], want, 0, 0)) << dtype_name(e);
  }
  // A 16-bit float base rounds the double result once.
  const Tensor hb = f32_as(f32({1.5f, 3}, {2}), DType::kF16);
  const std::vector<Tensor> h =
      run_ref({.op_type = "Pow", .opset = 15}, {hb, Tensor::from_vector<uint32_t>({3})});
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(tensors_near(h[0], f32_as(f32({3.375f, 27}, {2}), DType::kF16), 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
