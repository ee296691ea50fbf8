// eliminate_identity: Identity, inference Dropout and same-type Cast go;
// consumers are rewired; graph outputs keep their names.
#include <gtest/gtest.h>

#include <random>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

TEST(EliminateIdentity, RemovesIdentityDropoutAndSameTypeCastAndRewiresReaders) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId a = t.node("Relu", "relu", {x});
  ValueId b = t.node("Identity", "id", {a});
  ValueId c = t.node_n("Dropout", "drop", {b}, 2)[0];  // mask output unused
  ValueId d = t.node("Cast", "cast", {c}, {attr_int("to", 1)});  // float -> float
  t.output(t.node("Sigmoid", "sig", {d}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_identity);
  EXPECT_EQ(ctx.rewrites, 3);
  ASSERT_EQ(opt.graph.nodes.size(), 2u);
  const Node* sig = producer_of(opt.graph, "sig_out0");
  ASSERT_NE(sig, nullptr);
  EXPECT_EQ(input_name(opt.graph, *sig, 0), "relu_out0");
  EXPECT_EQ(ctx.touched_ops, (std::set<std::string>{"Cast", "Dropout", "Identity"}));
  testing::expect_same_outputs(m, 1);
}

TEST(EliminateIdentity, GraphOutputKeepsItsNameThroughTheProducer) {
  // relu -> Identity -> graph output "id_out0"; relu's output also feeds Tanh.
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4});
  ValueId a = t.node("Relu", "relu", {x});
  ValueId y = t.node("Identity", "id", {a});
  t.output(y);
  t.output(t.node("Tanh", "tanh", {a}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  testing::run_pass(opt, &eliminate_identity);
  ASSERT_EQ(opt.graph.nodes.size(), 2u);
  const Node* relu = producer_of(opt.graph, "id_out0");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->op_type, "Relu");
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "tanh_out0"), 0), "id_out0");
  ASSERT_EQ(opt.graph.outputs.size(), 2u);
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.outputs[0])].name, "id_out0");
  testing::expect_same_outputs(m, 2);
}

TEST(EliminateIdentity, KeepsIdentityBetweenGraphInputAndGraphOutput) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {3});
  t.output(t.node("Identity", "id", {x}));
  // An Identity from a value that is itself a graph output must stay too.
  ValueId r = t.node("Relu", "relu", {x});
  t.output(r);
  t.output(t.node("Identity", "id2", {r}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_identity);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Identity"), 2);
  testing::expect_same_outputs(m, 3);
}

TEST(EliminateIdentity, KeepsDropoutWhoseMaskIsReadOrWhoseTrainingModeIsNotConstantFalse) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 2});
  ValueId training = t.input("training", DType::kBool, {});
  ValueId no = t.constant("no", Tensor::scalar<bool>(false));
  ValueId ratio = t.constant("ratio", Tensor::scalar<float>(0.5f));
  std::vector<ValueId> masked = t.node_n("Dropout", "masked", {x}, 2);
  t.output(masked[0]);
  t.output(masked[1]);  // the mask is a graph output: the node must stay
  t.output(t.node("Relu", "r1", {t.node("Dropout", "runtime_mode", {x, ratio, training})}));
  t.output(t.node("Relu", "r2", {t.node("Dropout", "inference", {x, ratio, no})}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_identity);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "Dropout"), 2);
  EXPECT_EQ(producer_of(opt.graph, "inference_out0"), nullptr);
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "r2_out0"), 0), "x");
}

TEST(EliminateIdentity, KeepsCastToAnotherType) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {5});
  ValueId i = t.node("Cast", "to_int", {x}, {attr_int("to", 6)});  // int32
  ValueId f = t.node("Cast", "to_float", {i}, {attr_int("to", 1)});
  t.output(t.node("Relu", "relu", {f}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_identity);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Cast"), 2);
  testing::expect_same_outputs(m, 4);
}

}  // namespace
}  // namespace fastserve
