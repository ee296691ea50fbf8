// Session with graph passes: the optimization_level option, the optimized
// graph and pass report it exposes, and that optimizing shares the weights
// rather than copying them.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "fastserve/session.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_ints;
using testing::count_op;
using testing::TestModel;

// x -> Conv -> Relu -> y
std::shared_ptr<Model> conv_relu_model(std::mt19937& rng) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 3, 8, 8});
  ValueId conv = t.node("Conv", "conv",
                        {x, t.constant("w", testing::random_f32({4, 3, 3, 3}, rng)),
                         t.constant("b", testing::random_f32({4}, rng))},
                        {attr_ints("pads", {1, 1, 1, 1})});
  t.output(t.node("Relu", "relu", {conv}));
  return t.build();
}

TEST(SessionOptimization, DefaultLevelIsThreeAndFusesIntoTheCompiledGraph) {
  std::mt19937 rng(90);
  std::shared_ptr<Model> m = conv_relu_model(rng);
  EXPECT_EQ(SessionOptions{}.optimization_level, 3);
  Result<std::unique_ptr<Session>> s = Session::create(m);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const Session& session = **s;
  EXPECT_EQ(count_op(session.model().graph, "fastserve.FusedConv"), 1);
  EXPECT_EQ(session.kernel_choices().size(), 1u);
  EXPECT_EQ(session.kernel_choices()[0].op_type, "FusedConv");
  EXPECT_EQ(session.pass_report().level, 3);
  EXPECT_EQ(session.pass_report().nodes_before, 2);
  EXPECT_EQ(session.pass_report().nodes_after, 1);
  EXPECT_FALSE(session.pass_report().runs.empty());
  // The caller's model is untouched.
  EXPECT_EQ(count_op(m->graph, "Conv"), 1);
  EXPECT_EQ(count_op(m->graph, "Relu"), 1);
  testing::expect_same_outputs(m, 91);
}

TEST(SessionOptimization, OptimizedGraphSharesTheWeightBuffers) {
  std::mt19937 rng(92);
  std::shared_ptr<Model> m = conv_relu_model(rng);
  Result<std::unique_ptr<Session>> s = Session::create(m);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const Graph& before = m->graph;
  const Graph& after = (*s)->model().graph;
  for (const char* name : {"w", "b"}) {
    const ValueId a = before.find_value(name), b = after.find_value(name);
    ASSERT_NE(a, kNoValue);
    ASSERT_NE(b, kNoValue) << name;
    // The conv packed w and reads no other copy: the session dropped its
    // handle (packed_weights_test.cc). b is read at run time, in place.
    const void* got = after.values[static_cast<size_t>(b)].initializer.raw_data();
    if (std::string(name) == "w") {
      EXPECT_EQ(got, nullptr) << "w was kept beside its packed copy";
    } else {
      EXPECT_EQ(got, before.values[static_cast<size_t>(a)].initializer.raw_data()) << name << " was copied";
    }
  }
}

TEST(SessionOptimization, LevelZeroCompilesTheGraphAsGiven) {
  std::mt19937 rng(93);
  std::shared_ptr<Model> m = conv_relu_model(rng);
  SessionOptions o;
  o.optimization_level = 0;
  Result<std::unique_ptr<Session>> s = Session::create(m, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)->model().graph.nodes.size(), 2u);
  EXPECT_EQ((*s)->pass_report().level, 0);
  EXPECT_TRUE((*s)->pass_report().runs.empty());
  EXPECT_EQ((*s)->pass_report().nodes_after, 2);
}

TEST(SessionOptimization, RejectsALevelOutOfRange) {
  std::mt19937 rng(94);
  std::shared_ptr<Model> m = conv_relu_model(rng);
  for (int level : {-1, 4}) {
    SessionOptions o;
    o.optimization_level = level;
    Result<std::unique_ptr<Session>> s = Session::create(m, o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("optimization_level"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find(std::to_string(level)), std::string::npos) << s.status().message();
  }
}

TEST(SessionOptimization, ConstantFoldingUsesTheSessionsKernelsAndIsaCap) {
  // A Constant -> Mul -> Add chain folds at every ISA cap and gives the same outputs.
  std::mt19937 rng(95);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {3, 17});
  ValueId w = t.constant("w", testing::random_f32({3, 17}, rng));
  ValueId k = t.node("Constant", "k", {}, {testing::attr_tensor("value", testing::random_f32({17}, rng))});
  t.output(t.node("Add", "add", {x, t.node("Mul", "mul", {w, k})}));
  std::shared_ptr<Model> m = t.build();
  for (const char* isa : {"scalar", ""}) {
    SessionOptions o;
    o.max_isa = isa;
    Result<std::unique_ptr<Session>> s = Session::create(m, o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_EQ((*s)->model().graph.nodes.size(), 1u) << isa;
  }
  testing::expect_same_outputs(m, 96);
}

}  // namespace
}  // namespace fastserve
