// eliminate_dead_code: unread nodes (whole chains), unused initializers and
// orphaned values go; graph inputs, graph outputs and nodes with one read
// output stay.
#include <gtest/gtest.h>

#include <random>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::count_op;
using testing::TestModel;

TEST(EliminateDeadCode, RemovesUnreadChainsAndUnusedInitializers) {
  std::mt19937 rng(5);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  t.input("unused_input", DType::kF32, {1});
  ValueId w = t.constant("w", testing::random_f32({2, 3}, rng));
  t.constant("never_read", testing::random_f32({7}, rng));
  t.output(t.node("Relu", "relu", {x}));
  // A dead chain: Mul -> Tanh -> Sigmoid, nothing reads the end.
  t.node("Sigmoid", "dead3", {t.node("Tanh", "dead2", {t.node("Mul", "dead1", {x, w})})});
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_dead_code);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  EXPECT_EQ(opt.graph.nodes[0].op_type, "Relu");
  EXPECT_EQ(ctx.rewrites, 3 + 2);  // three nodes, two initializers
  EXPECT_EQ(opt.graph.find_value("w"), kNoValue);
  EXPECT_EQ(opt.graph.find_value("never_read"), kNoValue);
  EXPECT_EQ(opt.graph.find_value("dead2_out0"), kNoValue);
  // Graph inputs stay (callers feed them) and ids were renumbered consistently.
  ASSERT_EQ(opt.graph.inputs.size(), 2u);
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.inputs[1])].name, "unused_input");
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.outputs[0])].name, "relu_out0");
  EXPECT_EQ(opt.graph.values.size(), 3u);
  EXPECT_EQ(ctx.touched_ops, (std::set<std::string>{"Mul", "Sigmoid", "Tanh"}));
  testing::expect_same_outputs(m, 6);
}

TEST(EliminateDeadCode, KeepsANodeWhenOneOfItsOutputsIsRead) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4, 2});
  ValueId split = t.constant("split", Tensor::from_vector<int64_t>({1, 3}));
  std::vector<ValueId> parts = t.node_n("Split", "split", {x, split}, 2, {attr_int("axis", 0)});
  t.output(t.node("Relu", "relu", {parts[1]}));  // parts[0] is never read
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Split"), 1);
  EXPECT_NE(opt.graph.find_value("split"), kNoValue);
  testing::expect_same_outputs(m, 7);
}

TEST(EliminateDeadCode, KeepsNodesThatOnlyFeedGraphOutputs) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {3});
  ValueId a = t.node("Relu", "a", {x});
  t.output(a);
  t.output(t.node("Neg", "b", {a}));  // unknown to FastServe: still kept, it is an output
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(opt.graph.nodes.size(), 2u);
}

}  // namespace
}  // namespace fastserve
