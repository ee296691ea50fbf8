// fuse_conv_activation: Conv [-> Add residual] [-> activation] becomes one
// fastserve.FusedConv named after the last node it replaces; everything that
// must block the fusion does.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

const Attribute* find_attr(const Node& n, const std::string& name) { return n.attr(name); }

struct ActivationCase {
  std::string op;
  std::vector<Attribute> attrs;
  std::vector<float> clip_bounds;  // Clip: {min, max}; NaN = omitted input
  std::vector<float> want_params;
};

TEST(FuseConvActivation, EachActivationFusesWithItsParameters) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  const std::vector<ActivationCase> cases = {
      {"Relu", {}, {}, {}},
      {"Sigmoid", {}, {}, {}},
      {"Tanh", {}, {}, {}},
      {"HardSwish", {}, {}, {}},
      {"LeakyRelu", {attr_float("alpha", 0.2f)}, {}, {0.2f}},
      {"LeakyRelu", {}, {}, {0.01f}},
      {"HardSigmoid", {attr_float("alpha", 0.3f), attr_float("beta", 0.4f)}, {}, {0.3f, 0.4f}},
      {"HardSigmoid", {}, {}, {0.2f, 0.5f}},
      {"Clip", {}, {0.f, 6.f}, {0.f, 6.f}},
      {"Clip", {}, {-0.5f, nan}, {-0.5f, hi}},
      {"Clip", {}, {nan, 0.25f}, {lo, 0.25f}},
      {"Clip", {}, {}, {lo, hi}},
  };
  uint32_t seed = 40;
  for (const ActivationCase& c : cases) {
    SCOPED_TRACE(c.op);
    std::mt19937 rng(seed++);
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {1, 3, 6, 5});
    ValueId conv = t.node("Conv", "conv",
                          {x, t.constant("w", testing::random_f32({4, 3, 3, 3}, rng)),
                           t.constant("b", testing::random_f32({4}, rng))},
                          {attr_ints("pads", {1, 1, 1, 1})});
    std::vector<ValueId> act_in = {conv};
    for (size_t i = 0; i < c.clip_bounds.size(); ++i) {
      act_in.push_back(std::isnan(c.clip_bounds[i])
                           ? kNoValue
                           : t.constant("bound" + std::to_string(i), Tensor::scalar<float>(c.clip_bounds[i])));
    }
    t.output(t.node(c.op, "act", act_in, c.attrs));
    std::shared_ptr<Model> m = t.build();

    Model opt = *m;
    PassContext ctx = testing::run_pass(opt, &fuse_conv_activation);
    EXPECT_EQ(ctx.rewrites, 1);
    ASSERT_EQ(opt.graph.nodes.size(), 1u);
    const Node& fused = opt.graph.nodes[0];
    EXPECT_EQ(fused.op_type, "FusedConv");
    EXPECT_EQ(fused.domain, "fastserve");
    EXPECT_EQ(fused.name, "act");
    EXPECT_EQ(opt.graph.values[static_cast<size_t>(fused.outputs[0])].name, "act_out0");
    EXPECT_EQ(opt.opset("fastserve"), 1);
    ASSERT_NE(find_attr(fused, "activation"), nullptr);
    EXPECT_EQ(find_attr(fused, "activation")->s, c.op);
    const Attribute* params = find_attr(fused, "activation_params");
    EXPECT_EQ(params == nullptr ? std::vector<float>{} : params->floats, c.want_params);
    ASSERT_NE(find_attr(fused, "pads"), nullptr);  // Conv attributes carried over
    EXPECT_EQ(ctx.touched_ops, (std::set<std::string>{"Conv", c.op, "fastserve.FusedConv"}));
    testing::expect_same_outputs(m, seed);
  }
}

// x -> Conv -> Add(., skip) -> Relu, with the Add's operands in either order.
TEST(FuseConvActivation, ResidualAddThenReluBecomesOneNodeWithZ) {
  for (bool conv_first : {true, false}) {
    for (bool bias : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "conv_first " << conv_first << " bias " << bias);
      std::mt19937 rng(50);
      TestModel t;
      ValueId x = t.input("x", DType::kF32, {2, 4, 5, 5});
      ValueId skip = t.node("Sigmoid", "skip", {x});
      std::vector<ValueId> conv_in = {x, t.constant("w", testing::random_f32({4, 4, 3, 3}, rng))};
      if (bias) conv_in.push_back(t.constant("b", testing::random_f32({4}, rng)));
      ValueId conv = t.node("Conv", "conv", conv_in, {attr_ints("pads", {1, 1, 1, 1})});
      ValueId sum = t.node("Add", "add", conv_first ? std::vector<ValueId>{conv, skip} : std::vector<ValueId>{skip, conv});
      t.output(t.node("Relu", "relu", {sum}));
      std::shared_ptr<Model> m = t.build();

      Model opt = *m;
      PassContext ctx = testing::run_pass(opt, &fuse_conv_activation);
      EXPECT_EQ(ctx.rewrites, 1);
      ASSERT_EQ(opt.graph.nodes.size(), 2u);
      const Node* fused = producer_of(opt.graph, "relu_out0");
      ASSERT_NE(fused, nullptr);
      EXPECT_EQ(fused->op_type, "FusedConv");
      EXPECT_EQ(fused->name, "relu");
      ASSERT_EQ(fused->inputs.size(), 4u);
      EXPECT_EQ(input_name(opt.graph, *fused, 2), bias ? "b" : "");
      EXPECT_EQ(input_name(opt.graph, *fused, 3), "skip_out0");
      EXPECT_EQ(find_attr(*fused, "activation")->s, "Relu");
      testing::expect_same_outputs(m, 51);
    }
  }
}

TEST(FuseConvActivation, ResidualAddAloneFuses) {
  std::mt19937 rng(52);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 4, 3});
  ValueId z = t.input("z", DType::kF32, {1, 3, 4, 3});
  ValueId conv = t.node("Conv", "conv", {x, t.constant("w", testing::random_f32({3, 2, 1, 1}, rng))});
  t.output(t.node("Add", "add", {z, conv}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  testing::run_pass(opt, &fuse_conv_activation);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  EXPECT_EQ(opt.graph.nodes[0].name, "add");
  EXPECT_EQ(input_name(opt.graph, opt.graph.nodes[0], 3), "z");
  EXPECT_EQ(opt.graph.nodes[0].attr("activation"), nullptr);
  testing::expect_same_outputs(m, 53);
}

TEST(FuseConvActivation, BlockedByBroadcastSharedOutputsGraphOutputsAndRuntimeClipBounds) {
  std::mt19937 rng(60);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 4, 4});
  auto conv = [&](const std::string& name) {
    return t.node("Conv", name, {x, t.constant(name + "_w", testing::random_f32({2, 2, 3, 3}, rng))},
                  {attr_ints("pads", {1, 1, 1, 1})});
  };
  // 1) Add with a per-channel operand broadcasts: not a residual.
  ValueId c1 = conv("c1");
  t.output(t.node("Relu", "r1", {t.node("Add", "a1", {c1, t.constant("bias", testing::random_f32({1, 2, 1, 1}, rng))})}));
  // 2) The conv output is read twice.
  ValueId c2 = conv("c2");
  t.output(t.node("Relu", "r2", {c2}));
  t.output(t.node("Tanh", "t2", {c2}));
  // 3) The conv output is a graph output.
  ValueId c3 = conv("c3");
  t.output(c3);
  t.output(t.node("Relu", "r3", {c3}));
  // 4) Clip with a bound computed at run time.
  ValueId c4 = conv("c4");
  ValueId bound = t.input("bound", DType::kF32, {});
  t.output(t.node("Clip", "clip4", {c4, bound}));
  // 5) Clip with min > max.
  ValueId c5 = conv("c5");
  t.output(t.node("Clip", "clip5", {c5, t.constant("one", Tensor::scalar<float>(1.f)),
                                     t.constant("zero", Tensor::scalar<float>(0.f))}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fuse_conv_activation);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Conv"), 5);
  EXPECT_EQ(opt.opset("fastserve"), 0);  // nothing fused: no import
  testing::expect_same_outputs(m, 61);
}

TEST(FuseConvActivation, DynamicBatchFusesTheResidualAdd) {
  // Both Add operands carry the symbolic batch: the residual fuses, and the
  // outputs at batch 3 match the unfused graph.
  std::mt19937 rng(70);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 2, 4, 4}, {"batch", "", "", ""});
  ValueId conv = t.node("Conv", "conv", {x, t.constant("w", testing::random_f32({2, 2, 1, 1}, rng))});
  ValueId sum = t.node("Add", "add", {conv, x});
  t.output(t.node("Relu", "relu", {sum}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fuse_conv_activation);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedConv"), 1);
  EXPECT_EQ(count_op(opt.graph, "Add"), 0);
  EXPECT_EQ(count_op(opt.graph, "Relu"), 0);
  testing::expect_same_outputs(m, 71);
}

TEST(FuseConvActivation, OtherUnknownDimsStillFuseTheActivationButNotTheAdd) {
  // An unknown spatial dim could broadcast at run time: the Add stays.
  std::mt19937 rng(72);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, kUnknownDim, 4}, {"", "", "h", ""});
  ValueId conv = t.node("Conv", "conv", {x, t.constant("w", testing::random_f32({2, 2, 1, 1}, rng))});
  ValueId sum = t.node("Add", "add", {conv, x});
  t.output(t.node("Relu", "relu", {sum}));
  ValueId conv2 = t.node("Conv", "conv2", {x, t.constant("w2", testing::random_f32({2, 2, 1, 1}, rng))});
  t.output(t.node("Relu", "relu2", {conv2}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fuse_conv_activation);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedConv"), 1);
  EXPECT_EQ(count_op(opt.graph, "Add"), 1);
  EXPECT_EQ(producer_of(opt.graph, "relu2_out0")->op_type, "FusedConv");
}

}  // namespace
}  // namespace fastserve
