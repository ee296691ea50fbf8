// Session through the global kernel registry: option parsing, the
// all-at-once unsupported-op report, input validation, concurrent runs and
// the max_isa cap. (Runtime mechanics with fake kernels: execution_plan_test.cc.)
#include "fastserve/session.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/cpu_features.h"
#include "runtime/kernel_registry.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::TestModel;

// input[1,1,28,28] -> Relu -> output
std::shared_ptr<Model> relu_model() {
  TestModel t;
  ValueId x = t.input("input", DType::kF32, {1, 1, 28, 28});
  t.output(t.node("Relu", "relu", {x}));
  return t.build();
}

const KernelDesc* find_kernel(const std::string& name) {
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

TEST(Session, ListsEveryUnknownOpAtOnce) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4});
  ValueId a = t.node("FooBar", "foo_node", {x});
  t.output(t.node("NonMaxSuppressionX", "nms", {a}));
  std::shared_ptr<Model> m = t.build();
  Result<std::unique_ptr<Session>> s = Session::create(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.status().message(), m->display_name() +
                                      ": 2 nodes have no kernel: FooBar (node 'foo_node'), "
                                      "NonMaxSuppressionX (node 'nms')");
}

TEST(Session, UnknownOpIsBlamedNotTheNodesAfterIt) {
  TestModel t;
  ValueId a = t.node("FooBar", "foo", {t.input("x", DType::kF32, {4})});
  t.output(t.node("Relu", "relu", {a}));
  std::shared_ptr<Model> m = t.build();
  Result<std::unique_ptr<Session>> s = Session::create(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), m->display_name() + ": 1 node has no kernel: FooBar (node 'foo')");
}

TEST(Session, RejectsBadOptions) {
  std::shared_ptr<Model> m = relu_model();
  SessionOptions isa;
  isa.max_isa = "avx9000";
  Result<std::unique_ptr<Session>> s = Session::create(m, isa);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("max_isa"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("avx9000"), std::string::npos) << s.status().message();

  SessionOptions device;
  device.device = "tpu";
  s = Session::create(m, device);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("tpu"), std::string::npos) << s.status().message();

  SessionOptions threads;
  threads.num_threads = -1;
  s = Session::create(m, threads);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("num_threads"), std::string::npos) << s.status().message();

  SessionOptions kernels;
  for (const char* bad : {"bogus", "", "OneDNN"}) {
    kernels.kernels = bad;
    s = Session::create(m, kernels);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("SessionOptions.kernels: unknown kernels '" + std::string(bad) +
                                        "' (expected auto, fastserve or onednn)"),
              std::string::npos)
        << s.status().message();
  }

  EXPECT_EQ(Session::create(nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(Session, CudaDeviceIsUnsupportedOnThisBuild) {
  SessionOptions o;
  o.device = "cuda:0";
  Result<std::unique_ptr<Session>> s = Session::create(relu_model(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
#ifndef FASTSERVE_HAVE_CUDA
  EXPECT_NE(s.status().message().find("CUDA backend not built/available"), std::string::npos)
      << s.status().message();
#endif
}

TEST(Session, ReportsThreadsIoAndKernelChoices) {
  SessionOptions o;
  o.num_threads = 0;
  Result<std::unique_ptr<Session>> s = Session::create(relu_model(), o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const Session& session = *s.value();
  EXPECT_EQ(session.num_threads(), std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  ASSERT_EQ(session.inputs().size(), 1u);
  EXPECT_EQ(session.inputs()[0].name, "input");
  EXPECT_EQ(session.inputs()[0].shape, Shape({1, 1, 28, 28}));
  ASSERT_EQ(session.outputs().size(), 1u);
  EXPECT_EQ(session.outputs()[0].dtype, DType::kF32);
  ASSERT_EQ(session.kernel_choices().size(), 1u);
  EXPECT_EQ(session.kernel_choices()[0].op_type, "Relu");
  EXPECT_NE(find_kernel(session.kernel_choices()[0].kernel_name), nullptr);
  EXPECT_EQ(session.kernel_choices()[0].provider, kProviderFastServe);  // kernels = "auto"
  EXPECT_EQ(session.model().graph.nodes.size(), 1u);

  o.num_threads = 3;
  Result<std::unique_ptr<Session>> three = Session::create(relu_model(), o);
  ASSERT_TRUE(three.ok()) << three.status().to_string();
  EXPECT_EQ(three.value()->num_threads(), 3);
}

TEST(Session, ValidatesInputs) {
  std::shared_ptr<Model> m = relu_model();
  Result<std::unique_ptr<Session>> s = Session::create(m);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const std::string p = m->display_name() + ": ";
  auto run = [&](std::vector<NamedTensor> in) { return s.value()->run(in).status(); };

  Status name = run({{"x", Tensor::zeros(DType::kF32, {1, 1, 28, 28})}});
  EXPECT_EQ(name.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(name.message(), p + "unknown input 'x'; model inputs are: input");
  EXPECT_EQ(run({{"input", Tensor::zeros(DType::kF32, {1, 1, 28, 30})}}).message(),
            p + "input 'input': dim 3 is 30, model expects 28");
  EXPECT_EQ(run({{"input", Tensor::zeros(DType::kF32, {1, 1, 30, 28})}}).message(),
            p + "input 'input': dim 2 is 30, model expects 28");
  EXPECT_EQ(run({{"input", Tensor::zeros(DType::kF64, {1, 1, 28, 28})}}).message(),
            p + "input 'input': dtype is float64, model expects float32");
  EXPECT_EQ(run({{"input", Tensor::zeros(DType::kF32, {28, 28})}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run({}).message(), p + "missing input 'input' (float32[1,1,28,28])");

  std::mt19937 rng(1234);
  Tensor x = testing::random_f32({1, 1, 28, 28}, rng);
  Result<std::vector<NamedTensor>> ok = s.value()->run(std::vector<NamedTensor>{{"input", x}});
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(ok.value()[0].tensor.data<float>()[i], std::max(x.data<float>()[i], 0.f)) << i;
  }
}

// x[8,32] -> MatMul(W) -> Add(b) -> Relu -> y: real kernels, 4 threads.
TEST(Session, ConcurrentRunsGiveIdenticalResults) {
  std::mt19937 rng(1234);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {8, 32});
  ValueId w = t.constant("w", testing::random_f32({32, 16}, rng));
  ValueId b = t.constant("b", testing::random_f32({16}, rng));
  ValueId mm = t.node("MatMul", "mm", {x, w});
  ValueId add = t.node("Add", "add", {mm, b});
  t.output(t.node("Relu", "relu", {add}));
  SessionOptions o;
  o.num_threads = 2;
  Result<std::unique_ptr<Session>> s = Session::create(t.build(), o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();

  constexpr int kThreads = 4, kRuns = 25;
  std::vector<Tensor> inputs, expected;
  for (int i = 0; i < kRuns; ++i) {
    inputs.push_back(testing::random_f32({8, 32}, rng));
    Result<std::vector<NamedTensor>> r = s.value()->run(std::vector<NamedTensor>{{"x", inputs.back()}});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    expected.push_back(r.value()[0].tensor);
  }
  std::vector<std::vector<Tensor>> got(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kRuns; ++i) {
        // Each thread walks the inputs from a different start.
        const int k = (i + th * 7) % kRuns;
        Result<std::vector<NamedTensor>> r = s.value()->run(std::vector<NamedTensor>{{"x", inputs[k]}});
        got[th].push_back(r.ok() ? r.value()[0].tensor : Tensor());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int th = 0; th < kThreads; ++th) {
    for (int i = 0; i < kRuns; ++i) {
      EXPECT_TRUE(testing::tensors_near(got[th][i], expected[(i + th * 7) % kRuns], 0, 0))
          << "thread " << th << " run " << i;
    }
  }
}

// max_isa="scalar" must pick only portable kernels and agree with the default
// (fastest) path on a Conv + Gemm model.
TEST(Session, ScalarIsaCapPicksPortableKernelsWithSameOutputs) {
  std::mt19937 rng(1234);
  TestModel t(17);
  ValueId x = t.input("x", DType::kF32, {2, 3, 9, 9});
  ValueId cw = t.constant("conv_w", testing::random_f32({8, 3, 3, 3}, rng));
  ValueId cb = t.constant("conv_b", testing::random_f32({8}, rng));
  ValueId conv = t.node("Conv", "conv", {x, cw, cb},
                        {testing::attr_ints("pads", {1, 1, 1, 1}), testing::attr_ints("strides", {2, 2})});
  ValueId relu = t.node("Relu", "relu", {conv});
  ValueId flat = t.node("Flatten", "flatten", {relu}, {testing::attr_int("axis", 1)});
  ValueId gw = t.constant("gemm_w", testing::random_f32({10, 8 * 5 * 5}, rng));
  ValueId gb = t.constant("gemm_b", testing::random_f32({10}, rng));
  t.output(t.node("Gemm", "gemm", {flat, gw, gb}, {testing::attr_int("transB", 1)}));
  std::shared_ptr<Model> m = t.build();

  Result<std::unique_ptr<Session>> fast = Session::create(m);
  ASSERT_TRUE(fast.ok()) << fast.status().to_string();
  SessionOptions scalar_opts;
  scalar_opts.max_isa = "scalar";
  Result<std::unique_ptr<Session>> scalar = Session::create(m, scalar_opts);
  ASSERT_TRUE(scalar.ok()) << scalar.status().to_string();
  for (const KernelChoice& c : scalar.value()->kernel_choices()) {
    const KernelDesc* d = find_kernel(c.kernel_name);
    ASSERT_NE(d, nullptr) << c.kernel_name;
    EXPECT_EQ(d->required_isa, Isa::kScalar) << c.node_name << " runs " << c.kernel_name;
  }

  Tensor in = testing::random_f32({2, 3, 9, 9}, rng);
  std::vector<NamedTensor> feeds{{"x", in}};
  Result<std::vector<NamedTensor>> a = fast.value()->run(feeds);
  Result<std::vector<NamedTensor>> b = scalar.value()->run(feeds);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(a.value()[0].tensor.shape(), Shape({2, 10}));
  EXPECT_TRUE(testing::tensors_near(b.value()[0].tensor, a.value()[0].tensor, 1e-4, 1e-4));
}

}  // namespace
}  // namespace fastserve

namespace fastserve {
namespace {

// Level 1: no fusion, so the MLP below stays three nodes (level 2 makes it one FusedMatMul).
SessionOptions unfused() {
  SessionOptions o;
  o.optimization_level = 1;
  return o;
}

// x[batch,32] -> MatMul(W) -> Add(b) -> Relu -> y, with a symbolic batch.
std::shared_ptr<Model> mlp_model(std::mt19937& rng) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 32}, {"batch", ""});
  ValueId w = t.constant("w", testing::random_f32({32, 16}, rng));
  ValueId b = t.constant("b", testing::random_f32({16}, rng));
  ValueId mm = t.node("MatMul", "mm", {x, w});
  ValueId add = t.node("Add", "add", {mm, b});
  t.output(t.node("Relu", "relu", {add}));
  return t.build();
}

TEST(SessionProfile, TimesEveryNodeOncePerRunWithTheRunsShapes) {
  std::mt19937 rng(99);
  Result<std::unique_ptr<Session>> s = Session::create(mlp_model(rng), unfused());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const Session& sess = *s.value();
  const Tensor x = testing::random_f32({5, 32}, rng);
  const std::vector<NamedTensor> in = {{"x", x}};

  Result<std::vector<NamedTensor>> plain = sess.run(in);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  RunProfile profile;
  for (int i = 0; i < 3; ++i) {
    Result<std::vector<NamedTensor>> r = sess.run(in, &profile);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    // Profiling does not change results.
    EXPECT_TRUE(testing::tensors_near(r.value()[0].tensor, plain.value()[0].tensor, 0, 0));
  }
  EXPECT_EQ(profile.runs, 3);
  EXPECT_GT(profile.run_ms, 0.0);
  ASSERT_EQ(profile.nodes.size(), 3u);
  double kernels_ms = 0;
  const std::vector<std::string> names = {"mm", "add", "relu"};
  for (size_t i = 0; i < profile.nodes.size(); ++i) {
    const NodeProfile& np = profile.nodes[i];
    EXPECT_EQ(np.node_name, names[i]);
    EXPECT_EQ(np.node_index, static_cast<int32_t>(i));
    EXPECT_EQ(np.op_type, sess.kernel_choices()[i].op_type);
    EXPECT_EQ(np.kernel_name, sess.kernel_choices()[i].kernel_name);
    EXPECT_EQ(np.calls, 3);
    EXPECT_GE(np.total_ms, 0.0);
    kernels_ms += np.total_ms;
    ASSERT_EQ(np.output_shapes.size(), 1u);
    EXPECT_EQ(np.output_shapes[0], Shape({5, 16}));
  }
  EXPECT_LE(kernels_ms, profile.run_ms);
  ASSERT_EQ(profile.nodes[0].input_shapes.size(), 2u);
  EXPECT_EQ(profile.nodes[0].input_shapes[0], Shape({5, 32}));
  EXPECT_EQ(profile.nodes[0].input_shapes[1], Shape({32, 16}));

  // A later run at another batch size records its own shapes.
  ASSERT_TRUE(sess.run(std::vector<NamedTensor>{{"x", testing::random_f32({2, 32}, rng)}}, &profile).ok());
  EXPECT_EQ(profile.runs, 4);
  EXPECT_EQ(profile.nodes[2].output_shapes[0], Shape({2, 16}));
  EXPECT_EQ(profile.nodes[2].calls, 4);
}

TEST(SessionProfile, AProfileFromAnotherModelStartsOver) {
  std::mt19937 rng(5);
  Result<std::unique_ptr<Session>> mlp = Session::create(mlp_model(rng), unfused());
  Result<std::unique_ptr<Session>> relu = Session::create(relu_model());
  ASSERT_TRUE(mlp.ok() && relu.ok());
  RunProfile profile;
  ASSERT_TRUE(
      mlp.value()->run(std::vector<NamedTensor>{{"x", testing::random_f32({1, 32}, rng)}}, &profile).ok());
  ASSERT_EQ(profile.nodes.size(), 3u);
  ASSERT_TRUE(
      relu.value()
          ->run(std::vector<NamedTensor>{{"input", testing::random_f32({1, 1, 28, 28}, rng)}}, &profile)
          .ok());
  EXPECT_EQ(profile.runs, 1);
  ASSERT_EQ(profile.nodes.size(), 1u);
  EXPECT_EQ(profile.nodes[0].node_name, "relu");
  EXPECT_EQ(profile.nodes[0].calls, 1);
}

TEST(SessionProfile, FailedRunLeavesNoPhantomRun) {
  std::mt19937 rng(6);
  Result<std::unique_ptr<Session>> s = Session::create(mlp_model(rng), unfused());
  ASSERT_TRUE(s.ok());
  RunProfile profile;
  // Wrong inner dim: rejected before any kernel runs.
  EXPECT_FALSE(
      s.value()->run(std::vector<NamedTensor>{{"x", testing::random_f32({1, 31}, rng)}}, &profile).ok());
  EXPECT_EQ(profile.runs, 0);
  for (const NodeProfile& np : profile.nodes) EXPECT_EQ(np.calls, 0);
}

TEST(SessionProfile, IsaNamesTheCappedLevel) {
  SessionOptions o;
  o.max_isa = "scalar";
  Result<std::unique_ptr<Session>> s = Session::create(relu_model(), o);
  ASSERT_TRUE(s.ok());
  EXPECT_STREQ(s.value()->isa(), "scalar");
  Result<std::unique_ptr<Session>> host = Session::create(relu_model());
  ASSERT_TRUE(host.ok());
  EXPECT_STREQ(host.value()->isa(), isa_name(host_isa()));
}

}  // namespace
}  // namespace fastserve
