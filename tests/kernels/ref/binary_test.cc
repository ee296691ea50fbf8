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

}  // namespace
}  // namespace fastserve::testing::ew
