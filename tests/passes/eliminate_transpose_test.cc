// eliminate_transpose: Transpose pairs compose into one Transpose (or none,
// when the composed perm is the identity), identity Transposes go, graph
// output names survive, and an inner Transpose someone else reads stays.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_ints;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

ValueId transpose(TestModel& t, const std::string& name, ValueId x, std::vector<int64_t> perm) {
  return t.node("Transpose", name, {x}, perm.empty() ? std::vector<Attribute>{} : std::vector{attr_ints("perm", perm)});
}

TEST(EliminateTranspose, PairComposesIntoOnePerm) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4, 5})});
  ValueId a = transpose(t, "t1", x, {0, 2, 3, 1});  // NCHW -> NHWC
  ValueId b = transpose(t, "t2", a, {1, 0, 3, 2});
  t.output(t.node("Neg", "post", {b}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_transpose);
  EXPECT_EQ(ctx.rewrites, 1);
  ASSERT_EQ(count_op(opt.graph, "Transpose"), 2);  // t1 stays for eliminate_dead_code
  const Node* t2 = producer_of(opt.graph, "t2_out0");
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(input_name(opt.graph, *t2, 0), "pre_out0");
  // c[j] = p1[p2[j]]: {p1[1], p1[0], p1[3], p1[2]} = {2, 0, 1, 3}
  EXPECT_EQ(t2->attr("perm")->ints, (std::vector<int64_t>{2, 0, 1, 3}));
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(t2->outputs[0])].shape, Shape({4, 2, 3, 5}));
  testing::expect_same_outputs(m, 31, 1);
}

TEST(EliminateTranspose, InversePairAndIdentityPermVanish) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4})});
  ValueId a = transpose(t, "t1", x, {2, 0, 1});
  ValueId b = transpose(t, "t2", a, {1, 2, 0});  // the inverse
  ValueId c = transpose(t, "t3", t.node("Neg", "mid", {b}), {0, 1, 2});  // identity
  t.output(t.node("Abs", "post", {c}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &eliminate_transpose);
  testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 0);
  const Node* mid = producer_of(opt.graph, "mid_out0");
  ASSERT_NE(mid, nullptr);
  EXPECT_EQ(input_name(opt.graph, *mid, 0), "pre_out0");
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "post_out0"), 0), "mid_out0");
  testing::expect_same_outputs(m, 32, 1);
}

TEST(EliminateTranspose, ChainOfThreeAndDefaultPerm) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4})});
  ValueId a = transpose(t, "t1", x, {});  // no perm: reverse -> {2, 1, 0}
  ValueId b = transpose(t, "t2", a, {1, 0, 2});
  ValueId c = transpose(t, "t3", b, {0, 2, 1});
  t.output(c);
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &eliminate_transpose);
  testing::run_pass(opt, &eliminate_dead_code);
  ASSERT_EQ(count_op(opt.graph, "Transpose"), 1);
  const Node* t3 = producer_of(opt.graph, "t3_out0");
  ASSERT_NE(t3, nullptr);
  EXPECT_EQ(input_name(opt.graph, *t3, 0), "pre_out0");
  // c = t1∘t2 = {p1[1], p1[0], p1[2]} = {1, 2, 0}; then t3: {c[0], c[2], c[1]} = {1, 0, 2}
  EXPECT_EQ(t3->attr("perm")->ints, (std::vector<int64_t>{1, 0, 2}));
  testing::expect_same_outputs(m, 33, 1);
}

TEST(EliminateTranspose, GraphOutputKeepsItsName) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {3, 5})});
  ValueId a = transpose(t, "t1", x, {1, 0});
  t.output(transpose(t, "t2", a, {1, 0}));  // the graph output is x again
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &eliminate_transpose);
  testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 0);
  ASSERT_EQ(opt.graph.outputs.size(), 1u);
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.outputs[0])].name, "t2_out0");
  const Node* relu = producer_of(opt.graph, "t2_out0");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->op_type, "Relu");
  testing::expect_same_outputs(m, 34, 1);
}

TEST(EliminateTranspose, IdentityFromGraphInputToGraphOutputStays) {
  TestModel t;
  ValueId x = t.input("in", DType::kF32, {3, 5});
  t.output(transpose(t, "t", x, {0, 1}));  // no producer could write the output's name
  Model opt = *t.build();
  PassContext ctx = testing::run_pass(opt, &eliminate_transpose);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 1);
}

TEST(EliminateTranspose, InnerTransposeWithAnotherReaderStays) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4})});
  ValueId a = transpose(t, "t1", x, {1, 2, 0});
  t.output(transpose(t, "t2", a, {2, 0, 1}));  // inverse of t1
  t.output(t.node("Neg", "other", {a}));       // a second reader of t1's output
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &eliminate_transpose);
  testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 1);  // t1, for Neg
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "other_out0"), 0), "t1_out0");
  EXPECT_EQ(producer_of(opt.graph, "t2_out0")->op_type, "Relu");  // t2 was the identity: the output name moved
  testing::expect_same_outputs(m, 35, 1);
}

}  // namespace
}  // namespace fastserve
