// fold_batchnorm: Conv -> BatchNormalization becomes one Conv with scaled
// weights and a new bias; the BN's output name survives; conditions that
// block the fold leave the graph as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

struct BnParams {
  ValueId scale, bias, mean, var;
};

BnParams bn_params(TestModel& t, const std::string& prefix, int64_t channels, std::mt19937& rng) {
  return {t.constant(prefix + "_scale", testing::random_f32({channels}, rng, 0.5, 1.5)),
          t.constant(prefix + "_b", testing::random_f32({channels}, rng)),
          t.constant(prefix + "_mean", testing::random_f32({channels}, rng)),
          t.constant(prefix + "_var", testing::random_f32({channels}, rng, 0.1, 2.0))};
}

ValueId batchnorm(TestModel& t, const std::string& name, ValueId x, const BnParams& p, float eps = 1e-5f) {
  return t.node("BatchNormalization", name, {x, p.scale, p.bias, p.mean, p.var}, {attr_float("epsilon", eps)});
}

struct ConvCase {
  Shape x;
  Shape w;
  int64_t group;
  bool bias;
  std::vector<Attribute> attrs;
};

TEST(FoldBatchnorm, FoldsIntoConvWithAndWithoutBiasAndGroups) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 7, 6}, {4, 3, 3, 3}, 1, true, {attr_ints("pads", {1, 1, 1, 1})}},
      {{2, 4, 5, 5}, {6, 2, 3, 1}, 2, false, {attr_int("group", 2), attr_ints("strides", {2, 1})}},
      {{1, 1, 9}, {1, 1, 1}, 1, true, {}},  // 1-D conv, one channel, K=1
      {{1, 5, 4, 4}, {5, 1, 3, 3}, 5, true, {attr_int("group", 5), attr_ints("pads", {1, 1, 1, 1})}},  // depthwise
  };
  uint32_t seed = 20;
  for (const ConvCase& c : cases) {
    std::mt19937 rng(seed++);
    TestModel t;
    ValueId x = t.input("x", DType::kF32, c.x);
    std::vector<ValueId> conv_in = {x, t.constant("w", testing::random_f32(c.w, rng))};
    if (c.bias) conv_in.push_back(t.constant("b", testing::random_f32({c.w[0]}, rng)));
    ValueId conv = t.node("Conv", "conv", conv_in, c.attrs);
    t.output(batchnorm(t, "bn", conv, bn_params(t, "bn", c.w[0], rng), 1e-3f));
    std::shared_ptr<Model> m = t.build();

    Model opt = *m;
    PassContext ctx = testing::run_pass(opt, &fold_batchnorm);
    EXPECT_EQ(ctx.rewrites, 1);
    ASSERT_EQ(opt.graph.nodes.size(), 1u);
    const Node* folded = producer_of(opt.graph, "bn_out0");
    ASSERT_NE(folded, nullptr);
    EXPECT_EQ(folded->op_type, "Conv");
    EXPECT_EQ(folded->name, "conv");
    EXPECT_EQ(input_name(opt.graph, *folded, 1), "w_bnfolded");
    EXPECT_EQ(input_name(opt.graph, *folded, 2), "w_bnfolded_bias");
    EXPECT_EQ(ctx.touched_ops, (std::set<std::string>{"BatchNormalization", "Conv"}));
    testing::expect_same_outputs(m, seed, 3, 1e-5, 1e-5);
  }
}

TEST(FoldBatchnorm, WeightsAreScaledPerOutputChannelInDouble) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 1, 2, 2});
  ValueId w = t.constant("w", Tensor::from_vector<float>({1.f, 2.f}, Shape{2, 1, 1, 1}));
  ValueId b = t.constant("b", Tensor::from_vector<float>({0.5f, -1.f}));
  BnParams p{t.constant("s", Tensor::from_vector<float>({2.f, 3.f})),
             t.constant("beta", Tensor::from_vector<float>({0.25f, 1.f})),
             t.constant("mean", Tensor::from_vector<float>({1.f, -2.f})),
             t.constant("var", Tensor::from_vector<float>({3.f, 0.f}))};
  t.output(batchnorm(t, "bn", t.node("Conv", "conv", {x, w, b}), p, 1.f));
  std::shared_ptr<Model> m = t.build();
  Model opt = *m;
  testing::run_pass(opt, &fold_batchnorm);
  const Tensor& w2 = opt.graph.values[static_cast<size_t>(opt.graph.find_value("w_bnfolded"))].initializer;
  const Tensor& b2 = opt.graph.values[static_cast<size_t>(opt.graph.find_value("w_bnfolded_bias"))].initializer;
  // s = scale / sqrt(var + eps) = {2 / 2, 3 / 1} = {1, 3}
  EXPECT_FLOAT_EQ(w2.data<float>()[0], 1.f);
  EXPECT_FLOAT_EQ(w2.data<float>()[1], 6.f);
  EXPECT_FLOAT_EQ(b2.data<float>()[0], (0.5f - 1.f) * 1.f + 0.25f);
  EXPECT_FLOAT_EQ(b2.data<float>()[1], (-1.f + 2.f) * 3.f + 1.f);
}

TEST(FoldBatchnorm, LeftAloneWhenTheConvOutputHasAnotherReaderOrParamsAreNotConstant) {
  std::mt19937 rng(31);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 4, 4});
  ValueId mean_in = t.input("mean_in", DType::kF32, {3});
  ValueId conv1 = t.node("Conv", "conv1", {x, t.constant("w1", testing::random_f32({3, 2, 1, 1}, rng))});
  t.output(batchnorm(t, "bn1", conv1, bn_params(t, "bn1", 3, rng)));
  t.output(t.node("Relu", "relu", {conv1}));  // second reader of conv1's output
  ValueId conv2 = t.node("Conv", "conv2", {x, t.constant("w2", testing::random_f32({3, 2, 1, 1}, rng))});
  BnParams p = bn_params(t, "bn2", 3, rng);
  p.mean = mean_in;  // a runtime input: not foldable
  t.output(batchnorm(t, "bn2", conv2, p));
  // FusedConv with an activation: the BN would have to go before the activation.
  ValueId conv3 = t.node("FusedConv", "conv3", {x, t.constant("w3", testing::random_f32({3, 2, 1, 1}, rng))},
                         {attr_string("activation", "Relu")}, "fastserve");
  t.output(batchnorm(t, "bn3", conv3, bn_params(t, "bn3", 3, rng)));
  std::shared_ptr<Model> m = t.build();
  m->opsets["fastserve"] = 1;

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_batchnorm);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(opt.graph, "BatchNormalization"), 3);
  testing::expect_same_outputs(m, 32);
}

TEST(FoldBatchnorm, FoldsIntoAFusedConvWithoutResidualOrActivation) {
  std::mt19937 rng(33);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 5, 5});
  ValueId conv = t.node("FusedConv", "fc", {x, t.constant("w", testing::random_f32({4, 2, 3, 3}, rng))},
                        {attr_ints("pads", {1, 1, 1, 1})}, "fastserve");
  t.output(batchnorm(t, "bn", conv, bn_params(t, "bn", 4, rng)));
  std::shared_ptr<Model> m = t.build();
  m->opsets["fastserve"] = 1;
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_batchnorm);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.FusedConv"), 1);
  EXPECT_EQ(count_op(opt.graph, "BatchNormalization"), 0);
  testing::expect_same_outputs(m, 34);
}

}  // namespace
}  // namespace fastserve
