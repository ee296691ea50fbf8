// fuse_gelu: the decomposed exact and tanh GELUs that exporters write become
// one Gelu node (fastserve.FusedGelu before opset 20, ONNX Gelu from 20) with the
// same outputs; near misses stay as they are.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::count_op;
using testing::producer_of;
using testing::TestModel;

ValueId scalar(TestModel& t, const std::string& name, double v) {
  return t.constant(name, Tensor::scalar<float>(static_cast<float>(v)));
}

enum class Tail { kMulXThenHalf, kHalfXThenMul, kHalfThenMulX };

// y = GELU(x) spelled out; `x` is the output of a Relu-free Sigmoid so that
// x itself has a producer, as in a model.
ValueId erf_gelu(TestModel& t, ValueId x, Tail tail, bool div_form = true, double sqrt2 = std::sqrt(2.0),
                 ValueId* erf_out = nullptr) {
  ValueId d = div_form ? t.node("Div", "div", {x, scalar(t, "sqrt2", sqrt2)})
                       : t.node("Mul", "scale", {scalar(t, "inv_sqrt2", 1.0 / sqrt2), x});
  ValueId e = t.node("Erf", "erf", {d});
  if (erf_out != nullptr) *erf_out = e;
  ValueId a = t.node("Add", "add1", {scalar(t, "one", 1.0), e});
  switch (tail) {
    case Tail::kMulXThenHalf: return t.node("Mul", "half", {t.node("Mul", "mulx", {x, a}), scalar(t, "h", 0.5)});
    case Tail::kHalfXThenMul: return t.node("Mul", "out", {a, t.node("Mul", "halfx", {scalar(t, "h", 0.5), x})});
    case Tail::kHalfThenMulX: return t.node("Mul", "out", {x, t.node("Mul", "halfa", {a, scalar(t, "h", 0.5)})});
  }
  return kNoValue;
}

ValueId tanh_gelu(TestModel& t, ValueId x, bool pow_form) {
  ValueId cube = pow_form ? t.node("Pow", "pow", {x, scalar(t, "three", 3.0)})
                          : t.node("Mul", "cube", {x, t.node("Mul", "sq", {x, x})});
  ValueId q = t.node("Mul", "q", {scalar(t, "c", 0.044715), cube});
  ValueId s = t.node("Add", "s", {x, q});
  ValueId u = t.node("Mul", "u", {s, scalar(t, "k", std::sqrt(2.0 / std::numbers::pi))});
  ValueId e = t.node("Tanh", "tanh", {u});
  ValueId a = t.node("Add", "add1", {e, scalar(t, "one", 1.0)});
  return t.node("Mul", "half", {scalar(t, "h", 0.5), t.node("Mul", "mulx", {x, a})});
}

TEST(FuseGelu, ExactFormEveryTailAndScaleSpelling) {
  for (Tail tail : {Tail::kMulXThenHalf, Tail::kHalfXThenMul, Tail::kHalfThenMulX}) {
    for (bool div_form : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "tail " << static_cast<int>(tail) << " div " << div_form);
      TestModel t;
      ValueId x = t.node("Sigmoid", "pre", {t.input("in", DType::kF32, {2, 7})});
      ValueId y = erf_gelu(t, x, tail, div_form);
      t.output(y);
      std::shared_ptr<Model> m = t.build();
      Model opt = *m;
      PassContext ctx = testing::run_pass(opt, &fuse_gelu);
      EXPECT_EQ(ctx.rewrites, 1);
      ASSERT_EQ(opt.graph.nodes.size(), 2u);
      const Node* g = producer_of(opt.graph, opt.graph.values[static_cast<size_t>(y)].name);
      ASSERT_NE(g, nullptr);
      EXPECT_EQ(g->op_type, "FusedGelu");
      EXPECT_EQ(g->domain, "fastserve");  // opset 17 has no ONNX Gelu
      EXPECT_EQ(g->attr("approximate"), nullptr);
      EXPECT_EQ(opt.opset("fastserve"), 1);
      testing::expect_same_outputs(m, 7, 3, 1e-6, 1e-5);
    }
  }
}

TEST(FuseGelu, TanhFormWithPowOrMul) {
  for (bool pow_form : {true, false}) {
    SCOPED_TRACE(pow_form);
    TestModel t;
    ValueId x = t.node("Sigmoid", "pre", {t.input("in", DType::kF32, {3, 5})});
    t.output(tanh_gelu(t, x, pow_form));
    std::shared_ptr<Model> m = t.build();
    Model opt = *m;
    testing::run_pass(opt, &fuse_gelu);
    ASSERT_EQ(opt.graph.nodes.size(), 2u);
    const Node& g = opt.graph.nodes[1];
    EXPECT_EQ(g.op_type, "FusedGelu");
    ASSERT_NE(g.attr("approximate"), nullptr);
    EXPECT_EQ(g.attr("approximate")->s, "tanh");
    testing::expect_same_outputs(m, 8, 3, 1e-6, 1e-5);
  }
}

TEST(FuseGelu, Opset20GetsOnnxGelu) {
  TestModel t(20);
  ValueId x = t.input("in", DType::kF32, {4});
  t.output(erf_gelu(t, x, Tail::kMulXThenHalf));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &fuse_gelu);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  EXPECT_EQ(opt.graph.nodes[0].op_type, "Gelu");
  EXPECT_EQ(opt.graph.nodes[0].domain, "");
  EXPECT_EQ(opt.opset("fastserve"), 0);
  testing::expect_same_outputs(m, 9, 3, 1e-6, 1e-5);
}

TEST(FuseGelu, NearMissesAreLeftAlone) {
  {  // a wrong constant: x / 1.5 is not GELU
    TestModel t;
    ValueId x = t.input("in", DType::kF32, {4});
    t.output(erf_gelu(t, x, Tail::kMulXThenHalf, true, 1.5));
    Model opt = *t.build();
    testing::run_pass(opt, &fuse_gelu);
    EXPECT_EQ(count_op(opt.graph, "Erf"), 1);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedGelu"), 0);
  }
  {  // an intermediate someone else reads (the Erf output is also a graph output)
    TestModel t;
    ValueId x = t.input("in", DType::kF32, {4});
    ValueId e = kNoValue;
    t.output(erf_gelu(t, x, Tail::kMulXThenHalf, true, std::sqrt(2.0), &e));
    t.output(e);
    Model opt = *t.build();
    testing::run_pass(opt, &fuse_gelu);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedGelu"), 0);
  }
}

}  // namespace
}  // namespace fastserve
