// Reference unary math (kernels/ref/math_unary.cc) against formulas written
// out here in double precision (independent ones where the math allows:
// asinh as a logarithm, tan as sin/cos, ...), plus the IEEE edge cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
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

// fn applied in double to each element of x (f32 or f64), rounded to x's type.
Tensor expected_map(const Tensor& x, const std::function<double(double)>& fn) {
  Tensor y = Tensor::empty(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (x.dtype() == DType::kF32) {
      y.data<float>()[i] = static_cast<float>(fn(static_cast<double>(x.data<float>()[i])));
    } else {
      y.data<double>()[i] = fn(x.data<double>()[i]);
    }
  }
  return y;
}

struct MathCase {
  std::string op;
  int64_t opset;
  double lo, hi;  // the op's domain for the random inputs
  std::function<double(double)> formula;
};

std::vector<MathCase> math_cases() {
  return {
      {"Sqrt", 13, 0, 100, [](double v) { return std::pow(v, 0.5); }},
      {"Reciprocal", 13, 0.1, 10, [](double v) { return 1 / v; }},
      {"Exp", 13, -20, 20, [](double v) { return std::pow(std::numbers::e, v); }},
      {"Log", 13, 1e-3, 1e3, [](double v) { return std::log2(v) / std::log2(std::numbers::e); }},
      {"Neg", 13, -5, 5, [](double v) { return 0 - v; }},
      {"Abs", 13, -5, 5, [](double v) { return v < 0 ? -v : v; }},
      {"Erf", 13, -3, 3, [](double v) { return 1 - std::erfc(v); }},
      {"Floor", 13, -5, 5, [](double v) { return std::floor(v); }},
      {"Ceil", 13, -5, 5, [](double v) { return -std::floor(-v); }},
      {"Sign", 13, -5, 5, [](double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }},
      {"Sin", 7, -6, 6, [](double v) { return std::cos(v - std::numbers::pi / 2); }},
      {"Cos", 7, -6, 6, [](double v) { return std::sin(v + std::numbers::pi / 2); }},
      {"Tan", 7, -1.5, 1.5, [](double v) { return std::sin(v) / std::cos(v); }},
      {"Asin", 7, -1, 1, [](double v) { return std::atan2(v, std::sqrt(1 - v * v)); }},
      {"Acos", 7, -1, 1, [](double v) { return std::atan2(std::sqrt(1 - v * v), v); }},
      {"Atan", 7, -10, 10, [](double v) { return std::atan2(v, 1.0); }},
      {"Sinh", 9, -10, 10, [](double v) { return (std::exp(v) - std::exp(-v)) / 2; }},
      {"Cosh", 9, -10, 10, [](double v) { return (std::exp(v) + std::exp(-v)) / 2; }},
      {"Asinh", 9, -10, 10,
       [](double v) {
         return v < 0 ? -std::log(-v + std::sqrt(v * v + 1)) : std::log(v + std::sqrt(v * v + 1));
       }},
      {"Acosh", 9, 1, 10, [](double v) { return std::log(v + std::sqrt(v * v - 1)); }},
      {"Atanh", 9, -0.99, 0.99, [](double v) { return 0.5 * std::log((1 + v) / (1 - v)); }},
  };
}

TEST(RefMathUnary, FloatOpsMatchFormulasOnRandomShapes) {
  std::mt19937 rng(7);
  const std::vector<Shape> shapes = {Shape{17}, Shape{3, 5, 2}, Shape{}, Shape{1, 33}};
  for (const MathCase& c : math_cases()) {
    for (const Shape& s : shapes) {
      for (DType dt : {DType::kF32, DType::kF64}) {
        const Tensor x = random_tensor(dt, s, rng, c.lo, c.hi);
        // Formulas differ from std:: by a few double ulps; f32 rounds that away
        // almost always, f64 keeps it.
        const double rtol = dt == DType::kF32 ? 2e-7 : 1e-12;
        EXPECT_TRUE(tensors_near(run1({.op_type = c.op, .opset = c.opset}, {x}), expected_map(x, c.formula),
                                 1e-12, rtol))
            << c.op << " " << dtype_name(dt) << " " << s.to_string();
      }
    }
  }
}

TEST(RefMathUnary, RoundIsHalfToEven) {
  const Tensor x = f32({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 2.6f, -2.4f, kNaN, kInf}, {11});
  const Tensor y = run1({.op_type = "Round", .opset = 11}, {x});
  EXPECT_TRUE(tensors_near(y, f32({0, 2, 2, -0.f, -2, -2, 0, 3, -2, kNaN, kInf}, {11}), 0, 0));
  ASSERT_TRUE(y.defined());
  EXPECT_TRUE(std::signbit(y.data<float>()[3]));  // -0.5 rounds to -0
}

TEST(RefMathUnary, OutOfDomainGivesIeeeResults) {
  EXPECT_TRUE(tensors_near(run1({.op_type = "Sqrt", .opset = 13}, {f32({-1, 0, kInf, kNaN}, {4})}),
                           f32({kNaN, 0, kInf, kNaN}, {4}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Log", .opset = 13}, {f32({0, -1, kInf, 1}, {4})}),
                           f32({-kInf, kNaN, kInf, 0}, {4}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Reciprocal", .opset = 13}, {f32({0, -0.f, kInf, 4}, {4})}),
                           f32({kInf, -kInf, 0, 0.25f}, {4}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Exp", .opset = 13}, {f32({-kInf, 100, kNaN}, {3})}),
                           f32({0, kInf, kNaN}, {3}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Asin", .opset = 7}, {f32({2}, {1})}), f32({kNaN}, {1}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "Acosh", .opset = 9}, {f32({0.5f}, {1})}), f32({kNaN}, {1}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Atanh", .opset = 9}, {f32({1, -1}, {2})}),
                           f32({kInf, -kInf}, {2}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Erf", .opset = 13}, {f32({kInf, -kInf, kNaN}, {3})}),
                           f32({1, -1, kNaN}, {3}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Sign", .opset = 13}, {f32({kNaN, -kInf, kInf, 0}, {4})}),
                           f32({kNaN, -1, 1, 0}, {4}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Abs", .opset = 13}, {f32({-kInf, -0.f, kNaN}, {3})}),
                           f32({kInf, 0, kNaN}, {3}), 0, 0));
}

TEST(RefMathUnary, EmptyTensorGivesEmptyOutput) {
  const Tensor y = run1({.op_type = "Exp", .opset = 13}, {f32({}, {0, 3})});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
}

template <typename T>
void expect_int_ops() {
  const T lo = std::numeric_limits<T>::min();
  const std::vector<T> x = {lo, static_cast<T>(-7), 0, 5, std::numeric_limits<T>::max()};
  const Tensor tx = Tensor::from_vector<T>(x);
  const Tensor neg = run1({.op_type = "Neg", .opset = 13}, {tx});
  const Tensor abs = run1({.op_type = "Abs", .opset = 13}, {tx});
  const Tensor sign = run1({.op_type = "Sign", .opset = 13}, {tx});
  ASSERT_TRUE(neg.defined() && abs.defined() && sign.defined());
  for (size_t i = 0; i < x.size(); ++i) {
    // -min wraps to min, as in two's complement hardware (numpy, ORT).
    const T want_neg = i == 0 ? lo : static_cast<T>(-x[i]);
    EXPECT_EQ(neg.data<T>()[i], want_neg) << i;
    EXPECT_EQ(abs.data<T>()[i], x[i] < 0 ? want_neg : x[i]) << i;
    EXPECT_EQ(sign.data<T>()[i], static_cast<T>(x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0))) << i;
  }
}

TEST(RefMathUnary, SignedIntegerNegAbsSignWrapAtMin) {
  expect_int_ops<int8_t>();
  expect_int_ops<int16_t>();
  expect_int_ops<int32_t>();
  expect_int_ops<int64_t>();
}

TEST(RefMathUnary, UnsignedAbsIsIdentityAndSignIsZeroOrOne) {
  const Tensor x = Tensor::from_vector<uint8_t>({0, 1, 200, 255});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Abs", .opset = 13}, {x}), x, 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Sign", .opset = 13}, {x}),
                           Tensor::from_vector<uint8_t>({0, 1, 1, 1}), 0, 0));
  const Tensor x64 = Tensor::from_vector<uint64_t>({0, ~uint64_t{0}});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Abs", .opset = 13}, {x64}), x64, 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
