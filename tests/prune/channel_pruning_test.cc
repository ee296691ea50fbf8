// Channel pruning: filters of smallest L1 norm go and every consumer is
// rewritten (bias, BatchNormalization, a depthwise conv that follows its
// input channels, the next conv's input channels, a Gemm after Flatten, a
// Gemm after a pruned Gemm, and through residual Adds every producer of the
// sum with one shared channel set); convs whose channels reach a graph
// output, or an Add with an input from no prunable producer, are kept with
// the reason. The test models' pruned channels are
// dead (zero filters, biases, BN mean and beta), so the pruned model must
// compute the same outputs as the original, on the engine.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "fastserve/session.h"
#include "prune/prune.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::prune {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::TestModel;

// Zeroes the rows `dead` of axis-0 slices of t (each row `row` floats).
void kill_rows(Tensor& t, const std::set<int64_t>& dead, int64_t row) {
  for (int64_t r : dead) std::fill(t.data<float>() + r * row, t.data<float>() + (r + 1) * row, 0.f);
}

std::shared_ptr<Model> dead_channel_model(std::mt19937& rng) {
  using testing::random_f32;
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 3, 12, 12}, {"batch", "", "", ""});
  const std::set<int64_t> dead1 = {1, 4, 6}, dead2 = {0, 3}, dead_fc = {2, 5, 9};
  Tensor w1 = random_f32({8, 3, 3, 3}, rng), b1 = random_f32({8}, rng);
  kill_rows(w1, dead1, 27);
  kill_rows(b1, dead1, 1);
  Tensor mean = random_f32({8}, rng), beta = random_f32({8}, rng);
  kill_rows(mean, dead1, 1);
  kill_rows(beta, dead1, 1);
  ValueId c1 = t.node("Conv", "conv1", {x, t.constant("w1", w1), t.constant("b1", b1)},
                      {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})});
  ValueId bn = t.node("BatchNormalization", "bn",
                      {c1, t.constant("gamma", random_f32({8}, rng, 0.5, 1.5)), t.constant("beta", beta),
                       t.constant("mean", mean), t.constant("var", random_f32({8}, rng, 0.5, 2.0))});
  ValueId p = t.node("MaxPool", "pool", {t.node("Relu", "relu1", {bn})},
                     {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})});
  Tensor bd = random_f32({8}, rng);
  kill_rows(bd, dead1, 1);
  ValueId dw =
      t.node("Conv", "dw", {p, t.constant("wd", random_f32({8, 1, 3, 3}, rng)), t.constant("bd", bd)},
             {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1}), attr_int("group", 8)});
  Tensor w2 = random_f32({6, 8, 1, 1}, rng), b2 = random_f32({6}, rng);
  kill_rows(w2, dead2, 8);
  kill_rows(b2, dead2, 1);
  ValueId c2 =
      t.node("Conv", "conv2", {t.node("Relu", "relu_dw", {dw}), t.constant("w2", w2), t.constant("b2", b2)},
             {attr_ints("kernel_shape", {1, 1})});
  ValueId f = t.node("Flatten", "flat", {t.node("Relu", "relu2", {c2})});  // [N, 6*36]
  Tensor wg = random_f32({10, 216}, rng, -0.2, 0.2), bg = random_f32({10}, rng);
  kill_rows(wg, dead_fc, 216);
  kill_rows(bg, dead_fc, 1);
  ValueId g = t.node("Gemm", "fc", {f, t.constant("wg", wg), t.constant("bg", bg)}, {attr_int("transB", 1)});
  t.output(
      t.node("Gemm", "head", {t.node("Relu", "relu3", {g}), t.constant("wh", random_f32({10, 4}, rng))}));
  // A residual pair whose sum is a graph output: neither conv may lose channels.
  ValueId r1 = t.node("Conv", "side_a", {x, t.constant("wa", random_f32({4, 3, 1, 1}, rng))},
                      {attr_ints("kernel_shape", {1, 1})});
  ValueId r2 = t.node("Conv", "side_b", {x, t.constant("wb", random_f32({4, 3, 1, 1}, rng))},
                      {attr_ints("kernel_shape", {1, 1})});
  t.output(t.node("Add", "residual", {r1, r2}));
  return t.build();
}

const Tensor& init(const Model& m, const char* name) {
  return m.graph.values[static_cast<size_t>(m.graph.find_value(name))].initializer;
}

PruneOptions channel_options(double sparsity) {
  PruneOptions o;
  o.method = PruneMethod::kChannel;
  o.sparsity = sparsity;
  return o;
}

// The pruned model computes what the original did (its removed channels
// were dead), on the engine.
void expect_same_outputs(const std::shared_ptr<Model>& original, const std::shared_ptr<Model>& pruned,
                         std::vector<NamedTensor> inputs) {
  auto s0 = Session::create(original), s1 = Session::create(pruned);
  ASSERT_TRUE(s0.ok()) << s0.status().to_string();
  ASSERT_TRUE(s1.ok()) << s1.status().to_string();
  auto y0 = (*s0)->run(inputs), y1 = (*s1)->run(inputs);
  ASSERT_TRUE(y0.ok() && y1.ok()) << y1.status().to_string();
  ASSERT_EQ(y0->size(), y1->size());
  for (size_t i = 0; i < y0->size(); ++i) {
    EXPECT_TRUE(testing::tensors_near((*y1)[i].tensor, (*y0)[i].tensor, 1e-5, 1e-4)) << (*y0)[i].name;
  }
}

TEST(ChannelPruning, RemovesDeadChannelsAndRewritesEveryConsumer) {
  std::mt19937 rng(12);
  std::shared_ptr<Model> m = dead_channel_model(rng);
  auto pruned = std::make_shared<Model>(*m);
  PruneOptions o = channel_options(0.375);  // conv1: 3 of 8, conv2: 2 of 6, fc: 3 of 10
  auto r = prune_model(*pruned, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 3u);
  EXPECT_EQ(r->layers[0].node, "conv1");
  EXPECT_EQ(r->layers[0].channels_after, 5);
  EXPECT_EQ(r->layers[1].node, "conv2");
  EXPECT_EQ(r->layers[1].channels_after, 4);
  EXPECT_EQ(r->layers[2].node, "fc");
  EXPECT_EQ(r->layers[2].channels_after, 7);
  EXPECT_EQ(init(*pruned, "w1").shape(), (Shape{5, 3, 3, 3}));
  EXPECT_EQ(init(*pruned, "b1").shape(), (Shape{5}));
  for (const char* bnp : {"gamma", "beta", "mean", "var"})
    EXPECT_EQ(init(*pruned, bnp).shape(), (Shape{5})) << bnp;
  EXPECT_EQ(init(*pruned, "wd").shape(), (Shape{5, 1, 3, 3}));
  EXPECT_EQ(init(*pruned, "bd").shape(), (Shape{5}));
  EXPECT_EQ(init(*pruned, "w2").shape(), (Shape{4, 5, 1, 1}));
  EXPECT_EQ(init(*pruned, "wg").shape(), (Shape{7, 4 * 36}));
  EXPECT_EQ(init(*pruned, "bg").shape(), (Shape{7}));
  EXPECT_EQ(init(*pruned, "wh").shape(), (Shape{7, 4}));
  for (const Node& n : pruned->graph.nodes) {
    if (n.name == "dw") {
      EXPECT_EQ(n.attr("group")->i, 5);
    }
  }
  std::set<std::string> kept(r->kept.begin(), r->kept.end());
  EXPECT_TRUE(kept.count("side_a: its channels reach graph output 'residual_out0'"))
      << ::testing::PrintToString(r->kept);
  EXPECT_TRUE(kept.count("side_b: its channels reach graph output 'residual_out0'"));
  EXPECT_TRUE(kept.count("head: its channels reach graph output 'head_out0'"));
  EXPECT_TRUE(kept.count("dw: grouped conv: its filters are tied to its input channels"));
  EXPECT_LT(r->bytes_after, r->bytes_before);

  // Same outputs as the original (the removed channels were dead).
  expect_same_outputs(m, pruned, {{"x", testing::random_f32({3, 3, 12, 12}, rng)}});
}

TEST(ChannelPruning, KeepsTheFiltersOfLargestNormAndReportsWhenNothingCanShrink) {
  std::mt19937 rng(13);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 2, 5, 5});
  Tensor w = testing::random_f32({4, 2, 1, 1}, rng, 0.1, 0.2);
  w.data<float>()[2 * 2] = 5.f;  // filter 2 is the largest, then filter 0
  w.data<float>()[0] = 3.f;
  ValueId c = t.node("Conv", "c", {x, t.constant("w", w)}, {attr_ints("kernel_shape", {1, 1})});
  t.output(t.node("Conv", "c2", {c, t.constant("w2", testing::random_f32({3, 4, 1, 1}, rng))},
                  {attr_ints("kernel_shape", {1, 1})}));
  std::shared_ptr<Model> m = t.build();
  PruneOptions o = channel_options(0.5);
  auto r = prune_model(*m, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& kept = init(*m, "w");
  ASSERT_EQ(kept.shape(), (Shape{2, 2, 1, 1}));
  EXPECT_EQ(kept.data<float>()[0], 3.f) << "filter 0 stays, in its original order";
  EXPECT_EQ(kept.data<float>()[2], 5.f) << "filter 2 stays";

  // Only a conv feeding a graph output: nothing can lose channels.
  TestModel t2;
  ValueId x2 = t2.input("x", DType::kF32, {1, 2, 5, 5});
  t2.output(t2.node("Conv", "only", {x2, t2.constant("w", testing::random_f32({4, 2, 1, 1}, rng))},
                    {attr_ints("kernel_shape", {1, 1})}));
  std::shared_ptr<Model> m2 = t2.build();
  auto r2 = prune_model(*m2, o);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("no layer can lose channels (only: its channels reach graph output"),
            std::string::npos)
      << r2.status().message();
}

// ResNet-shaped: a stem conv + BN, a basic block (conv_a -> conv_b + BN)
// summed with the stem's output, a second sum with a 1x1 conv, then a pooled
// classifier. stem, conv_b and conv_c reach the same sums, so they form one
// group with one kept set; their channels 2 and 5 are dead in all three.
std::shared_ptr<Model> residual_model(std::mt19937& rng) {
  using testing::random_f32;
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 3, 10, 10}, {"batch", "", "", ""});
  const std::set<int64_t> dead = {2, 5}, dead_a = {3};
  auto conv3 = [&](const char* name, ValueId in, Tensor w, Tensor b) {
    return t.node("Conv", name,
                  {in, t.constant(std::string(name) + "_w", std::move(w)),
                   t.constant(std::string(name) + "_b", std::move(b))},
                  {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})});
  };
  auto bn = [&](const char* name, ValueId in) {
    Tensor mean = random_f32({8}, rng), beta = random_f32({8}, rng);
    kill_rows(mean, dead, 1);
    kill_rows(beta, dead, 1);
    const std::string n(name);
    return t.node(
        "BatchNormalization", name,
        {in, t.constant(n + "_gamma", random_f32({8}, rng, 0.5, 1.5)), t.constant(n + "_beta", beta),
         t.constant(n + "_mean", mean), t.constant(n + "_var", random_f32({8}, rng, 0.5, 2.0))});
  };
  Tensor ws = random_f32({8, 3, 3, 3}, rng), bs = random_f32({8}, rng);
  kill_rows(ws, dead, 27);
  kill_rows(bs, dead, 1);
  ValueId r0 = t.node("Relu", "relu0", {bn("bn0", conv3("stem", x, ws, bs))});
  Tensor wa = random_f32({6, 8, 3, 3}, rng), ba = random_f32({6}, rng);
  kill_rows(wa, dead_a, 72);
  kill_rows(ba, dead_a, 1);
  ValueId a = t.node("Relu", "relu_a", {conv3("conv_a", r0, wa, ba)});
  Tensor wb = random_f32({8, 6, 3, 3}, rng), bb = random_f32({8}, rng);
  kill_rows(wb, dead, 54);
  kill_rows(bb, dead, 1);
  ValueId r1 = t.node("Relu", "relu1", {t.node("Add", "add1", {r0, bn("bn_b", conv3("conv_b", a, wb, bb))})});
  Tensor wc = random_f32({8, 8, 1, 1}, rng);
  kill_rows(wc, dead, 8);
  ValueId c = t.node("Conv", "conv_c", {r1, t.constant("conv_c_w", wc)}, {attr_ints("kernel_shape", {1, 1})});
  ValueId r2 = t.node("Relu", "relu2", {t.node("Add", "add2", {c, r1})});
  ValueId f = t.node("Flatten", "flat", {t.node("GlobalAveragePool", "gap", {r2})});
  t.output(t.node("Gemm", "fc", {f, t.constant("fc_w", random_f32({8, 5}, rng))}));
  return t.build();
}

TEST(ChannelPruning, PrunesEveryProducerOfAResidualSumWithOneChannelSet) {
  std::mt19937 rng(14);
  std::shared_ptr<Model> m = residual_model(rng);
  auto pruned = std::make_shared<Model>(*m);
  PruneOptions o = channel_options(0.25);  // the group: 2 of 8; conv_a: 1 of 6
  auto r = prune_model(*pruned, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 4u) << ::testing::PrintToString(r->kept);
  const char* names[] = {"stem", "conv_a", "conv_b", "conv_c"};
  const int64_t after[] = {6, 5, 6, 6};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r->layers[i].node, names[i]);
    EXPECT_EQ(r->layers[i].channels_after, after[i]) << names[i];
    EXPECT_EQ(r->layers[i].group_size, i == 1 ? 1 : 3) << names[i];
    EXPECT_EQ(r->layers[i].channel_group, i == 1 ? "" : "stem") << names[i];
  }
  EXPECT_EQ(init(*pruned, "stem_w").shape(), (Shape{6, 3, 3, 3}));
  EXPECT_EQ(init(*pruned, "bn0_gamma").shape(), (Shape{6}));
  EXPECT_EQ(init(*pruned, "conv_a_w").shape(), (Shape{5, 6, 3, 3}));
  EXPECT_EQ(init(*pruned, "conv_b_w").shape(), (Shape{6, 5, 3, 3}));
  EXPECT_EQ(init(*pruned, "bn_b_var").shape(), (Shape{6}));
  EXPECT_EQ(init(*pruned, "conv_c_w").shape(), (Shape{6, 6, 1, 1})) << "cut on both axes, once each";
  EXPECT_EQ(init(*pruned, "fc_w").shape(), (Shape{6, 5}));

  expect_same_outputs(m, pruned, {{"x", testing::random_f32({2, 3, 10, 10}, rng)}});

  // Excluding one member leaves its sums with an input from no producer
  // being pruned: the whole group stays.
  auto partial = std::make_shared<Model>(*m);
  o.exclude = {"conv_c"};
  auto r2 = prune_model(*partial, o);
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  ASSERT_EQ(r2->layers.size(), 1u);
  EXPECT_EQ(r2->layers[0].node, "conv_a");
  std::set<std::string> kept(r2->kept.begin(), r2->kept.end());
  EXPECT_TRUE(
      kept.count("stem: its channels meet 'conv_c_out0' at Add 'add2', which comes from no prunable "
                 "producer"))
      << ::testing::PrintToString(r2->kept);
  EXPECT_EQ(init(*partial, "stem_w").shape(), (Shape{8, 3, 3, 3}));
}

TEST(ChannelPruning, KeepsAConvSummedWithTheGraphInput) {
  std::mt19937 rng(15);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 4, 5, 5});
  ValueId c = t.node("Conv", "c", {x, t.constant("w", testing::random_f32({4, 4, 1, 1}, rng))},
                     {attr_ints("kernel_shape", {1, 1})});
  ValueId sum = t.node("Relu", "relu", {t.node("Add", "skip", {x, c})});
  t.output(t.node("Conv", "c2", {sum, t.constant("w2", testing::random_f32({3, 4, 1, 1}, rng))},
                  {attr_ints("kernel_shape", {1, 1})}));
  std::shared_ptr<Model> m = t.build();
  PruneOptions o = channel_options(0.5);
  auto r = prune_model(*m, o);
  ASSERT_FALSE(r.ok()) << "nothing can shrink";
  EXPECT_NE(r.status().message().find(
                "c: its channels meet 'x' at Add 'skip', which comes from no prunable producer"),
            std::string::npos)
      << r.status().message();
}

// A transformer FFN: MatMul [B, S, 8] x [8, 12] + bias, GELU written out
// (Div, Erf, Add 1, Mul by x, Mul 0.5), a per-feature scale [1, 1, 12], then
// the second MatMul. The hidden features 0, 7 and 9 are dead (zero columns
// and bias; GELU(0) = 0), so dropping them keeps the outputs. Shape
// inference need not know [B, S]: the features are the last axis.
TEST(ChannelPruning, PrunesTheHiddenFeaturesOfATransformerFfn) {
  using testing::random_f32;
  std::mt19937 rng(16);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, kUnknownDim, 8}, {"batch", "seq", ""});
  const std::vector<int64_t> dead = {0, 7, 9};
  Tensor w1 = random_f32({8, 12}, rng), b1 = random_f32({12}, rng);
  for (int64_t c : dead) {
    for (int64_t k = 0; k < 8; ++k) w1.data<float>()[k * 12 + c] = 0.f;
    b1.data<float>()[c] = 0.f;
  }
  ValueId h =
      t.node("Add", "fc1_bias", {t.constant("b1", b1), t.node("MatMul", "fc1", {x, t.constant("w1", w1)})});
  ValueId phi =
      t.node("Add", "gelu_add",
             {t.node("Erf", "gelu_erf",
                     {t.node("Div", "gelu_div", {h, t.constant("sqrt2", Tensor::scalar(1.4142135f))})}),
              t.constant("one", Tensor::scalar(1.f))});
  ValueId gelu = t.node("Mul", "gelu_half",
                        {t.node("Mul", "gelu_mul", {h, phi}), t.constant("half", Tensor::scalar(0.5f))});
  ValueId scaled = t.node("Mul", "scale", {gelu, t.constant("gamma", random_f32({1, 1, 12}, rng, 0.5, 1.5))});
  ValueId y = t.node("MatMul", "fc2", {scaled, t.constant("w2", random_f32({12, 8}, rng))});
  t.output(t.node("Add", "fc2_bias", {y, t.constant("b2", random_f32({8}, rng))}));
  std::shared_ptr<Model> m = t.build();
  auto pruned = std::make_shared<Model>(*m);
  PruneOptions o = channel_options(0.25);
  auto r = prune_model(*pruned, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 1u) << ::testing::PrintToString(r->kept);
  EXPECT_EQ(r->layers[0].node, "fc1");
  EXPECT_EQ(r->layers[0].channels_after, 9);
  EXPECT_EQ(init(*pruned, "w1").shape(), (Shape{8, 9}));
  EXPECT_EQ(init(*pruned, "b1").shape(), (Shape{9}));
  EXPECT_EQ(init(*pruned, "gamma").shape(), (Shape{1, 1, 9}));
  EXPECT_EQ(init(*pruned, "w2").shape(), (Shape{9, 8}));
  EXPECT_EQ(init(*pruned, "one").numel(), 1) << "broadcast constants stay";

  expect_same_outputs(m, pruned, {{"x", random_f32({2, 5, 8}, rng)}});
}

TEST(ChannelPruning, KeepsFeaturesMultipliedByAnUnprunedValue) {
  using testing::random_f32;
  std::mt19937 rng(17);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 8});
  ValueId gate = t.input("gate", DType::kF32, {2, 12});
  ValueId h = t.node("MatMul", "fc1", {x, t.constant("w1", random_f32({8, 12}, rng))});
  ValueId g = t.node("Mul", "gated", {h, gate});
  t.output(t.node("MatMul", "fc2", {g, t.constant("w2", random_f32({12, 3}, rng))}));
  std::shared_ptr<Model> m = t.build();
  PruneOptions o = channel_options(0.5);
  auto r = prune_model(*m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(
                "fc1: its channels meet 'gate' at Mul 'gated', which comes from no prunable producer"),
            std::string::npos)
      << r.status().message();
}

// SqueezeNet's fire module: a squeeze conv feeds two expand convs whose
// outputs are concatenated along the channels, then a BatchNormalization and
// the next conv read the concatenation. Each expand conv's dead channels go
// at their own place in the concatenation. A depthwise conv after a second
// Concat (of the graph input and expand3) follows the kept channels too, and
// the conv after it loses them at offset 4.
TEST(ChannelPruning, FollowsChannelsThroughAConcat) {
  using testing::random_f32;
  std::mt19937 rng(18);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 4, 6, 6}, {"batch", "", "", ""});
  ValueId sq = t.node("Relu", "sq_relu",
                      {t.node("Conv", "squeeze", {x, t.constant("wsq", random_f32({3, 4, 1, 1}, rng))},
                              {attr_ints("kernel_shape", {1, 1})})});
  const std::set<int64_t> dead1 = {1, 4}, dead3 = {0, 3};
  Tensor w1 = random_f32({6, 3, 1, 1}, rng), b1 = random_f32({6}, rng);
  kill_rows(w1, dead1, 3);
  kill_rows(b1, dead1, 1);
  Tensor w3 = random_f32({6, 3, 3, 3}, rng), b3 = random_f32({6}, rng);
  kill_rows(w3, dead3, 27);
  kill_rows(b3, dead3, 1);
  ValueId e1 = t.node("Relu", "e1_relu",
                      {t.node("Conv", "expand1", {sq, t.constant("w1", w1), t.constant("b1", b1)},
                              {attr_ints("kernel_shape", {1, 1})})});
  ValueId e3 = t.node("Relu", "e3_relu",
                      {t.node("Conv", "expand3", {sq, t.constant("w3", w3), t.constant("b3", b3)},
                              {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})})});
  ValueId cat = t.node("Concat", "cat", {e1, e3}, {attr_int("axis", 1)});  // [N, 12, 6, 6]
  Tensor mean = random_f32({12}, rng), beta = random_f32({12}, rng);
  for (int64_t c : {1, 4, 6, 9}) mean.data<float>()[c] = beta.data<float>()[c] = 0.f;
  ValueId bn = t.node("BatchNormalization", "bn",
                      {cat, t.constant("gamma", random_f32({12}, rng, 0.5, 1.5)), t.constant("beta", beta),
                       t.constant("mean", mean), t.constant("var", random_f32({12}, rng, 0.5, 2.0))});
  t.output(t.node("Conv", "next", {bn, t.constant("wn", random_f32({5, 12, 1, 1}, rng))},
                  {attr_ints("kernel_shape", {1, 1})}));
  ValueId cat2 = t.node("Concat", "cat2", {x, e3}, {attr_int("axis", -3)});  // [N, 4 + 6, 6, 6]
  ValueId dw =
      t.node("Conv", "dw", {cat2, t.constant("wd", random_f32({10, 1, 3, 3}, rng))},
             {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1}), attr_int("group", 10)});
  t.output(t.node("Conv", "mix", {dw, t.constant("wm", random_f32({3, 10, 1, 1}, rng))},
                  {attr_ints("kernel_shape", {1, 1})}));
  std::shared_ptr<Model> m = t.build();
  auto pruned = std::make_shared<Model>(*m);
  PruneOptions o = channel_options(0.34);  // 2 of 6 in each expand conv; squeeze: 1 of 3
  o.per_layer = {{"squeeze", 0.0}};
  auto r = prune_model(*pruned, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::map<std::string, int64_t> after;
  for (const PrunedLayer& l : r->layers) after[l.node] = l.channels_after;
  EXPECT_EQ(after["expand1"], 4) << ::testing::PrintToString(r->kept);
  EXPECT_EQ(after["expand3"], 4);
  EXPECT_EQ(init(*pruned, "w1").shape(), (Shape{4, 3, 1, 1}));
  EXPECT_EQ(init(*pruned, "w3").shape(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(init(*pruned, "gamma").shape(), (Shape{8}));
  EXPECT_EQ(init(*pruned, "wn").shape(), (Shape{5, 8, 1, 1}));
  EXPECT_EQ(init(*pruned, "wd").shape(), (Shape{8, 1, 3, 3}));
  EXPECT_EQ(init(*pruned, "wm").shape(), (Shape{3, 8, 1, 1}));
  for (const Node& n : pruned->graph.nodes) {
    if (n.name == "dw") {
      EXPECT_EQ(n.attr("group")->i, 8);
    }
  }
  expect_same_outputs(m, pruned, {{"x", random_f32({2, 4, 6, 6}, rng)}});
}

// What PyTorch's exporter writes for untrained models: identical biases
// deduplicated into one initializer, read directly by one conv and through
// Identity nodes by others, and a Pad with zero pads (from a Constant node)
// before an AveragePool. Each conv gets its own cut of the shared bias; the
// bias of the conv left alone is read from the original again and the
// Identity nodes nothing reads any more are gone.
TEST(ChannelPruning, CutsSharedAndIdentityReadBiasesPerLayer) {
  using testing::random_f32;
  std::mt19937 rng(19);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 3, 8, 8});
  ValueId shared = t.constant("shared_bias", random_f32({6}, rng));
  ValueId via_identity = t.node("Identity", "bias_copy", {shared});
  ValueId c1 = t.node("Conv", "c1", {x, t.constant("w1", random_f32({6, 3, 3, 3}, rng)), shared},
                      {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})});
  Tensor pads = Tensor::from_vector(std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0}, Shape{8});
  ValueId padded = t.node(
      "Pad", "pad",
      {t.node("Relu", "r1", {c1}), t.node("Constant", "pads", {}, {testing::attr_tensor("value", pads)})});
  ValueId p = t.node("AveragePool", "pool", {padded},
                     {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})});
  ValueId c2 = t.node("Conv", "c2", {p, t.constant("w2", random_f32({6, 6, 1, 1}, rng)), via_identity},
                      {attr_ints("kernel_shape", {1, 1})});
  ValueId c3 = t.node("Conv", "c3",
                      {t.node("Relu", "r2", {c2}), t.constant("w3", random_f32({6, 6, 1, 1}, rng)), shared},
                      {attr_ints("kernel_shape", {1, 1})});
  t.output(c3);  // c3 reaches a graph output: its bias stays whole
  std::shared_ptr<Model> m = t.build();
  PruneOptions o = channel_options(0.5);
  auto r = prune_model(*m, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::map<std::string, int64_t> after;
  for (const PrunedLayer& l : r->layers) after[l.node] = l.channels_after;
  EXPECT_EQ(after["c1"], 3) << ::testing::PrintToString(r->kept);
  EXPECT_EQ(after["c2"], 3);
  EXPECT_EQ(after.count("c3"), 0u);
  const Graph& g = m->graph;
  auto bias_of = [&](const char* node) -> const Tensor& {
    for (const Node& n : g.nodes) {
      if (n.name == node) return g.values[static_cast<size_t>(n.inputs[2])].initializer;
    }
    ADD_FAILURE() << node;
    static Tensor none;
    return none;
  };
  EXPECT_EQ(bias_of("c1").shape(), (Shape{3}));
  EXPECT_EQ(bias_of("c2").shape(), (Shape{3}));
  EXPECT_EQ(bias_of("c3").shape(), (Shape{6}));
  for (const Node& n : g.nodes) {
    EXPECT_NE(n.op_type, "Identity") << "the Identity nothing reads is removed";
    if (n.name == "c3") {
      EXPECT_EQ(g.values[static_cast<size_t>(n.inputs[2])].name, "shared_bias");
    }
  }
  auto s = Session::create(m);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  std::vector<NamedTensor> in = {{"x", random_f32({1, 3, 8, 8}, rng)}};
  auto y = (*s)->run(in);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].tensor.shape(), (Shape{1, 6, 4, 4}));
}

// A concatenation summed with another tensor would need that tensor's
// producers to follow two groups at once: the convs stay, with the reason.
TEST(ChannelPruning, KeepsAConcatenationThatMeetsAResidualSum) {
  using testing::random_f32;
  std::mt19937 rng(20);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 4, 5, 5});
  auto conv1x1 = [&](const char* name, ValueId in, int64_t out_ch, int64_t in_ch) {
    return t.node("Conv", name,
                  {in, t.constant(std::string(name) + "_w", random_f32({out_ch, in_ch, 1, 1}, rng))},
                  {attr_ints("kernel_shape", {1, 1})});
  };
  ValueId cat =
      t.node("Concat", "cat", {conv1x1("a", x, 3, 4), conv1x1("b", x, 3, 4)}, {attr_int("axis", 1)});
  ValueId sum = t.node("Add", "sum", {cat, conv1x1("c", x, 6, 4)});
  t.output(conv1x1("head", sum, 2, 6));
  std::shared_ptr<Model> m = t.build();
  PruneOptions o = channel_options(0.5);
  auto r = prune_model(*m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a: its channels reach Add 'sum' through a Concat"), std::string::npos)
      << r.status().message();
}

// An MLP with BatchNorm1d: Gemm [N, 8] -> [N, 6], BatchNormalization over
// the features, Relu, Gemm. Features 1 and 4 are dead (zero weights, bias,
// BN mean and beta), so dropping them keeps the outputs.
TEST(ChannelPruning, FollowsFeaturesThroughBatchNorm1d) {
  using testing::random_f32;
  std::mt19937 rng(21);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {3, 8});
  const std::set<int64_t> dead = {1, 4};
  Tensor w1 = random_f32({6, 8}, rng), b1 = random_f32({6}, rng);  // transB: [F, K]
  kill_rows(w1, dead, 8);
  kill_rows(b1, dead, 1);
  Tensor mean = random_f32({6}, rng), beta = random_f32({6}, rng);
  kill_rows(mean, dead, 1);
  kill_rows(beta, dead, 1);
  ValueId h = t.node("Gemm", "fc1", {x, t.constant("w1", w1), t.constant("b1", b1)}, {attr_int("transB", 1)});
  ValueId bn = t.node("BatchNormalization", "bn1d",
                      {h, t.constant("gamma", random_f32({6}, rng, 0.5, 1.5)), t.constant("beta", beta),
                       t.constant("mean", mean), t.constant("var", random_f32({6}, rng, 0.5, 2.0))});
  t.output(t.node("Gemm", "fc2", {t.node("Relu", "relu", {bn}), t.constant("w2", random_f32({6, 2}, rng))}));
  std::shared_ptr<Model> m = t.build();
  auto pruned = std::make_shared<Model>(*m);
  PruneOptions o = channel_options(0.34);  // 2 of 6
  auto r = prune_model(*pruned, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 1u) << ::testing::PrintToString(r->kept);
  EXPECT_EQ(r->layers[0].channels_after, 4);
  EXPECT_EQ(init(*pruned, "w1").shape(), (Shape{4, 8}));
  EXPECT_EQ(init(*pruned, "gamma").shape(), (Shape{4}));
  EXPECT_EQ(init(*pruned, "w2").shape(), (Shape{4, 2}));
  expect_same_outputs(m, pruned, {{"x", random_f32({3, 8}, rng)}});
}

}  // namespace
}  // namespace fastserve::prune
