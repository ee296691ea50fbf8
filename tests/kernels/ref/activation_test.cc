// Reference activations with attributes and float classifiers
// (kernels/ref/activation.cc) against the spec formulas written out here in
// double precision, with each attribute's default and a non-default value.
#include <gtest/gtest.h>

#include <cmath>
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

// fn in double on each element, stored in x's type (16-bit floats round once).
Tensor expected_map(const Tensor& x, const std::function<double(double)>& fn) {
  Tensor y = Tensor::empty(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = fn(x.element_as_double(i));
    switch (x.dtype()) {
      case DType::kF32:
        y.data<float>()[i] = static_cast<float>(v);
        break;
      case DType::kF16:
        y.data<Half>()[i].bits = float_to_half(static_cast<float>(v));
        break;
      case DType::kBF16:
        y.data<BFloat16>()[i].bits = float_to_bf16(static_cast<float>(v));
        break;
      default:
        y.data<double>()[i] = v;
        break;
    }
  }
  return y;
}

struct ActCase {
  OpSpec spec;
  std::function<double(double)> formula;
};

std::vector<ActCase> act_cases() {
  const double selu_alpha = 1.67326319217681884765625, selu_gamma = 1.05070102214813232421875;
  const auto phi = [](double v) { return 0.5 * std::erfc(-v / std::sqrt(2.0)); };
  const auto softplus = [](double v) { return std::log(1 + std::exp(v)); };
  return {
      {{.op_type = "Elu", .opset = 6}, [](double v) { return v < 0 ? std::exp(v) - 1 : v; }},
      {{.op_type = "Elu", .opset = 6, .attrs = {attr_float("alpha", 0.5f)}},
       [](double v) { return v < 0 ? 0.5 * (std::exp(v) - 1) : v; }},
      {{.op_type = "Selu", .opset = 6},
       [=](double v) {
         return v > 0 ? selu_gamma * v : selu_gamma * (selu_alpha * std::exp(v) - selu_alpha);
       }},
      {{.op_type = "Selu", .opset = 6, .attrs = {attr_float("alpha", 2.f), attr_float("gamma", 3.f)}},
       [](double v) { return v > 0 ? 3 * v : 3 * (2 * std::exp(v) - 2); }},
      {{.op_type = "Celu", .opset = 12},
       [](double v) { return std::max(0.0, v) + std::min(0.0, std::exp(v) - 1); }},
      {{.op_type = "Celu", .opset = 12, .attrs = {attr_float("alpha", 2.f)}},
       [](double v) { return std::max(0.0, v) + std::min(0.0, 2 * (std::exp(v / 2) - 1)); }},
      {{.op_type = "ThresholdedRelu", .opset = 10}, [](double v) { return v > 1 ? v : 0; }},
      {{.op_type = "ThresholdedRelu", .opset = 10, .attrs = {attr_float("alpha", -0.5f)}},
       [](double v) { return v > -0.5 ? v : 0; }},
      {{.op_type = "Softplus", .opset = 1}, softplus},
      {{.op_type = "Softsign", .opset = 1}, [](double v) { return v / (1 + std::abs(v)); }},
      {{.op_type = "Mish", .opset = 18}, [=](double v) { return v * std::tanh(softplus(v)); }},
      {{.op_type = "Gelu", .opset = 20}, [=](double v) { return v * phi(v); }},
      {{.op_type = "Gelu", .opset = 20, .attrs = {attr_string("approximate", "none")}},
       [=](double v) { return v * phi(v); }},
      {{.op_type = "Gelu", .opset = 20, .attrs = {attr_string("approximate", "tanh")}},
       [](double v) {
         return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * std::pow(v, 3))));
       }},
      {{.op_type = "Shrink", .opset = 9}, [](double v) { return v < -0.5 ? v : (v > 0.5 ? v : 0); }},
      {{.op_type = "Shrink", .opset = 9, .attrs = {attr_float("bias", 1.5f), attr_float("lambd", 1.f)}},
       [](double v) { return v < -1 ? v + 1.5 : (v > 1 ? v - 1.5 : 0); }},
  };
}

TEST(RefActivationAttrs, MatchFormulasWithDefaultAndGivenAttributes) {
  std::mt19937 rng(11);
  for (const ActCase& c : act_cases()) {
    for (const Shape& s : {Shape{33}, Shape{2, 3, 4}, Shape{}}) {
      for (DType dt : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16}) {
        const Tensor x = random_tensor(dt, s, rng, -4, 4);
        // 16-bit: the kernel stores through float, so a result may land one
        // 16-bit ulp from the singly rounded formula.
        const double rtol = dt == DType::kF32   ? 1e-6
                            : dt == DType::kF64 ? 1e-12
                            : dt == DType::kF16 ? 1e-3
                                                : 8e-3;
        EXPECT_TRUE(tensors_near(run1(c.spec, {x}), expected_map(x, c.formula), 1e-12, rtol))
            << c.spec.op_type << " " << dtype_name(dt) << " " << s.to_string();
      }
    }
  }
}

TEST(RefActivationAttrs, SoftplusAndMishStayFiniteForLargeInputs) {
  const Tensor x = f32({-1000, -100, 100, 1000, 3e38f}, {5});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Softplus", .opset = 1}, {x}),
                           f32({0, 3.7200760e-44f, 100, 1000, 3e38f}, {5}), 1e-45, 1e-6));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Mish", .opset = 18}, {x}),
                           f32({-0.f, -3.72e-42f, 100, 1000, 3e38f}, {5}), 1e-40, 1e-6));
}

TEST(RefActivationAttrs, NaNAndInfinities) {
  const Tensor x = f32({kNaN, kInf, -kInf}, {3});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Elu", .opset = 6}, {x}), f32({kNaN, kInf, -1}, {3}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "Softsign", .opset = 1}, {f32({kNaN}, {1})}), f32({kNaN}, {1}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Gelu", .opset = 20}, {x}), f32({kNaN, kInf, 0}, {3}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "ThresholdedRelu", .opset = 10}, {x}), f32({kNaN, kInf, 0}, {3}), 0, 0));
  // Shrink's formula has no branch for NaN: 0, like ONNX's reference.
  EXPECT_TRUE(tensors_near(run1({.op_type = "Shrink", .opset = 9}, {x}), f32({0, kInf, -kInf}, {3}), 0, 0));
}

TEST(RefActivationAttrs, GeluRejectsUnknownApproximation) {
  const Status s = ref_status({.op_type = "Gelu", .opset = 20, .attrs = {attr_string("approximate", "fast")}},
                              {f32({1}, {1})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("approximate"), std::string::npos) << s.message();
}

Tensor bools(std::vector<bool> v) { return Tensor::from_vector<bool>(v); }

TEST(RefActivationAttrs, IsNaNAndIsInfGiveBool) {
  const Tensor x = f32({kNaN, kInf, -kInf, 0, -1, 3e38f}, {6});
  EXPECT_TRUE(tensors_near(run1({.op_type = "IsNaN", .opset = 13}, {x}), bools({1, 0, 0, 0, 0, 0}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "IsInf", .opset = 10}, {x}), bools({0, 1, 1, 0, 0, 0}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "IsInf", .opset = 10, .attrs = {attr_int("detect_negative", 0)}}, {x}),
                   bools({0, 1, 0, 0, 0, 0}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "IsInf", .opset = 10, .attrs = {attr_int("detect_positive", 0)}}, {x}),
                   bools({0, 0, 1, 0, 0, 0}), 0, 0));
  const Tensor xd = Tensor::from_vector<double>({std::nan(""), -HUGE_VAL, 1});
  EXPECT_TRUE(tensors_near(run1({.op_type = "IsNaN", .opset = 13}, {xd}), bools({1, 0, 0}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "IsInf", .opset = 10}, {xd}), bools({0, 1, 0}), 0, 0));
  // 16-bit floats: 7e4 overflows f16 to inf but not bf16.
  for (DType dt : {DType::kF16, DType::kBF16}) {
    const Tensor h = f32_as(f32({kNaN, kInf, -kInf, 0, 7e4f}, {5}), dt);
    const bool big_is_inf = dt == DType::kF16;
    EXPECT_TRUE(tensors_near(run1({.op_type = "IsNaN", .opset = 20}, {h}), bools({1, 0, 0, 0, 0}), 0, 0));
    EXPECT_TRUE(
        tensors_near(run1({.op_type = "IsInf", .opset = 20}, {h}), bools({0, 1, 1, 0, big_is_inf}), 0, 0))
        << dtype_name(dt);
  }
}

// PRelu: x < 0 ? slope * x : x with the slope broadcast to X.
Tensor prelu_expected(const Tensor& x, const Tensor& slope) {
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  const size_t r = x.rank(), sr = slope.rank();
  for (int64_t i = 0; i < x.numel(); ++i) {
    // Unravel i over X's shape and re-ravel over slope's (size-1 dims -> 0).
    int64_t rem = i, off = 0, stride = 1;
    for (size_t d = r; d-- > 0;) {
      const int64_t idx = rem % x.dim(d);
      rem /= x.dim(d);
      if (d + sr >= r) {
        const int64_t sd = slope.dim(d + sr - r);
        off += (sd == 1 ? 0 : idx) * stride;
        stride *= sd;
      }
    }
    const float v = x.data<float>()[i];
    y.data<float>()[i] = v < 0 ? slope.data<float>()[off] * v : v;
  }
  return y;
}

TEST(RefActivationAttrs, PReluBroadcastsSlopeToX) {
  std::mt19937 rng(5);
  const Shape xs{2, 3, 4, 5};
  for (const Shape& ss :
       {Shape{1}, Shape{}, Shape{5}, Shape{3, 1, 1}, Shape{4, 5}, Shape{2, 3, 4, 5}, Shape{1, 3, 1, 5}}) {
    const Tensor x = random_f32(xs, rng, -2, 2);
    const Tensor slope = random_f32(ss, rng, 0, 1);
    EXPECT_TRUE(
        tensors_near(run1({.op_type = "PRelu", .opset = 16}, {x, slope}), prelu_expected(x, slope), 0, 0))
        << ss.to_string();
  }
  const Tensor h = f32_as(f32({-4, 6, -0.5f}, {3}), DType::kF16);
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "PRelu", .opset = 16}, {h, f32_as(f32({0.25f}, {1}), DType::kF16)}),
                   f32_as(f32({-1, 6, -0.125f}, {3}), DType::kF16), 0, 0));
  const Tensor y = run1({.op_type = "PRelu", .opset = 16},
                        {Tensor::from_vector<int32_t>({-4, 6}), Tensor::from_vector<int32_t>({3}, Shape{1})});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int32_t>()[0], -12);
  EXPECT_EQ(y.data<int32_t>()[1], 6);
}

}  // namespace
}  // namespace fastserve::testing::ew
