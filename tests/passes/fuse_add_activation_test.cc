// fuse_add_activation: Add -> activation becomes one fastserve.FusedAdd with
// the same outputs (every activation kind, broadcast operands, in the CPU
// kernels and the reference); an Add read by anything else, or whose sum is
// a graph output, or integer, stays.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_string;
using testing::count_op;
using testing::TestModel;

TEST(FuseAddActivation, EachActivationAndBroadcastFusesWithTheSameOutputs) {
  struct Case {
    std::string op, domain;
    std::vector<Attribute> attrs;
    std::string want;
  };
  const Case cases[] = {{"Relu", "", {}, "Relu"},
                        {"Sigmoid", "", {}, "Sigmoid"},
                        {"Tanh", "", {}, "Tanh"},
                        {"LeakyRelu", "", {attr_float("alpha", 0.2f)}, "LeakyRelu"},
                        {"HardSwish", "", {}, "HardSwish"},
                        {"FusedGelu", "fastserve", {}, "Gelu"},
                        {"FusedGelu", "fastserve", {attr_string("approximate", "tanh")}, "GeluTanh"}};
  // Shapes (A, B): same, row bias, column broadcast, scalar, long rows (several row blocks).
  const std::vector<std::pair<Shape, Shape>> shapes = {{{4, 37}, {4, 37}},    {{3, 5, 16}, {16}},
                                                       {{2, 6, 9}, {2, 6, 1}}, {{7, 3}, {}},
                                                       {{2, 40000}, {1, 40000}}};
  uint32_t seed = 100;
  for (const Case& c : cases) {
    for (const auto& [sa, sb] : shapes) {
      SCOPED_TRACE(c.op + " " + sa.to_string() + " + " + sb.to_string());
      std::mt19937 rng(seed++);
      TestModel t;
      ValueId a = t.input("a", DType::kF32, sa);
      ValueId b = t.constant("b", testing::random_f32(sb, rng, -2.0, 2.0));
      ValueId sum = t.node("Add", "add", {a, b});
      t.output(t.node(c.op, "act", {sum}, c.attrs, c.domain));
      std::shared_ptr<Model> m = t.build();
      if (c.domain == "fastserve") m->opsets["fastserve"] = 1;
      Model opt = *m;
      PassContext ctx = testing::run_pass(opt, &fuse_add_activation);
      EXPECT_EQ(ctx.rewrites, 1);
      ASSERT_EQ(opt.graph.nodes.size(), 1u);
      const Node& f = opt.graph.nodes[0];
      EXPECT_EQ(f.op_type, "FusedAdd");
      EXPECT_EQ(f.domain, "fastserve");
      EXPECT_EQ(f.name, "act");
      const Attribute* act = f.attr("activation");
      EXPECT_EQ(act == nullptr ? "" : act->s, c.want);
      // Level 3 (the fused CPU kernel) against level 0 (Add, then the activation).
      testing::expect_same_outputs(m, seed, 3, 1e-6, 1e-5);
    }
  }
}

TEST(FuseAddActivation, EveryFusedAddKernelMatchesTheReference) {
  std::mt19937 rng(120);
  const std::vector<std::pair<Shape, Shape>> shapes = {{{3, 50}, {50}}, {{2, 4, 33}, {2, 4, 1}}, {{5}, {}}};
  for (const char* activation : {"Relu", "Sigmoid", "Gelu", "HardSigmoid"}) {
    for (const auto& [sa, sb] : shapes) {
      SCOPED_TRACE(std::string(activation) + " " + sa.to_string() + " + " + sb.to_string());
      testing::OpSpec spec;
      spec.op_type = "FusedAdd";
      spec.domain = "fastserve";
      spec.attrs = {attr_string("activation", activation)};
      if (std::string(activation) == "HardSigmoid") spec.attrs.push_back(testing::attr_floats("activation_params", {0.3f, 0.4f}));
      const std::vector<Tensor> inputs = {testing::random_f32(sa, rng, -3.0, 3.0), testing::random_f32(sb, rng, -3.0, 3.0)};
      EXPECT_GE(testing::expect_kernels_match_reference(spec, inputs, 1e-6, 1e-5), 1);
    }
  }
}

TEST(FuseAddActivation, BlockedWhenTheSumHasAnotherReaderIsAnOutputOrIsNotFloat) {
  std::mt19937 rng(130);
  {  // another reader
    TestModel t;
    ValueId a = t.input("a", DType::kF32, {4});
    ValueId sum = t.node("Add", "add", {a, t.constant("b", testing::random_f32({4}, rng))});
    t.output(t.node("Relu", "act", {sum}));
    t.output(t.node("Neg", "neg", {sum}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_add_activation).rewrites, 0);
  }
  {  // the sum is a graph output
    TestModel t;
    ValueId a = t.input("a", DType::kF32, {4});
    ValueId sum = t.node("Add", "add", {a, t.constant("b", testing::random_f32({4}, rng))});
    t.output(sum);
    t.output(t.node("Relu", "act", {sum}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_add_activation).rewrites, 0);
  }
  {  // int64
    TestModel t;
    ValueId a = t.input("a", DType::kI64, {4});
    ValueId sum = t.node("Add", "add", {a, t.constant("b", Tensor::from_vector<int64_t>({1, 2, 3, 4}))});
    t.output(t.node("Relu", "act", {sum}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_add_activation).rewrites, 0);
  }
  {  // not an activation a fused op applies (Exp)
    TestModel t;
    ValueId a = t.input("a", DType::kF32, {4});
    ValueId sum = t.node("Add", "add", {a, t.constant("b", testing::random_f32({4}, rng))});
    t.output(t.node("Exp", "act", {sum}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_add_activation).rewrites, 0);
  }
}

}  // namespace
}  // namespace fastserve
