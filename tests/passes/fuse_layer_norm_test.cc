// fuse_layer_norm: the decomposed LayerNorm (ReduceMean, Sub, Pow or Mul,
// ReduceMean, Add eps, Sqrt, Div or Reciprocal+Mul, optional gamma / beta)
// becomes one LayerNormalization (opset 17+) or fastserve.FusedLayerNorm
// (older opsets) computing the same outputs; near misses stay unfused.
#include <gtest/gtest.h>

#include <random>
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
using testing::producer_of;
using testing::TestModel;

struct Spelling {
  int64_t opset = 13;
  std::vector<int64_t> axes = {-1};
  bool pow = true;          // Pow(D, 2), else Mul(D, D)
  bool div = true;          // Div(D, s), else Mul(D, Reciprocal(s))
  bool affine = true;       // Mul(gamma) and Add(beta)
  Shape gamma_shape{8};     // broadcast over the normalized dims
  double eps = 1e-5;
  bool eps_is_input = false;  // a graph input: not a constant
};

// ReduceMean over `axes`, keepdims=1: the axes as an attribute before opset
// 18, as a constant input from 18 on.
ValueId reduce_mean(TestModel& t, const std::string& name, ValueId x, const Spelling& s) {
  if (s.opset >= 18) {
    ValueId axes = t.constant(name + "_axes", Tensor::from_vector<int64_t>(s.axes));
    return t.node("ReduceMean", name, {x, axes});
  }
  return t.node("ReduceMean", name, {x}, {attr_ints("axes", s.axes)});
}

struct Built {
  std::shared_ptr<Model> model;
  ValueId x = kNoValue, d = kNoValue, mean = kNoValue, y = kNoValue;
};

// y = LayerNorm(x) spelled out; x comes out of a Relu so it has a producer
// and another reader (the residual Add below), as in a transformer block.
Built build(const Spelling& s, const Shape& shape, bool residual = true) {
  TestModel t(s.opset);
  std::mt19937 rng(5);
  Built b;
  ValueId in = t.input("in", DType::kF32, shape);
  b.x = t.node("Relu", "pre", {in});
  b.mean = reduce_mean(t, "mean", b.x, s);
  b.d = t.node("Sub", "sub", {b.x, b.mean});
  ValueId sq = s.pow ? t.node("Pow", "pow", {b.d, t.constant("two", Tensor::scalar<float>(2.f))})
                     : t.node("Mul", "sq", {b.d, b.d});
  ValueId var = reduce_mean(t, "var", sq, s);
  ValueId eps = s.eps_is_input ? t.input("eps", DType::kF32, Shape{})
                               : t.constant("eps", Tensor::scalar<float>(static_cast<float>(s.eps)));
  ValueId sd = t.node("Sqrt", "sqrt", {t.node("Add", "add_eps", {eps, var})});
  ValueId n = s.div ? t.node("Div", "div", {b.d, sd})
                    : t.node("Mul", "norm", {t.node("Reciprocal", "recip", {sd}), b.d});
  if (s.affine) {
    n = t.node("Mul", "gamma_mul", {n, t.constant("gamma", testing::random_f32(s.gamma_shape, rng, 0.5, 1.5))});
    n = t.node("Add", "beta_add", {t.constant("beta", testing::random_f32(s.gamma_shape, rng)), n});
  }
  b.y = n;
  t.output(residual ? t.node("Add", "residual", {n, b.x}) : n);
  b.model = t.build();
  return b;
}

// The pass on a copy; the node writing y (checked to be the one fused node).
const Node* fuse(const Built& b, Model& opt, int64_t want_rewrites = 1) {
  opt = *b.model;
  PassContext ctx = testing::run_pass(opt, &fuse_layer_norm);
  EXPECT_EQ(ctx.rewrites, want_rewrites);
  return producer_of(opt.graph, b.model->graph.values[static_cast<size_t>(b.y)].name);
}

TEST(FuseLayerNorm, Opset13EverySpellingBecomesFusedLayerNorm) {
  for (bool pow : {true, false}) {
    for (bool div : {true, false}) {
      for (bool affine : {true, false}) {
        SCOPED_TRACE(::testing::Message() << "pow " << pow << " div " << div << " affine " << affine);
        Spelling s;
        s.pow = pow;
        s.div = div;
        s.affine = affine;
        Built b = build(s, Shape{3, 5, 8});
        Model opt;
        const Node* ln = fuse(b, opt);
        ASSERT_NE(ln, nullptr);
        EXPECT_EQ(ln->op_type, "FusedLayerNorm");
        EXPECT_EQ(ln->domain, "fastserve");
        ASSERT_NE(ln->attr("axis"), nullptr);
        EXPECT_EQ(ln->attr("axis")->i, 2);
        ASSERT_NE(ln->attr("epsilon"), nullptr);
        EXPECT_FLOAT_EQ(ln->attr("epsilon")->f, 1e-5f);
        EXPECT_EQ(ln->inputs.size(), affine ? 3u : 2u);
        EXPECT_EQ(ln->inputs[0], b.x);
        const Tensor* scale = constant_input(opt.graph, *ln, 1);
        ASSERT_NE(scale, nullptr);
        EXPECT_EQ(scale->shape(), Shape({8}));
        if (!affine) {  // ones without gamma
          EXPECT_EQ(scale->data<float>()[3], 1.f);
        }
        EXPECT_EQ(opt.opset("fastserve"), 1);
        // Relu, the fused node, the residual Add.
        EXPECT_EQ(opt.graph.nodes.size(), 3u);
        testing::expect_same_outputs(b.model, 21, 3, 1e-5, 1e-4);
      }
    }
  }
}

TEST(FuseLayerNorm, Opset17AttributeAxesBecomeOnnxLayerNormalization) {
  Spelling s;
  s.opset = 17;
  s.axes = {2, 3};  // non-negative, two trailing dims
  s.gamma_shape = Shape{4, 6};
  s.eps = 1e-3;
  Built b = build(s, Shape{2, 3, 4, 6});
  Model opt;
  const Node* ln = fuse(b, opt);
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->op_type, "LayerNormalization");
  EXPECT_EQ(ln->domain, "");
  EXPECT_EQ(ln->attr("axis")->i, 2);
  EXPECT_FLOAT_EQ(ln->attr("epsilon")->f, 1e-3f);
  EXPECT_EQ(opt.opset("fastserve"), 0);
  testing::expect_same_outputs(b.model, 22, 3, 1e-5, 1e-4);
}

TEST(FuseLayerNorm, Opset18ConstantAxesInputAndBroadcastGamma) {
  Spelling s;
  s.opset = 18;
  s.axes = {-1, -2};  // negative, out of order
  s.gamma_shape = Shape{1, 5};  // the same gamma for every row of the 4 x 5 block
  s.div = false;
  Built b = build(s, Shape{3, 4, 5}, /*residual=*/false);
  Model opt;
  const Node* ln = fuse(b, opt);
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->op_type, "LayerNormalization");
  EXPECT_EQ(ln->attr("axis")->i, 1);
  // gamma and beta were expanded to the normalized dims (the CPU kernels' row operand).
  const Tensor* scale = constant_input(opt.graph, *ln, 1);
  const Tensor* bias = constant_input(opt.graph, *ln, 2);
  ASSERT_NE(scale, nullptr);
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(scale->shape(), Shape({4, 5}));
  EXPECT_EQ(scale->data<float>()[7], scale->data<float>()[2]);
  EXPECT_EQ(opt.graph.nodes.size(), 2u);
  // y is the graph output: its name survives.
  EXPECT_EQ(opt.graph.values[static_cast<size_t>(opt.graph.outputs[0])].name, "beta_add_out0");
  testing::expect_same_outputs(b.model, 23, 3, 1e-5, 1e-4);
}

TEST(FuseLayerNorm, IntegerPowExponentMatches) {
  TestModel t(13);
  ValueId x = t.input("in", DType::kF32, {4, 6});
  ValueId mean = t.node("ReduceMean", "mean", {x}, {attr_ints("axes", {-1})});
  ValueId d = t.node("Sub", "sub", {x, mean});
  ValueId sq = t.node("Pow", "pow", {d, t.constant("two", Tensor::scalar<int64_t>(2))});
  ValueId var = t.node("ReduceMean", "var", {sq}, {attr_ints("axes", {-1})});
  ValueId sd = t.node("Sqrt", "sqrt", {t.node("Add", "add_eps", {var, t.constant("eps", Tensor::scalar(1e-5f))})});
  t.output(t.node("Div", "div", {d, sd}));
  Model opt = *t.build();
  PassContext ctx = testing::run_pass(opt, &fuse_layer_norm);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedLayerNorm"), 1);
  EXPECT_EQ(opt.graph.nodes.size(), 1u);
}

TEST(FuseLayerNorm, GammaThatVariesOverRowsStaysAMul) {
  Spelling s;
  s.gamma_shape = Shape{5, 8};  // varies over dim 1, which is not normalized
  Built b = build(s, Shape{3, 5, 8});
  Model opt;
  const Node* last = fuse(b, opt);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->op_type, "Add");  // beta: it follows a Mul that stayed
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedLayerNorm"), 1);
  EXPECT_EQ(count_op(opt.graph, "Mul"), 1);
  testing::expect_same_outputs(b.model, 24, 3, 1e-5, 1e-4);
}

TEST(FuseLayerNorm, NonTrailingAxesAreLeftAlone) {
  Spelling s;
  s.axes = {1};  // of rank 3: the middle dim
  s.affine = false;
  Built b = build(s, Shape{3, 5, 8});
  Model opt;
  fuse(b, opt, 0);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedLayerNorm"), 0);
  EXPECT_EQ(count_op(opt.graph, "ReduceMean"), 2);
  Spelling gap;
  gap.opset = 18;
  gap.axes = {0, 2};  // not contiguous at the end
  gap.affine = false;
  Built c = build(gap, Shape{3, 5, 8});
  fuse(c, opt, 0);
  EXPECT_EQ(count_op(opt.graph, "LayerNormalization"), 0);
}

TEST(FuseLayerNorm, IntermediateWithAnotherReaderIsLeftAlone) {
  for (int which : {0, 1}) {
    SCOPED_TRACE(which);
    Spelling s;
    Built b = build(s, Shape{3, 8});
    Model m = *b.model;
    // D (0) or the mean (1) is also a graph output.
    m.graph.outputs.push_back(which == 0 ? b.d : b.mean);
    auto shared = std::make_shared<Model>(m);
    Built c = b;
    c.model = shared;
    Model opt;
    fuse(c, opt, 0);
    EXPECT_EQ(count_op(opt.graph, "fastserve.FusedLayerNorm"), 0);
  }
  {  // D read by a third node
    TestModel t;
    ValueId x = t.input("in", DType::kF32, {2, 6});
    ValueId mean = t.node("ReduceMean", "mean", {x}, {attr_ints("axes", {-1})});
    ValueId d = t.node("Sub", "sub", {x, mean});
    ValueId var = t.node("ReduceMean", "var", {t.node("Mul", "sq", {d, d})}, {attr_ints("axes", {-1})});
    ValueId sd = t.node("Sqrt", "sqrt", {t.node("Add", "add_eps", {var, t.constant("eps", Tensor::scalar(1e-5f))})});
    t.output(t.node("Div", "div", {d, sd}));
    t.output(t.node("Neg", "other", {d}));
    Model opt = *t.build();
    PassContext ctx = testing::run_pass(opt, &fuse_layer_norm);
    EXPECT_EQ(ctx.rewrites, 0);
  }
}

TEST(FuseLayerNorm, NonConstantEpsOrKeepdimsZeroIsLeftAlone) {
  Spelling s;
  s.eps_is_input = true;
  Built b = build(s, Shape{3, 8});
  Model opt;
  fuse(b, opt, 0);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedLayerNorm"), 0);

  TestModel t;
  ValueId x = t.input("in", DType::kF32, {3, 3});
  // keepdims=0: the [3] mean broadcasts along the other dim (not a LayerNorm)
  ValueId mean = t.node("ReduceMean", "mean", {x}, {attr_ints("axes", {-1}), attr_int("keepdims", 0)});
  ValueId d = t.node("Sub", "sub", {x, mean});
  ValueId var = t.node("ReduceMean", "var", {t.node("Mul", "sq", {d, d})}, {attr_ints("axes", {-1})});
  ValueId sd = t.node("Sqrt", "sqrt", {t.node("Add", "add_eps", {var, t.constant("eps", Tensor::scalar(1e-5f))})});
  t.output(t.node("Div", "div", {d, sd}));
  Model opt2 = *t.build();
  PassContext ctx = testing::run_pass(opt2, &fuse_layer_norm);
  EXPECT_EQ(ctx.rewrites, 0);
}

TEST(FuseLayerNorm, RunPassesFusesAtLevel2Only) {
  Spelling s;
  Built b = build(s, Shape{2, 8});
  for (int level : {1, 2}) {
    Model m = *b.model;
    PassContext ctx;
    Result<PassReport> r = run_passes(m, level, ctx);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(count_op(m.graph, "fastserve.FusedLayerNorm"), level >= 2 ? 1 : 0);
    // The replaced gamma / beta are dropped by the last dead-code pass.
    if (level >= 2) {
      EXPECT_EQ(m.graph.find_value("gamma"), kNoValue);
    }
  }
}

}  // namespace
}  // namespace fastserve
