// Reference fastserve.FusedConv (kernels/ref/conv.cc): equal to the reference
// Conv followed by + Z and the activation, each written out here from the
// ONNX definitions; and its errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_floats;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

struct ActivationCase {
  std::string name;
  std::vector<float> params;
  float (*f)(float x);
};

const std::vector<ActivationCase>& activation_cases() {
  static const std::vector<ActivationCase> cases = {
      {"", {}, [](float x) { return x; }},
      {"Relu", {}, [](float x) { return std::max(x, 0.f); }},
      {"Clip", {0.f, 6.f}, [](float x) { return std::clamp(x, 0.f, 6.f); }},
      {"LeakyRelu", {0.1f}, [](float x) { return x < 0.f ? 0.1f * x : x; }},
      {"Sigmoid", {}, [](float x) { return 1.f / (1.f + std::exp(-x)); }},
      {"Tanh", {}, [](float x) { return std::tanh(x); }},
      {"HardSigmoid", {0.2f, 0.5f}, [](float x) { return std::clamp(0.2f * x + 0.5f, 0.f, 1.f); }},
      {"HardSwish", {}, [](float x) { return x * std::clamp(x / 6.f + 0.5f, 0.f, 1.f); }},
  };
  return cases;
}

OpSpec fused_spec(const ActivationCase& a, std::vector<Attribute> conv_attrs) {
  OpSpec spec{"FusedConv", 1, std::move(conv_attrs), 1, "fastserve"};
  if (!a.name.empty()) spec.attrs.push_back(attr_string("activation", a.name));
  if (!a.params.empty()) spec.attrs.push_back(attr_floats("activation_params", a.params));
  return spec;
}

Tensor run_one(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return Tensor();
  auto out = testing::run_kernel(*ref, spec, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

TEST(FusedConvRef, EqualsConvPlusResidualThenActivation) {
  std::mt19937 rng(7);
  for (const ActivationCase& a : activation_cases()) {
    for (bool with_z : {false, true}) {
      for (int64_t group : {1, 3}) {
        const std::vector<Attribute> conv_attrs = {attr_ints("pads", {1, 0, 1, 2}), attr_ints("strides", {2, 1}),
                                                   attr_int("group", group)};
        Tensor x = testing::random_f32({2, 6, 7, 5}, rng, -3, 3);
        Tensor w = testing::random_f32({9, 6 / group, 3, 2}, rng);
        Tensor b = testing::random_f32({9}, rng);
        Tensor plain = run_one(OpSpec{"Conv", 17, conv_attrs}, {x, w, b});
        ASSERT_EQ(plain.dtype(), DType::kF32);
        std::vector<Tensor> inputs = {x, w, b};
        Tensor z;
        if (with_z) {
          z = testing::random_f32(plain.shape(), rng, -2, 2);
          inputs.push_back(z);
        }
        Tensor fused = run_one(fused_spec(a, conv_attrs), inputs);
        ASSERT_EQ(fused.shape(), plain.shape()) << a.name;
        Tensor want = Tensor::empty(DType::kF32, plain.shape());
        for (int64_t i = 0; i < plain.numel(); ++i) {
          const float pre = plain.data<float>()[i] + (with_z ? z.data<float>()[i] : 0.f);
          want.data<float>()[i] = a.f(pre);
        }
        EXPECT_TRUE(testing::tensors_near(fused, want, 1e-5, 1e-5))
            << "activation '" << a.name << "' z=" << with_z << " group=" << group;
      }
    }
  }
}

TEST(FusedConvRef, BadActivationAndResidualShapeAreErrors) {
  std::mt19937 rng(3);
  Tensor x = testing::random_f32({1, 2, 4, 4}, rng);
  Tensor w = testing::random_f32({3, 2, 3, 3}, rng);
  Tensor b = testing::random_f32({3}, rng);
  const KernelDesc* ref = testing::reference_kernel(OpSpec{"FusedConv", 1, {}, 1, "fastserve"}, {x, w});
  ASSERT_NE(ref, nullptr);

  auto unknown = testing::run_kernel(*ref, OpSpec{"FusedConv", 1, {attr_string("activation", "Swish")}, 1, "fastserve"},
                                     {x, w});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown fused activation 'Swish'"), std::string::npos)
      << unknown.status().message();

  auto params = testing::run_kernel(
      *ref, OpSpec{"FusedConv", 1, {attr_string("activation", "Clip"), attr_floats("activation_params", {1.f})}, 1,
                   "fastserve"},
      {x, w});
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("takes 2 activation_params, got 1"), std::string::npos)
      << params.status().message();

  Tensor bad_z = testing::random_f32({1, 3, 3, 2}, rng);  // Y is 1x3x2x2
  auto z = testing::run_kernel(*ref, OpSpec{"FusedConv", 1, {}, 1, "fastserve"}, {x, w, b, bad_z});
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("Z has shape"), std::string::npos) << z.status().message();
}

TEST(FusedConvSchema, LivesInTheFastServeDomainOnly) {
  EXPECT_NE(find_op_schema("FusedConv", "fastserve"), nullptr);
  EXPECT_EQ(find_op_schema("FusedConv", ""), nullptr);
  EXPECT_EQ(find_op_schema("Conv", "fastserve"), nullptr);
  EXPECT_NE(find_op_schema("Conv", "ai.onnx"), nullptr);
}

}  // namespace
}  // namespace fastserve
