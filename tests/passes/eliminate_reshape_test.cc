// eliminate_reshape: Reshape of a reshape reads the original input (with a
// static shape spelled out when the outer shape has a 0 that would copy a
// dim), reshapes to the shape their input already has go, graph output
// names survive, and a reshape someone else reads stays.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "passes/graph_edit.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

ValueId shape_const(TestModel& t, const std::string& name, std::vector<int64_t> dims) {
  return t.constant(name, Tensor::from_vector<int64_t>(dims));
}

std::vector<int64_t> shape_input_of(const Graph& g, const Node& n) {
  const Tensor* s = constant_input(g, n, 1);
  if (s == nullptr) return {};
  return s->to_int64_vector().value();
}

TEST(EliminateReshape, ReshapeOfReshapeReadsTheOriginalInput) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4})});
  ValueId a = t.node("Reshape", "r1", {x, shape_const(t, "s1", {6, 4})});
  ValueId b = t.node("Reshape", "r2", {a, shape_const(t, "s2", {-1, 3})});
  t.output(t.node("Neg", "post", {b}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_reshape);
  EXPECT_EQ(ctx.rewrites, 1);
  ASSERT_EQ(count_op(opt.graph, "Reshape"), 1);
  const Node* r2 = producer_of(opt.graph, "r2_out0");
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(input_name(opt.graph, *r2, 0), "pre_out0");
  EXPECT_EQ(input_name(opt.graph, *r2, 1), "s2");  // no 0 in it: kept as it is
  testing::expect_same_outputs(m, 51, 1);
}

TEST(EliminateReshape, FlattenSqueezeUnsqueezeFoldIntoTheReshapeAfterThem) {
  struct Case {
    const char* op;
    std::vector<Attribute> attrs;
    bool axes_input;  // Squeeze / Unsqueeze take axes as an input from opset 13
  };
  for (const Case& c : {Case{"Flatten", {attr_int("axis", 1)}, false}, Case{"Unsqueeze", {}, true},
                        Case{"Squeeze", {}, true}}) {
    SCOPED_TRACE(c.op);
    TestModel t;
    ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 1, 6})});
    std::vector<ValueId> ins = {x};
    if (c.axes_input) ins.push_back(shape_const(t, "axes", {1}));
    ValueId a = t.node(c.op, "inner", ins, c.attrs);
    t.output(t.node("Reshape", "r", {a, shape_const(t, "s", {3, 4})}));
    std::shared_ptr<Model> m = t.build();
    Model opt = *m;
    testing::run_pass(opt, &eliminate_reshape);
    EXPECT_EQ(count_op(opt.graph, c.op), 0);
    const Node* r = producer_of(opt.graph, "r_out0");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(input_name(opt.graph, *r, 0), "pre_out0");
    testing::expect_same_outputs(m, 52, 1);
  }
}

TEST(EliminateReshape, ZeroInTheOuterShapeIsSpelledOutWhenStatic) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 4})});
  ValueId a = t.node("Reshape", "r1", {x, shape_const(t, "s1", {4, 6})});
  // 0 copies r1's dim 0 (4); x's dim 0 is 2: keeping s2 would be wrong.
  t.output(t.node("Reshape", "r2", {a, shape_const(t, "s2", {0, 3, -1})}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &eliminate_reshape);
  ASSERT_EQ(count_op(opt.graph, "Reshape"), 1);
  const Node* r2 = producer_of(opt.graph, "r2_out0");
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(input_name(opt.graph, *r2, 0), "pre_out0");
  EXPECT_EQ(shape_input_of(opt.graph, *r2), (std::vector<int64_t>{4, 3, 2}));
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(r2->outputs[0])].shape, Shape({4, 3, 2}));
  testing::expect_same_outputs(m, 53, 1);
}

TEST(EliminateReshape, ZeroWithADynamicShapeIsLeftAlone) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {kUnknownDim, 3, 4}, {"n", "", ""})});
  ValueId a = t.node("Reshape", "r1", {x, shape_const(t, "s1", {0, 12})});
  t.output(t.node("Reshape", "r2", {a, shape_const(t, "s2", {0, 3, 4})}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_reshape);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Reshape"), 2);
  {  // with allowzero=1 the 0 is a literal zero-sized dim, not a copy: the pair folds
    // (structure only: this graph would fail at run time unless n is 0)
    TestModel u(14);
    ValueId y = u.node("Relu", "pre", {u.input("in", DType::kF32, {kUnknownDim, 3, 4}, {"n", "", ""})});
    ValueId b = u.node("Reshape", "r1", {y, shape_const(u, "s1", {-1, 12})});
    u.output(u.node("Reshape", "r2", {b, shape_const(u, "s2", {0, 3, 4})}, {attr_int("allowzero", 1)}));
    Model opt2 = *u.build();
    PassContext ctx2 = testing::run_pass(opt2, &eliminate_reshape);
    EXPECT_EQ(ctx2.rewrites, 1);
    EXPECT_EQ(count_op(opt2.graph, "Reshape"), 1);
  }
}

TEST(EliminateReshape, InnerReshapeWithAnotherReaderStays) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 6})});
  ValueId a = t.node("Reshape", "r1", {x, shape_const(t, "s1", {3, 4})});
  t.output(t.node("Reshape", "r2", {a, shape_const(t, "s2", {12})}));
  t.output(t.node("Neg", "other", {a}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_reshape);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Reshape"), 2);
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "r2_out0"), 0), "r1_out0");
}

TEST(EliminateReshape, NoOpReshapesGoAndGraphOutputsKeepTheirNames) {
  TestModel t;
  ValueId x = t.node("Relu", "pre", {t.input("in", DType::kF32, {2, 3, 1})});
  ValueId a = t.node("Reshape", "same", {x, shape_const(t, "s", {2, 0, -1})});  // {2, 3, 1} again
  ValueId b = t.node("Flatten", "flat", {t.node("Neg", "mid", {a})}, {attr_int("axis", 2)});  // [6, 1]
  ValueId c = t.node("Squeeze", "sq", {t.node("Abs", "abs", {b}), shape_const(t, "ax", {1})});  // [6]
  ValueId d = t.node("Unsqueeze", "unsq", {t.node("Sigmoid", "sig", {c}), shape_const(t, "ax0", {0})});  // [1, 6]
  t.output(t.node("Reshape", "last", {t.node("Tanh", "tanh", {d}), shape_const(t, "s_last", {1, 6})}));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &eliminate_reshape);
  EXPECT_EQ(ctx.rewrites, 2);
  testing::run_pass(opt, &eliminate_dead_code);
  EXPECT_EQ(input_name(opt.graph, *producer_of(opt.graph, "mid_out0"), 0), "pre_out0");  // "same" went
  EXPECT_EQ(count_op(opt.graph, "Flatten"), 1);
  EXPECT_EQ(count_op(opt.graph, "Squeeze"), 1);
  EXPECT_EQ(count_op(opt.graph, "Unsqueeze"), 1);
  EXPECT_EQ(count_op(opt.graph, "Reshape"), 0);
  // "last" reshaped [1, 6] to [1, 6], and its output is the graph's: the
  // Tanh now writes that name.
  const Node* last = producer_of(opt.graph, "last_out0");
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->op_type, "Tanh");
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.outputs[0])].name, "last_out0");
  testing::expect_same_outputs(m, 54, 1);
}

TEST(EliminateReshape, NoOpFromGraphInputToGraphOutputStays) {
  TestModel t;
  ValueId x = t.input("in", DType::kF32, {2, 3});
  t.output(t.node("Reshape", "r", {x, shape_const(t, "s", {2, 3})}));
  Model opt = *t.build();
  PassContext ctx = testing::run_pass(opt, &eliminate_reshape);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "Reshape"), 1);
}

}  // namespace
}  // namespace fastserve
