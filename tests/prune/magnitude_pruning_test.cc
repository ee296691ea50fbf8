// Magnitude pruning: global scope zeroes exactly floor(s * total) weights,
// all of them no larger than any weight kept (one threshold over every
// layer); per-layer scope and --per-layer overrides give each layer its own
// fraction; excluded layers are untouched; shapes never change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "prune/prune.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::prune {
namespace {

using testing::TestModel;

// x [2, 3, 10, 10] -> Conv(W1 [8, 3, 3, 3]) -> Relu -> Flatten -> Gemm(W2 [16, 512], transB) -> MatMul(W3 [16, 5]).
// The layers' weights have different scales (1, 0.1, 0.5), so a global
// threshold takes much more of the Gemm than of the conv.
std::shared_ptr<Model> three_layers(std::mt19937& rng) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3, 10, 10});
  ValueId c = t.node("Conv", "conv", {x, t.constant("w1", testing::random_f32({8, 3, 3, 3}, rng)),
                                      t.constant("b1", testing::random_f32({8}, rng))},
                     {testing::attr_ints("kernel_shape", {3, 3})});
  ValueId f = t.node("Flatten", "flat", {t.node("Relu", "relu", {c})});
  ValueId g = t.node("Gemm", "fc", {f, t.constant("w2", testing::random_f32({16, 512}, rng, -0.1, 0.1))},
                     {testing::attr_int("transB", 1)});
  t.output(t.node("MatMul", "head", {g, t.constant("w3", testing::random_f32({16, 5}, rng, -0.5, 0.5))}));
  return t.build();
}

const Tensor& weight(const Model& m, const char* name) {
  return m.graph.values[static_cast<size_t>(m.graph.find_value(name))].initializer;
}

int64_t zeros(const Tensor& t) {
  return std::count(t.data<float>(), t.data<float>() + t.numel(), 0.f);
}

TEST(MagnitudePruning, GlobalThresholdZeroesTheSmallestWeightsOverAllLayers) {
  std::mt19937 rng(3);
  std::shared_ptr<Model> m = three_layers(rng);
  const Model original = *m;
  PruneOptions o;
  o.sparsity = 0.7;
  auto r = prune_model(*m, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 3u);
  const int64_t total = 8 * 27 + 16 * 512 + 16 * 5;
  EXPECT_EQ(r->weights_before, total);
  EXPECT_EQ(r->zeros_after, static_cast<int64_t>(std::floor(0.7 * total)));
  // Every zeroed weight is no larger than every kept one.
  float max_pruned = 0, min_kept = INFINITY;
  for (const char* w : {"w1", "w2", "w3"}) {
    const Tensor& before = weight(original, w);
    const Tensor& after = weight(*m, w);
    ASSERT_EQ(before.shape(), after.shape()) << w;
    for (int64_t i = 0; i < after.numel(); ++i) {
      const float b = std::fabs(before.data<float>()[i]), a = after.data<float>()[i];
      if (a == 0.f) {
        max_pruned = std::max(max_pruned, b);
      } else {
        EXPECT_EQ(a, before.data<float>()[i]) << w << " kept weights are unchanged";
        min_kept = std::min(min_kept, b);
      }
    }
  }
  EXPECT_LE(max_pruned, min_kept);
  EXPECT_FLOAT_EQ(static_cast<float>(r->threshold), max_pruned);
  // The small-scale Gemm lost more than the conv.
  EXPECT_GT(r->layers[1].sparsity(), 0.7);
  EXPECT_LT(r->layers[0].sparsity(), 0.2);
  // The original model's weights were not written through.
  EXPECT_EQ(zeros(weight(original, "w2")), 0);
}

TEST(MagnitudePruning, PerLayerScopeOverridesAndExclusions) {
  std::mt19937 rng(4);
  std::shared_ptr<Model> m = three_layers(rng);
  const Model original = *m;
  PruneOptions o;
  o.sparsity = 0.5;
  o.global = false;
  o.per_layer["fc"] = 0.9;
  o.exclude = {"head"};
  auto r = prune_model(*m, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 2u);
  EXPECT_EQ(zeros(weight(*m, "w1")), 8 * 27 / 2);
  EXPECT_EQ(zeros(weight(*m, "w2")), static_cast<int64_t>(std::floor(0.9 * 16 * 512)));
  EXPECT_TRUE(testing::tensors_near(weight(*m, "w3"), weight(original, "w3"), 0, 0));
  ASSERT_EQ(r->kept.size(), 1u);
  EXPECT_EQ(r->kept[0], "head: excluded");
  // Within a layer the pruned ones are the smallest.
  const Tensor& b = weight(original, "w1");
  const Tensor& a = weight(*m, "w1");
  float max_pruned = 0, min_kept = INFINITY;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const float mag = std::fabs(b.data<float>()[i]);
    if (a.data<float>()[i] == 0.f) {
      max_pruned = std::max(max_pruned, mag);
    } else {
      min_kept = std::min(min_kept, mag);
    }
  }
  EXPECT_LE(max_pruned, min_kept);
}

TEST(MagnitudePruning, GlobalWithAPerLayerOverride) {
  std::mt19937 rng(5);
  std::shared_ptr<Model> m = three_layers(rng);
  PruneOptions o;
  o.sparsity = 0.6;
  o.per_layer["conv"] = 0.0;
  auto r = prune_model(*m, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(zeros(weight(*m, "w1")), 0);
  EXPECT_EQ(zeros(weight(*m, "w2")) + zeros(weight(*m, "w3")),
            static_cast<int64_t>(std::floor(0.6 * (16 * 512 + 16 * 5))));
}

TEST(PruneModel, BadRequestsAreErrorsNamingWhat) {
  std::mt19937 rng(6);
  std::shared_ptr<Model> m = three_layers(rng);
  auto expect_error = [&](const PruneOptions& o, const std::string& what) {
    auto copy = std::make_shared<Model>(*m);
    auto r = prune_model(*copy, o);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  PruneOptions o;
  o.sparsity = 1.0;
  expect_error(o, "outside [0, 1)");
  o.sparsity = -0.1;
  expect_error(o, "outside [0, 1)");
  o.sparsity = 0.5;
  o.per_layer["nope"] = 0.5;
  expect_error(o, "'nope' names no node");
  o.per_layer.clear();
  o.per_layer["relu"] = 0.5;
  expect_error(o, "'relu' is not a prunable layer");
  o.per_layer.clear();
  o.per_layer["fc"] = 1.5;
  expect_error(o, "--per-layer fc=1.5");
  o.per_layer.clear();
  o.exclude = {"missing"};
  expect_error(o, "--exclude 'missing'");
  o.exclude = {"conv", "fc", "head"};
  expect_error(o, "every prunable layer is excluded");
  EXPECT_FALSE(parse_prune_method("random").ok());
  EXPECT_EQ(*parse_prune_method("2:4"), PruneMethod::kTwoFour);

  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  t.output(t.node("Relu", "only", {x}));
  std::shared_ptr<Model> none = t.build();
  auto r = prune_model(*none, PruneOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nothing to prune"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fastserve::prune
