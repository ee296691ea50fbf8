// Sessions carve intermediates out of a planned arena from the second run
// with given input shapes (src/runtime/run_memory.cc, executor.cc): outputs
// stay bit-identical to the first (unplanned) run, across shape changes and
// concurrent runs, and the plan is smaller than one buffer per tensor.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "fastserve/session.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::TestModel;

// x[batch,32] -> MatMul -> Add -> Relu -> MatMul -> Sigmoid -> Add(skip) -> y
std::shared_ptr<Model> mlp_model(std::mt19937& rng) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 32}, {"batch", ""});
  ValueId w1 = t.constant("w1", testing::random_f32({32, 64}, rng));
  ValueId b1 = t.constant("b1", testing::random_f32({64}, rng));
  ValueId w2 = t.constant("w2", testing::random_f32({64, 32}, rng));
  ValueId h = t.node("Relu", "relu", {t.node("Add", "add1", {t.node("MatMul", "mm1", {x, w1}), b1})});
  ValueId s = t.node("Sigmoid", "sig", {t.node("MatMul", "mm2", {h, w2})});
  t.output(t.node("Add", "skip", {s, x}));
  return t.build();
}

Tensor run_once(const Session& s, const Tensor& x) {
  Result<std::vector<NamedTensor>> r = s.run(std::vector<NamedTensor>{{"x", x}});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r.value()[0].tensor : Tensor();
}

TEST(RunMemory, PlannedRunsMatchTheFirstRunAcrossShapes) {
  std::mt19937 rng(5);
  SessionOptions unfused;  // level 1: the five intermediates stay (fusion would leave two)
  unfused.optimization_level = 1;
  Result<std::unique_ptr<Session>> s = Session::create(mlp_model(rng), unfused);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s.value()->memory_stats().planned_activation_bytes, 0u);
  for (int64_t batch : {3, 17, 3, 1, 17}) {
    Tensor x = testing::random_f32({batch, 32}, rng);
    Tensor first = run_once(*s.value(), x);   // records (or plans, for repeated shapes)
    Tensor second = run_once(*s.value(), x);  // arena-backed
    Tensor third = run_once(*s.value(), x);   // the arena reused
    EXPECT_TRUE(testing::tensors_near(second, first, 0, 0)) << "batch " << batch;
    EXPECT_TRUE(testing::tensors_near(third, first, 0, 0)) << "batch " << batch;
    const MemoryStats m = s.value()->memory_stats();
    EXPECT_GT(m.planned_activation_bytes, 0u);
    // Five intermediates of batch x {64, 64, 64, 32, 32} floats: sharing must beat one buffer each.
    EXPECT_LT(m.planned_activation_bytes, m.naive_activation_bytes) << "batch " << batch;
  }
}

// x[8,100] -> Neg -> Relu -> Abs -> Sigmoid -> Add(., skip) -> y, with skip
// = x (then every intermediate dies at its reader: one buffer in place) or
// the first intermediate (then it lives to the end and the rest take turns).
std::shared_ptr<Model> unary_chain(bool skip_first) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {8, 100});
  ValueId a = t.node("Neg", "a", {x});
  ValueId b = t.node("Relu", "b", {a});
  ValueId c = t.node("Abs", "c", {b});
  ValueId d = t.node("Sigmoid", "d", {c});
  t.output(t.node("Add", "y", {d, skip_first ? a : x}));
  return t.build();
}

float unary_chain_ref(float x, bool skip_first) {
  const float a = -x, d = 1.f / (1.f + std::exp(-std::abs(std::max(a, 0.f))));
  return d + (skip_first ? a : x);
}

TEST(RunMemory, ElementwiseOpsRunInPlaceWhenTheirInputDiesThere) {
  SessionOptions level0;
  level0.optimization_level = 0;
  constexpr size_t kTensorBytes = 8 * 100 * sizeof(float);  // 3200: a multiple of 64
  for (bool skip_first : {false, true}) {
    SCOPED_TRACE(skip_first ? "skip from the first intermediate" : "skip from the input");
    Result<std::unique_ptr<Session>> s = Session::create(unary_chain(skip_first), level0);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    std::mt19937 rng(8);
    for (int run = 0; run < 3; ++run) {
      Tensor x = testing::random_f32({8, 100}, rng);
      Tensor y = run_once(*s.value(), x);
      ASSERT_EQ(y.numel(), 800);
      for (int64_t i = 0; i < 800; ++i) {
        ASSERT_NEAR(y.data<float>()[i], unary_chain_ref(x.data<float>()[i], skip_first), 1e-6f) << "run " << run;
      }
    }
    const MemoryStats m = s.value()->memory_stats();
    EXPECT_EQ(m.naive_activation_bytes, 4 * kTensorBytes);
    // In place, a..d share one buffer; with a alive to the end, b..d share a second.
    EXPECT_EQ(m.planned_activation_bytes, (skip_first ? 2 : 1) * kTensorBytes);
  }
}

// x[1,C,16,16] -> Relu = a -> Conv = b -> Conv(b) + z -> Relu -> Conv -> y,
// with z = a (a residual block: the fused conv's Y may take a's buffer, as
// a dies there) or z = b (Conv(b) + b: Y must not take b's buffer, which the
// conv still reads). C = 320 channels, 1x1 convs: the GEMM reads the input
// in place, in K slices, while it writes Y, so aliasing it corrupts Y
// (checked by disabling the guard).
constexpr int64_t kBlockChannels = 320;
std::shared_ptr<Model> residual_block(bool z_is_conv_input, std::mt19937& rng) {
  TestModel t;
  auto pads = [] {
    Attribute a;
    a.name = "pads";
    a.kind = Attribute::Kind::kInts;
    a.ints = {1, 1, 1, 1};
    return std::vector<Attribute>{a};
  };
  auto conv = [&](const std::string& name, ValueId in, int64_t kernel = 3) {
    ValueId w = t.constant(name + "_w", testing::random_f32({kBlockChannels, kBlockChannels, kernel, kernel}, rng));
    ValueId b = t.constant(name + "_b", testing::random_f32({kBlockChannels}, rng));
    return kernel == 3 ? t.node("Conv", name, {in, w, b}, pads()) : t.node("Conv", name, {in, w, b});
  };
  ValueId x = t.input("x", DType::kF32, {1, kBlockChannels, 16, 16});
  ValueId a = t.node("Relu", "a", {x});
  ValueId b = conv("conv1", a, 1);
  ValueId c = t.node("Relu", "c", {t.node("Add", "sum", {conv("conv2", b, 1), z_is_conv_input ? b : a})});
  t.output(conv("conv3", c, 1));
  return t.build();
}

TEST(RunMemory, FusedConvWritesItsResidualInPlaceUnlessTheConvReadsIt) {
  constexpr size_t kTensorBytes = kBlockChannels * 16 * 16 * sizeof(float);
  for (bool z_is_conv_input : {false, true}) {
    SCOPED_TRACE(z_is_conv_input ? "Conv(b) + b" : "Conv(b) + a");
    std::mt19937 rng(11);
    std::shared_ptr<Model> model = residual_block(z_is_conv_input, rng);
    SessionOptions level0;
    level0.optimization_level = 0;  // Conv, Add and Relu apart: the reference
    Result<std::unique_ptr<Session>> ref = Session::create(model, level0);
    Result<std::unique_ptr<Session>> fused = Session::create(model);
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    for (int run = 0; run < 3; ++run) {  // the first unplanned, then in the arena
      Tensor x = testing::random_f32({1, kBlockChannels, 16, 16}, rng);
      Tensor want = run_once(*ref.value(), x);
      Tensor got = run_once(*fused.value(), x);
      EXPECT_TRUE(testing::tensors_near(got, want, 2e-3, 1e-4)) << "run " << run;  // sums of 320 products
    }
    // a, b and the block's output c. Z = a: a, b and c are live together
    // unless c takes a's buffer in place, so two buffers prove it. Z = b: a
    // dies at conv1 and c reuses its space either way (two buffers); the
    // check there is the values above, which go wrong if c took b's buffer.
    const MemoryStats m = fused.value()->memory_stats();
    EXPECT_EQ(m.naive_activation_bytes, 3 * kTensorBytes);
    EXPECT_EQ(m.planned_activation_bytes, 2 * kTensorBytes);
  }
}

TEST(RunMemory, OutputsOutliveLaterRuns) {
  // Outputs are never in the arena: a later run must not overwrite an earlier result.
  std::mt19937 rng(6);
  Result<std::unique_ptr<Session>> s = Session::create(mlp_model(rng));
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  Tensor x1 = testing::random_f32({4, 32}, rng), x2 = testing::random_f32({4, 32}, rng);
  run_once(*s.value(), x1);
  Tensor y1 = run_once(*s.value(), x1);
  Tensor keep = y1.clone();
  run_once(*s.value(), x2);
  EXPECT_TRUE(testing::tensors_near(y1, keep, 0, 0));
}

TEST(RunMemory, ConcurrentPlannedRunsAreIndependent) {
  std::mt19937 rng(7);
  SessionOptions o;
  o.num_threads = 2;
  Result<std::unique_ptr<Session>> s = Session::create(mlp_model(rng), o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  constexpr int kThreads = 4, kRuns = 20;
  std::vector<Tensor> xs, want;
  for (int i = 0; i < kRuns; ++i) {
    xs.push_back(testing::random_f32({8, 32}, rng));
    want.push_back(run_once(*s.value(), xs.back()));
  }
  std::vector<std::vector<Tensor>> got(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kRuns; ++i) got[th].push_back(run_once(*s.value(), xs[(i + th * 3) % kRuns]));
    });
  }
  for (std::thread& t : threads) t.join();
  for (int th = 0; th < kThreads; ++th) {
    for (int i = 0; i < kRuns; ++i) {
      EXPECT_TRUE(testing::tensors_near(got[th][i], want[(i + th * 3) % kRuns], 0, 0)) << th << "/" << i;
    }
  }
}

}  // namespace
}  // namespace fastserve
