// fuse_attention: the attention subgraph of tools/zoo_transformers.py
// (BERT's additive mask, GPT-2's Where(causal), head split/merge Transposes)
// becomes one fastserve.Attention computing the same outputs; each condition
// that must block the fusion has a negative case.
#include <gtest/gtest.h>

#include <cfloat>
#include <random>
#include <string>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::count_op;
using testing::TestModel;

constexpr int64_t kB = 2, kS = 5, kH = 3, kD = 4;

struct Graph0 {
  bool bshd = true;         // [B,S,H,D] inputs with the head split / merge Transposes
  bool merge_transpose = true;
  bool k_via_transpose = true;
  bool mul_scale = false;   // Mul by 1/sqrt(d) instead of Div by sqrt(d)
  bool scale_is_input = false;
  bool where = false;       // GPT-2's Where(causal, s, finfo.min)
  bool add = false;         // BERT's additive mask [B,1,1,S]
  std::vector<int64_t> add_shape = {kB, 1, 1, kS};
  int64_t sq = kS;          // query length
  int64_t axis = -1;
  bool scores_also_output = false;
};

std::shared_ptr<Model> build(const Graph0& o, uint32_t seed) {
  std::mt19937 rng(seed);
  TestModel t;
  const std::vector<int64_t> split = {0, 2, 1, 3};
  ValueId q, kt, v;
  if (o.bshd) {
    q = t.node("Transpose", "tq", {t.input("q", DType::kF32, {kB, o.sq, kH, kD})}, {attr_ints("perm", split)});
    kt = t.node("Transpose", "tk", {t.input("k", DType::kF32, {kB, kS, kH, kD})}, {attr_ints("perm", {0, 2, 3, 1})});
    v = t.node("Transpose", "tv", {t.input("v", DType::kF32, {kB, kS, kH, kD})}, {attr_ints("perm", split)});
  } else {
    q = t.input("q", DType::kF32, {kB, kH, o.sq, kD});
    if (o.k_via_transpose) {
      kt = t.node("Transpose", "tk", {t.input("k", DType::kF32, {kB, kH, kS, kD})}, {attr_ints("perm", {0, 1, 3, 2})});
    } else {
      kt = t.input("kt", DType::kF32, {kB, kH, kD, kS});
    }
    v = t.input("v", DType::kF32, {kB, kH, kS, kD});
  }
  ValueId s = t.node("MatMul", "qk", {q, kt});
  const ValueId scores = s;
  ValueId c = o.scale_is_input ? t.input("c", DType::kF32, {})
                               : t.constant("c", Tensor::scalar<float>(o.mul_scale ? 0.5f : 2.0f));
  s = t.node(o.mul_scale ? "Mul" : "Div", "scale", {s, c});
  if (o.where) {
    Tensor keep = Tensor::zeros(DType::kBool, Shape{1, 1, o.sq, kS});
    for (int64_t i = 0; i < o.sq; ++i)
      for (int64_t j = 0; j <= i && j < kS; ++j) keep.data<bool>()[i * kS + j] = true;
    s = t.node("Where", "where", {t.constant("causal", keep), s, t.constant("fill", Tensor::scalar<float>(-FLT_MAX))});
  }
  if (o.add) {
    Tensor mask = testing::random_f32(Shape(o.add_shape), rng);
    mask.data<float>()[1] = -10000.f;
    s = t.node("Add", "add", {s, t.constant("mask", mask)});
  }
  ValueId p = t.node("Softmax", "softmax", {s}, {attr_int("axis", o.axis)});
  ValueId y = t.node("MatMul", "pv", {p, v});
  if (o.bshd && o.merge_transpose) y = t.node("Transpose", "ty", {y}, {attr_ints("perm", split)});
  t.output(y);
  if (o.scores_also_output) t.output(scores);
  return t.build();
}

// Runs the pass; returns how many Attention nodes it made.
int64_t fused(const std::shared_ptr<Model>& m, Model& opt) {
  opt = *m;
  testing::run_pass(opt, &fuse_attention);
  return count_op(opt.graph, "fastserve.Attention");
}

TEST(FuseAttention, BertAndGpt2PatternsBecomeOneNode) {
  uint32_t seed = 10;
  for (bool bshd : {true, false}) {
    for (int variant = 0; variant < 4; ++variant) {
      Graph0 o;
      o.bshd = bshd;
      o.add = variant == 1 || variant == 3;
      o.where = variant == 2 || variant == 3;
      o.mul_scale = variant == 3;
      SCOPED_TRACE(std::string(bshd ? "bshd" : "bhsd") + " variant " + std::to_string(variant));
      std::shared_ptr<Model> m = build(o, seed++);
      Model opt;
      ASSERT_EQ(fused(m, opt), 1);
      EXPECT_EQ(count_op(opt.graph, "Softmax"), 0);
      EXPECT_EQ(count_op(opt.graph, "MatMul"), 0);
      EXPECT_EQ(count_op(opt.graph, "Transpose"), 0);
      ASSERT_EQ(opt.graph.nodes.size(), 1u);
      const Node& a = opt.graph.nodes[0];
      EXPECT_EQ(a.name, bshd ? "ty" : "pv");
      EXPECT_EQ(a.attr("layout")->s, bshd ? "bshd" : "bhsd");
      EXPECT_FLOAT_EQ(a.attr("scale")->f, 0.5f);
      EXPECT_EQ(a.attr("fill") != nullptr, o.where);
      EXPECT_EQ(a.inputs.size(), o.where ? 5u : (o.add ? 4u : 3u));
      testing::expect_same_outputs(m, seed++, 3, 1e-5, 1e-4);
    }
  }
}

TEST(FuseAttention, BroadcastMasksAndShortQueriesFuse) {
  Graph0 o;
  o.add = true;
  o.where = true;
  o.sq = 2;
  for (std::vector<int64_t> shape : {std::vector<int64_t>{kS}, {1, kH, 2, kS}, {2, kS}}) {
    o.add_shape = shape;
    std::shared_ptr<Model> m = build(o, 30);
    Model opt;
    EXPECT_EQ(fused(m, opt), 1) << Shape(shape).to_string();
    testing::expect_same_outputs(m, 31, 3, 1e-5, 1e-4);
  }
}

TEST(FuseAttention, EachBlockingConditionLeavesTheGraph) {
  Model opt;
  {
    Graph0 o;
    o.axis = 2;  // softmax over queries
    EXPECT_EQ(fused(build(o, 40), opt), 0);
  }
  {
    Graph0 o;
    o.scores_also_output = true;  // an intermediate read outside the chain
    EXPECT_EQ(fused(build(o, 41), opt), 0);
  }
  {
    Graph0 o;
    o.scale_is_input = true;  // scale not a constant
    EXPECT_EQ(fused(build(o, 42), opt), 0);
  }
  {
    Graph0 o;
    o.bshd = false;
    o.k_via_transpose = false;  // K^T not made by a Transpose
    EXPECT_EQ(fused(build(o, 43), opt), 0);
  }
  {
    Graph0 o;
    o.merge_transpose = false;  // K is [B,S,H,D] but the output stays [B,H,S,D]
    EXPECT_EQ(fused(build(o, 44), opt), 0);
  }
  {
    Graph0 o;
    o.add = true;
    o.sq = 1;
    o.add_shape = {kB, 1, 3, kS};  // would widen the scores' Sq = 1 to 3
    EXPECT_EQ(fused(build(o, 45), opt), 0);
  }
  {
    Graph0 o;
    o.bshd = false;
    o.add = true;
    o.add_shape = {1, kB, 1, 1, kS};  // rank 5: the scores widen to rank 5
    EXPECT_EQ(fused(build(o, 46), opt), 0);
  }
}

}  // namespace
}  // namespace fastserve
