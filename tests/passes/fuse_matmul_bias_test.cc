// fuse_matmul_bias: MatMul [-> Add bias] [-> activation] becomes one
// fastserve.FusedMatMul with the same outputs; an Add that is not a
// per-column bias, or a batched B, blocks it.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_string;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

TEST(FuseMatMulBias, BiasThenEachActivation) {
  struct Case {
    std::string op, domain, approximate, want;
  };
  const Case cases[] = {{"", "", "", ""},
                        {"Relu", "", "", "Relu"},
                        {"Sigmoid", "", "", "Sigmoid"},
                        {"FusedGelu", "fastserve", "", "Gelu"},
                        {"FusedGelu", "fastserve", "tanh", "GeluTanh"}};
  uint32_t seed = 60;
  for (const Case& c : cases) {
    for (bool bias_first : {false, true}) {
      SCOPED_TRACE(c.op + c.approximate + (bias_first ? " bias first" : ""));
      std::mt19937 rng(seed++);
      TestModel t;
      ValueId x = t.input("x", DType::kF32, {2, 5, 8}, {"batch", "", ""});
      ValueId mm = t.node("MatMul", "mm", {x, t.constant("w", testing::random_f32({8, 6}, rng))});
      ValueId b = t.constant("b", testing::random_f32({6}, rng));
      ValueId y = t.node("Add", "add", bias_first ? std::vector<ValueId>{b, mm} : std::vector<ValueId>{mm, b});
      if (!c.op.empty()) {
        std::vector<Attribute> attrs;
        if (!c.approximate.empty()) attrs.push_back(attr_string("approximate", c.approximate));
        y = t.node(c.op, "act", {y}, attrs, c.domain);
      }
      t.output(y);
      std::shared_ptr<Model> m = t.build();
      if (c.domain == "fastserve") m->opsets["fastserve"] = 1;
      Model opt = *m;
      PassContext ctx = testing::run_pass(opt, &fuse_matmul_bias);
      EXPECT_EQ(ctx.rewrites, 1);
      ASSERT_EQ(opt.graph.nodes.size(), 1u);
      const Node& f = opt.graph.nodes[0];
      EXPECT_EQ(f.op_type, "FusedMatMul");
      EXPECT_EQ(f.domain, "fastserve");
      EXPECT_EQ(f.name, c.op.empty() ? "add" : "act");
      EXPECT_EQ(input_name(opt.graph, f, 2), "b");
      const Attribute* act = f.attr("activation");
      EXPECT_EQ(act == nullptr ? "" : act->s, c.want);
      testing::expect_same_outputs(m, seed, 3, 1e-5, 1e-5);
    }
  }
}

TEST(FuseMatMulBias, RankedBiasIsFlattenedAndActivationAloneFuses) {
  std::mt19937 rng(70);
  {
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {3, 4});
    ValueId mm = t.node("MatMul", "mm", {x, t.constant("w", testing::random_f32({4, 5}, rng))});
    t.output(t.node("Add", "add", {mm, t.constant("b", testing::random_f32({1, 5}, rng))}));
    std::shared_ptr<Model> m = t.build();
    Model opt = *m;
    testing::run_pass(opt, &fuse_matmul_bias);
    ASSERT_EQ(opt.graph.nodes.size(), 1u);
    const Value& bias = opt.graph.values[static_cast<size_t>(opt.graph.nodes[0].inputs[2])];
    EXPECT_EQ(bias.shape, Shape({5}));
    testing::expect_same_outputs(m, 71);
  }
  {
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {3, 4});
    ValueId mm = t.node("MatMul", "mm", {x, t.constant("w", testing::random_f32({4, 5}, rng))});
    t.output(t.node("Relu", "relu", {mm}));
    std::shared_ptr<Model> m = t.build();
    Model opt = *m;
    testing::run_pass(opt, &fuse_matmul_bias);
    ASSERT_EQ(opt.graph.nodes.size(), 1u);
    EXPECT_EQ(opt.graph.nodes[0].inputs.size(), 2u);
    EXPECT_EQ(opt.graph.nodes[0].attr("activation")->s, "Relu");
    testing::expect_same_outputs(m, 72);
  }
}

TEST(FuseMatMulBias, NotABiasOrBatchedBIsLeftAlone) {
  std::mt19937 rng(80);
  {  // [M, N] added: not one value per column
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {3, 4});
    ValueId mm = t.node("MatMul", "mm", {x, t.constant("w", testing::random_f32({4, 5}, rng))});
    t.output(t.node("Add", "add", {mm, t.constant("b", testing::random_f32({3, 5}, rng))}));
    Model opt = *t.build();
    testing::run_pass(opt, &fuse_matmul_bias);
    EXPECT_EQ(count_op(opt.graph, "MatMul"), 1);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedMatMul"), 0);
  }
  {  // a bias of higher rank than the output would broadcast it to a new shape
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {3, 4});
    ValueId mm = t.node("MatMul", "mm", {x, t.constant("w", testing::random_f32({4, 5}, rng))});
    t.output(t.node("Add", "add", {mm, t.constant("b", testing::random_f32({1, 1, 5}, rng))}));
    Model opt = *t.build();
    testing::run_pass(opt, &fuse_matmul_bias);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedMatMul"), 0);
  }
  {  // attention's batched product: B of rank 3
    TestModel t;
    ValueId q = t.input("q", DType::kF32, {2, 3, 4});
    ValueId k = t.input("k", DType::kF32, {2, 4, 3});
    ValueId mm = t.node("MatMul", "mm", {q, k});
    t.output(t.node("Relu", "relu", {mm}));
    Model opt = *t.build();
    testing::run_pass(opt, &fuse_matmul_bias);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedMatMul"), 0);
  }
}

}  // namespace
}  // namespace fastserve
