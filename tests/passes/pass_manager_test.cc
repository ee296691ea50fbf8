// run_passes: which passes each level runs, their order, rounds to a fixed
// point, the per-pass report, and that the result verifies.
#include "passes/pass_manager.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::count_op;
using testing::TestModel;

// x -> Identity -> Conv -> BN -> Relu -> y, plus a Constant folded into an Add.
std::shared_ptr<Model> conv_bn_relu_model() {
  std::mt19937 rng(80);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 5, 5});
  ValueId id = t.node("Identity", "id", {x});
  ValueId conv = t.node("Conv", "conv", {id, t.constant("w", testing::random_f32({3, 2, 3, 3}, rng))});
  ValueId bn = t.node("BatchNormalization", "bn",
                      {conv, t.constant("s", testing::random_f32({3}, rng, 0.5, 1.5)),
                       t.constant("b", testing::random_f32({3}, rng)), t.constant("m", testing::random_f32({3}, rng)),
                       t.constant("v", testing::random_f32({3}, rng, 0.5, 1.5))});
  ValueId relu = t.node("Relu", "relu", {bn});
  ValueId k = t.node("Constant", "k", {}, {testing::attr_tensor("value", Tensor::scalar<float>(0.5f))});
  t.output(t.node("Add", "add", {t.node("Relu", "relu2", {relu}), k}));
  return t.build();
}

PassReport run_level(Model& m, int level) {
  PassContext ctx;  // no evaluator: Constant nodes still fold
  Result<PassReport> r = run_passes(m, level, ctx);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(verify_graph(m).ok());
  EXPECT_TRUE(m.graph.topological_order().ok());
  return r.ok() ? r.value() : PassReport{};
}

TEST(PassManager, LevelZeroChangesNothing) {
  Model m = *conv_bn_relu_model();
  const size_t nodes = m.graph.nodes.size();
  PassReport r = run_level(m, 0);
  EXPECT_EQ(r.level, 0);
  EXPECT_TRUE(r.runs.empty());
  EXPECT_EQ(m.graph.nodes.size(), nodes);
  EXPECT_EQ(r.nodes_before, static_cast<int64_t>(nodes));
  EXPECT_EQ(r.nodes_after, static_cast<int64_t>(nodes));
}

TEST(PassManager, LevelOneRunsOnlyTheBasicPasses) {
  Model m = *conv_bn_relu_model();
  PassReport r = run_level(m, 1);
  for (const PassRun& run : r.runs) {
    EXPECT_TRUE(run.name == "eliminate_identity" || run.name == "eliminate_transpose" ||
                run.name == "eliminate_reshape" || run.name == "fold_constants" || run.name == "eliminate_dead_code")
        << run.name;
  }
  EXPECT_EQ(count_op(m.graph, "Identity"), 0);
  EXPECT_EQ(count_op(m.graph, "Constant"), 0);
  EXPECT_EQ(count_op(m.graph, "BatchNormalization"), 1);
  EXPECT_EQ(count_op(m.graph, "Conv"), 1);
  EXPECT_EQ(m.opset("fastserve"), 0);
}

TEST(PassManager, LevelsTwoAndThreeFuseAndReportEachPass) {
  for (int level : {2, 3}) {
    Model m = *conv_bn_relu_model();
    PassReport r = run_level(m, level);
    EXPECT_EQ(r.level, level);
    EXPECT_EQ(r.nodes_before, 7);
    EXPECT_EQ(r.nodes_after, 3);  // FusedConv, Relu, Add
    EXPECT_EQ(count_op(m.graph, "fastserve.FusedConv"), 1);
    EXPECT_EQ(count_op(m.graph, "BatchNormalization"), 0);
    EXPECT_EQ(m.opset("fastserve"), 1);

    std::vector<std::string> names;
    for (const PassRun& run : r.runs) {
      if (run.round == 1) names.push_back(run.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"eliminate_identity", "eliminate_transpose", "eliminate_reshape",
                                               "fold_constants", "eliminate_dead_code", "fuse_qdq",
                                               "fuse_block_quant_matmul", "fold_constants", "fold_batchnorm",
                                               "fuse_conv_activation", "fuse_gelu", "fuse_layer_norm",
                                               "fuse_matmul_bias", "fuse_attention", "fuse_matmul_integer_to_float",
                                               "fuse_add_activation", "eliminate_dead_code"}));
    const PassRun* bn = nullptr;
    for (const PassRun& run : r.runs) bn = run.name == "fold_batchnorm" ? &run : bn;
    ASSERT_NE(bn, nullptr);
    EXPECT_EQ(bn->rewrites, 1);
    EXPECT_EQ(bn->touched_ops, (std::vector<std::string>{"BatchNormalization", "Conv"}));
    EXPECT_EQ(bn->ops_before.at("BatchNormalization"), 1);
    EXPECT_EQ(bn->ops_after.count("BatchNormalization"), 0u);
    EXPECT_EQ(bn->nodes_before - bn->nodes_after, 1);
    // The last dead-code sweep drops the BN parameters and the unfolded weight.
    const PassRun& last = r.runs.back();
    EXPECT_EQ(last.name, "eliminate_dead_code");
    EXPECT_EQ(last.initializers_before - last.initializers_after, 5);
  }
}

TEST(PassManager, RepeatsTheBasicPassesUntilNothingChanges) {
  // Shape(Reshape(x, Shape(x))): the second Shape's input gets a static shape
  // only once the first Shape has folded, so it folds in round 2.
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId r = t.node("Reshape", "reshape", {x, t.node("Shape", "s1", {x})});
  ValueId s2 = t.node("Shape", "s2", {r});
  t.output(t.node("Reshape", "out", {x, s2}));
  Model m = *t.build();
  PassReport report = run_level(m, 1);
  EXPECT_EQ(count_op(m.graph, "Shape"), 0);
  bool second_round = false;
  for (const PassRun& run : report.runs) second_round = second_round || (run.name == "fold_constants" && run.round == 2);
  EXPECT_TRUE(second_round);
}

TEST(PassManager, RejectsLevelsOutOfRange) {
  Model m = *conv_bn_relu_model();
  for (int level : {-1, 4}) {
    PassContext ctx;
    Result<PassReport> r = run_passes(m, level, ctx);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("optimization level " + std::to_string(level)), std::string::npos);
  }
}

// A pass that leaves a node reading a value nobody defines.
Status break_graph(Model& model, PassContext& ctx) {
  Value v;
  v.name = "dangling";
  model.graph.nodes[0].inputs[0] = model.graph.add_value(std::move(v));
  ctx.note_rewrite({"Identity"});
  return ok_status();
}

// Rewrites once per call for its first three calls: needs three rounds plus
// one that changes nothing.
int g_calls = 0;
Status rewrite_three_times(Model&, PassContext& ctx) {
  if (++g_calls <= 3) ctx.note_rewrite({"Relu"});
  return ok_status();
}

Status fail_pass(Model&, PassContext&) { return unsupported("cannot do that"); }

TEST(PassManager, APassThatBreaksTheGraphIsNamed) {
  Model m = *conv_bn_relu_model();
  const Pass passes[] = {{"breaker", 1, false, &break_graph}};
  PassContext ctx;
  Result<PassReport> r = run_passes(m, 3, ctx, passes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("pass breaker left an inconsistent graph"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("dangling"), std::string::npos) << r.status().message();

  const Pass failing[] = {{"failing", 2, false, &fail_pass}};
  Model m2 = *conv_bn_relu_model();
  r = run_passes(m2, 2, ctx, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("pass failing: cannot do that"), std::string::npos) << r.status().message();
  // Below its level the pass does not run at all.
  Model m3 = *conv_bn_relu_model();
  EXPECT_TRUE(run_passes(m3, 1, ctx, failing).ok());
}

TEST(PassManager, FixedPointGroupRunsUntilARoundChangesNothing) {
  Model m = *conv_bn_relu_model();
  const Pass passes[] = {{"thrice", 1, true, &rewrite_three_times}};
  g_calls = 0;
  PassContext ctx;
  Result<PassReport> r = run_passes(m, 1, ctx, passes);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(g_calls, 4);
  ASSERT_EQ(r->runs.size(), 3u);  // rounds 2 and 3 changed something and are listed; round 4 is not
  EXPECT_EQ(r->runs[2].round, 3);
  EXPECT_EQ(r->runs[2].touched_ops, (std::vector<std::string>{"Relu"}));
}

TEST(PassManager, TableListsEveryPassInOrderWithItsLevel) {
  std::vector<std::string> names;
  for (const Pass& p : all_passes()) {
    names.push_back(p.name);
    EXPECT_GE(p.min_level, 1);
    EXPECT_LE(p.min_level, kMaxOptimizationLevel);
  }
  EXPECT_EQ(names.size(), 17u);
  EXPECT_EQ(names.front(), "eliminate_identity");
  EXPECT_EQ(names.back(), "eliminate_dead_code");
}

}  // namespace
}  // namespace fastserve
