// Reference activations (kernels/ref/unary.cc) against hand-computed values
// and formulas written out here in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
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

// Applies fn in double to each element of x.
template <typename Fn>
Tensor expected_map(const Tensor& x, Fn fn) {
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data<float>()[i] = static_cast<float>(fn(static_cast<double>(x.data<float>()[i])));
  return y;
}

TEST(RefActivation, ReluZeroesNegativesKeepsNaNAndNegativeZero) {
  const Tensor y = run1({.op_type = "Relu", .opset = 14}, {f32({-2, -0.f, 0, 3, kNaN, -kInf, kInf}, {7})});
  ASSERT_TRUE(y.defined());
  const float* p = y.data<float>();
  EXPECT_EQ(p[0], 0.f);
  EXPECT_TRUE(std::signbit(p[1]));  // -0 is not < 0
  EXPECT_EQ(p[3], 3.f);
  EXPECT_TRUE(std::isnan(p[4]));
  EXPECT_EQ(p[5], 0.f);
  EXPECT_EQ(p[6], kInf);
}

TEST(RefActivation, ReluOnIntegers) {
  const Tensor y = run1({.op_type = "Relu", .opset = 14}, {Tensor::from_vector<int64_t>({-5, 0, 7})});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int64_t>()[0], 0);
  EXPECT_EQ(y.data<int64_t>()[2], 7);
}

TEST(RefActivation, LeakyReluUsesAlphaWithDefault) {
  const Tensor x = f32({-2, -0.5f, 0, 1.5f}, {2, 2});
  EXPECT_TRUE(tensors_near(run1({.op_type = "LeakyRelu", .opset = 16}, {x}),
                           f32({-0.02f, -0.005f, 0, 1.5f}, {2, 2}), 1e-7, 1e-6));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "LeakyRelu", .opset = 16, .attrs = {attr_float("alpha", 0.3f)}}, {x}),
                   f32({-0.6f, -0.15f, 0, 1.5f}, {2, 2}), 1e-7, 1e-6));
}

TEST(RefActivation, SigmoidAndTanhMatchFormulas) {
  const Tensor x = f32({-100, -20, -1, -1e-8f, 0, 1e-8f, 0.3f, 1, 20, 100}, {10});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Sigmoid", .opset = 13}, {x}),
                           expected_map(x, [](double v) { return 1 / (1 + std::exp(-v)); }), 0, 1e-7));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Tanh", .opset = 13}, {x}),
                           expected_map(x, [](double v) { return std::sinh(v) / std::cosh(v); }), 1e-30,
                           1e-7));
  // Hand values.
  const Tensor s = run1({.op_type = "Sigmoid", .opset = 13}, {f32({0, 2}, {2})});
  ASSERT_TRUE(s.defined());
  EXPECT_FLOAT_EQ(s.data<float>()[0], 0.5f);
  EXPECT_NEAR(s.data<float>()[1], 0.880797f, 1e-6);
}

TEST(RefActivation, HardSigmoidAndHardSwish) {
  const Tensor x = f32({-4, -3, -1, 0, 1, 3, 4}, {7});
  // Defaults alpha 0.2, beta 0.5.
  EXPECT_TRUE(tensors_near(run1({.op_type = "HardSigmoid", .opset = 6}, {x}),
                           f32({0, 0, 0.3f, 0.5f, 0.7f, 1, 1}, {7}), 1e-7, 1e-6));
  EXPECT_TRUE(tensors_near(run1({.op_type = "HardSigmoid",
                                 .opset = 6,
                                 .attrs = {attr_float("alpha", 0.5f), attr_float("beta", 0.25f)}},
                                {x}),
                           f32({0, 0, 0, 0.25f, 0.75f, 1, 1}, {7}), 1e-7, 1e-6));
  // x * max(0, min(1, x/6 + 1/2)).
  EXPECT_TRUE(tensors_near(run1({.op_type = "HardSwish", .opset = 14}, {x}),
                           f32({0, 0, -1.f / 3, 0, 2.f / 3, 3, 4}, {7}), 1e-7, 1e-6));
}

TEST(RefActivation, ClipBoundsAreOptionalInputs) {
  const Tensor x = f32({-5, -1, 0, 2, 9, kNaN}, {6});
  const OpSpec clip{.op_type = "Clip", .opset = 13};
  // No bounds: unchanged (NaN too).
  EXPECT_TRUE(tensors_near(run1(clip, {x}), x, 0, 0));
  // Both.
  EXPECT_TRUE(
      tensors_near(run1(clip, {x, f32({-1}, {}), f32({3}, {})}), f32({-1, -1, 0, 2, 3, kNaN}, {6}), 0, 0));
  // Min omitted (empty name), max given.
  EXPECT_TRUE(tensors_near(run1(clip, {x, Tensor(), f32({1}, {})}), f32({-5, -1, 0, 1, 1, kNaN}, {6}), 0, 0));
  // Min only.
  EXPECT_TRUE(tensors_near(run1(clip, {x, f32({0}, {})}), f32({0, 0, 0, 2, 9, kNaN}, {6}), 0, 0));
  // min > max: everything becomes max.
  EXPECT_TRUE(
      tensors_near(run1(clip, {x, f32({4}, {}), f32({1}, {})}), f32({1, 1, 1, 1, 1, kNaN}, {6}), 0, 0));
}

TEST(RefActivation, ClipDefaultBoundsAreTypeLimits) {
  // Without max, the bound is FLT_MAX (numeric_limits::max), so +inf clips to it.
  const Tensor y = run1({.op_type = "Clip", .opset = 13}, {f32({kInf, -kInf}, {2}), f32({-1}, {})});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<float>()[0], std::numeric_limits<float>::max());
  EXPECT_EQ(y.data<float>()[1], -1.f);
}

TEST(RefActivation, ClipOnIntegers) {
  const Tensor y =
      run1({.op_type = "Clip", .opset = 13}, {Tensor::from_vector<int32_t>({-100, -3, 5, 100}),
                                              Tensor::scalar<int32_t>(-3), Tensor::scalar<int32_t>(50)});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int32_t>()[0], -3);
  EXPECT_EQ(y.data<int32_t>()[1], -3);
  EXPECT_EQ(y.data<int32_t>()[2], 5);
  EXPECT_EQ(y.data<int32_t>()[3], 50);
  const Tensor z = run1({.op_type = "Clip", .opset = 13},
                        {Tensor::from_vector<int64_t>({-100, 100}), Tensor(), Tensor::scalar<int64_t>(7)});
  ASSERT_TRUE(z.defined());
  EXPECT_EQ(z.data<int64_t>()[0], -100);
  EXPECT_EQ(z.data<int64_t>()[1], 7);
}

TEST(RefActivation, ClipKernelRejectsNonScalarBound) {
  // Inference refuses it first (InferElementwise.ClipChecksOptionalScalarBounds); the kernel checks too.
  std::vector<Tensor> out = {Tensor::empty(DType::kF32, Shape{2})};
  const Status s =
      run_ref_without_inference({.op_type = "Clip", .opset = 13}, {f32({1, 2}, {2}), f32({0, 1}, {2})}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
}

TEST(RefActivation, HandlesEmptyAndScalarTensors) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "HardSwish"}) {
    SCOPED_TRACE(op);
    const Tensor empty = run1({.op_type = op, .opset = 14}, {f32({}, {0, 3})});
    ASSERT_TRUE(empty.defined());
    EXPECT_EQ(empty.shape(), (Shape{0, 3}));
    const Tensor scalar = run1({.op_type = op, .opset = 14}, {f32({0}, {})});
    ASSERT_TRUE(scalar.defined());
    EXPECT_EQ(scalar.rank(), 0u);
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
