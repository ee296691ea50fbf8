// compile_plan / execute_plan driven through a local KernelRegistry of fake
// kernels, so the runtime's behaviour (kernel choice, prepare state, input
// validation, intermediate release, concurrency) is tested independently of
// the real kernels.
#include "runtime/execution_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::TestModel;

Status relu_run(const KernelContext& ctx) {
  const float* x = ctx.inputs[0]->data<float>();
  float* y = ctx.outputs[0]->data<float>();
  // Split across the pool so concurrent runs exercise the shared ThreadPool.
  ctx.pool->parallel_for(ctx.outputs[0]->numel(), 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = std::max(x[i], 0.f);
  });
  return ok_status();
}

// Same shapes, or b a single element.
Status add_run(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  float* y = ctx.outputs[0]->data<float>();
  for (int64_t i = 0; i < a.numel(); ++i) y[i] = a.data<float>()[i] + b.data<float>()[b.numel() == 1 ? 0 : i];
  return ok_status();
}

// Mul by a constant scalar: prepare() reads the initializer and the run uses
// only the state (input 1 is deliberately not read when it was constant).
struct MulState {
  bool constant = false;
  float scale = 0;
};
Status mul_prepare(const NodeView& node, PrepareContext& ctx) {
  auto s = std::make_shared<MulState>();
  if (const Tensor* b = node.input_value(1); b != nullptr && b->numel() == 1) {
    s->constant = true;
    s->scale = b->data<float>()[0];
  }
  ctx.state = s;
  return ok_status();
}
Status mul_run(const KernelContext& ctx) {
  const MulState& s = ctx.state_as<MulState>();
  const float scale = s.constant ? s.scale : ctx.inputs[1]->data<float>()[0];
  const float* x = ctx.inputs[0]->data<float>();
  float* y = ctx.outputs[0]->data<float>();
  for (int64_t i = 0; i < ctx.outputs[0]->numel(); ++i) y[i] = x[i] * scale;
  return ok_status();
}

// Dropout in inference: copy, and an all-true mask when asked for.
Status dropout_run(const KernelContext& ctx) {
  std::copy_n(ctx.inputs[0]->data<float>(), ctx.inputs[0]->numel(), ctx.outputs[0]->data<float>());
  if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) {
    std::fill_n(ctx.outputs[1]->data<bool>(), ctx.outputs[1]->numel(), true);
  }
  return ok_status();
}

Status failing_run(const KernelContext& ctx) { return ctx.node.error(StatusCode::kInvalidArgument, "boom"); }
Status failing_anonymous_run(const KernelContext&) { return invalid_argument("bad things"); }
Status prepare_fails(const NodeView&, PrepareContext&) { return unsupported("cannot prepack this"); }

KernelDesc fake(const char* name, const char* op, RunFn run, PrepareFn prepare = nullptr, int priority = 0) {
  KernelDesc d;
  d.name = name;
  d.op_type = op;
  d.run = run;
  d.prepare = prepare;
  d.priority = priority;
  return d;
}

KernelRegistry fake_registry() {
  KernelRegistry r;
  r.add(fake("relu_f32__fake", "Relu", relu_run));
  r.add(fake("add_f32__fake", "Add", add_run));
  r.add(fake("mul_f32__fake", "Mul", mul_run, mul_prepare));
  r.add(fake("dropout_f32__fake", "Dropout", dropout_run));
  r.add(fake("sigmoid_f32__failing", "Sigmoid", failing_run));
  r.add(fake("tanh_f32__failing", "Tanh", failing_anonymous_run));
  r.add(fake("hardswish_f32__noprepare", "HardSwish", relu_run, prepare_fails));
  return r;
}

Result<ExecutionPlan> compile(const std::shared_ptr<Model>& m, Isa isa = Isa::kScalar) {
  static const KernelRegistry registry = fake_registry();
  return compile_plan(*m, PlanOptions{Device::kCpu, isa, 2}, registry);
}

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }

// x -> Relu -> r -> Add(r, x) -> y (output); r is also an output.
std::shared_ptr<Model> relu_add_model(Shape shape = {2, 3}) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, std::move(shape));
  ValueId r = t.node("Relu", "relu", {x});
  ValueId y = t.node("Add", "add", {r, x});
  t.output(y);
  t.output(r);
  return t.build();
}

TEST(ExecutionPlan, RunsNodesAndReturnsOutputsInGraphOrder) {
  Result<ExecutionPlan> plan = compile(relu_add_model());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ThreadPool pool(2);
  std::vector<NamedTensor> in{{"x", f32({-1, 2, -3, 4, 0, 6}, {2, 3})}};
  Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].name, "add_out0");
  EXPECT_EQ((*out)[1].name, "relu_out0");
  EXPECT_TRUE(testing::tensors_near((*out)[0].tensor, f32({-1, 4, -3, 8, 0, 12}, {2, 3}), 0, 0));
  EXPECT_TRUE(testing::tensors_near((*out)[1].tensor, f32({0, 2, 0, 4, 0, 6}, {2, 3}), 0, 0));
}

TEST(ExecutionPlan, RecordsKernelChoicesAndIoInfo) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 3}, {"batch", ""});
  t.output(t.node("Relu", "relu", {x}));
  Result<ExecutionPlan> plan = compile(t.build());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->kernel_choices.size(), 1u);
  EXPECT_EQ(plan->kernel_choices[0].node_name, "relu");
  EXPECT_EQ(plan->kernel_choices[0].op_type, "Relu");
  EXPECT_EQ(plan->kernel_choices[0].kernel_name, "relu_f32__fake");
  ASSERT_EQ(plan->inputs.size(), 1u);
  EXPECT_EQ(plan->inputs[0].name, "x");
  EXPECT_EQ(plan->inputs[0].dtype, DType::kF32);
  EXPECT_EQ(plan->inputs[0].shape, Shape({kUnknownDim, 3}));
  EXPECT_EQ(plan->inputs[0].dim_params, (std::vector<std::string>{"batch", ""}));
  ASSERT_EQ(plan->outputs.size(), 1u);
  EXPECT_EQ(plan->outputs[0].dtype, DType::kF32);  // inferred at compile
}

TEST(ExecutionPlan, PrepareSeesInitializersAndRunUsesItsState) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4});
  ValueId c = t.constant("c", Tensor::scalar(3.f));
  t.output(t.node("Mul", "mul", {x, c}));
  Result<ExecutionPlan> plan = compile(t.build());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_NE(plan->nodes[0].state, nullptr);
  EXPECT_TRUE(static_cast<const MulState*>(plan->nodes[0].state.get())->constant);
  ThreadPool pool(1);
  std::vector<NamedTensor> in{{"x", f32({1, -2, 3, 0.5f}, {4})}};
  Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(testing::tensors_near((*out)[0].tensor, f32({3, -6, 9, 1.5f}, {4}), 0, 0));
}

TEST(ExecutionPlan, PrepareErrorNamesModelAndNode) {
  TestModel t;
  t.output(t.node("HardSwish", "hs", {t.input("x", DType::kF32, {4})}));
  std::shared_ptr<Model> m = t.build();
  Result<ExecutionPlan> plan = compile(m);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(plan.status().message(), m->display_name() + ": node 'hs' (HardSwish): cannot prepack this");
}

TEST(ExecutionPlan, ReleasesIntermediatesAfterLastUseButNeverGraphOutputs) {
  // x -> relu1 -> a -> relu2 -> b -> add(b, a) -> y; b is also a graph
  // output; dropout's mask is never read.
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {3});
  ValueId a = t.node("Relu", "relu1", {x});
  ValueId b = t.node("Relu", "relu2", {a});
  std::vector<ValueId> d = t.node_n("Dropout", "drop", {b}, 2);
  ValueId y = t.node("Add", "add", {d[0], a});
  t.output(y);
  t.output(b);
  Result<ExecutionPlan> plan = compile(t.build());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->nodes.size(), 4u);
  EXPECT_TRUE(plan->nodes[0].release_after.empty());                                // a still needed by add
  EXPECT_TRUE(plan->nodes[1].release_after.empty());                                // b is a graph output
  EXPECT_EQ(plan->nodes[2].release_after, (std::vector<ValueId>{d[1]}));            // unread mask
  EXPECT_EQ(plan->nodes[3].release_after, (std::vector<ValueId>{a, d[0]}));         // add's inputs

  ThreadPool pool(2);
  std::vector<NamedTensor> in{{"x", f32({-1, 2, 5}, {3})}};
  Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(testing::tensors_near((*out)[0].tensor, f32({0, 4, 10}, {3}), 0, 0));
  EXPECT_TRUE(testing::tensors_near((*out)[1].tensor, f32({0, 2, 5}, {3}), 0, 0));
}

TEST(ExecutionPlan, OutputThatIsAnInputOrInitializerIsReturnedAsIs) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2});
  ValueId c = t.constant("c", f32({7, 8}, {2}));
  t.output(t.node("Relu", "relu", {x}));
  t.output(x);
  t.output(c);
  Result<ExecutionPlan> plan = compile(t.build());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ThreadPool pool(1);
  Tensor xin = f32({-1, 1}, {2});
  std::vector<NamedTensor> in{{"x", xin}};
  Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[1].name, "x");
  EXPECT_EQ((*out)[1].tensor.raw_data(), xin.raw_data());
  EXPECT_EQ((*out)[2].name, "c");
  EXPECT_TRUE(testing::tensors_near((*out)[2].tensor, f32({7, 8}, {2}), 0, 0));
}

// Input validation: one test per mistake, checking the whole message.
class PlanInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    TestModel t;
    ValueId a = t.input("a", DType::kF32, {kUnknownDim, 3}, {"N", ""});
    ValueId b = t.input("b", DType::kF32, {kUnknownDim, 3}, {"N", ""});
    t.output(t.node("Add", "add", {a, b}));
    model_ = t.build();
    Result<ExecutionPlan> plan = compile(model_);
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    plan_ = std::move(plan.value());
  }
  Status run(std::vector<NamedTensor> in) {
    Result<std::vector<NamedTensor>> r = execute_plan(plan_, in, pool_);
    return r.status();
  }
  std::string prefix() const { return model_->display_name() + ": "; }
  std::shared_ptr<Model> model_;
  ExecutionPlan plan_;
  ThreadPool pool_{1};
};

TEST_F(PlanInputs, AcceptsMatchingInputsInAnyOrder) {
  Tensor t = Tensor::zeros(DType::kF32, {2, 3});
  EXPECT_TRUE(run({{"b", t}, {"a", t}}).ok());
}

TEST_F(PlanInputs, UnknownNameListsModelInputs) {
  Tensor t = Tensor::zeros(DType::kF32, {2, 3});
  Status s = run({{"a", t}, {"x", t}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), prefix() + "unknown input 'x'; model inputs are: a, b");
}

TEST_F(PlanInputs, MissingInputIsNamedWithItsType) {
  Status s = run({{"a", Tensor::zeros(DType::kF32, {2, 3})}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), prefix() + "missing input 'b' (float32[?,3])");
  Status none = run({});
  EXPECT_EQ(none.message(), prefix() + "missing inputs 'a' (float32[?,3]), 'b' (float32[?,3])");
}

TEST_F(PlanInputs, DuplicateInputIsRejected) {
  Tensor t = Tensor::zeros(DType::kF32, {2, 3});
  Status s = run({{"a", t}, {"a", t}, {"b", t}});
  EXPECT_EQ(s.message(), prefix() + "input 'a' given more than once");
}

TEST_F(PlanInputs, WrongDtypeRankAndDimAreReported) {
  Tensor ok = Tensor::zeros(DType::kF32, {2, 3});
  EXPECT_EQ(run({{"a", Tensor::zeros(DType::kI64, {2, 3})}, {"b", ok}}).message(),
            prefix() + "input 'a': dtype is int64, model expects float32");
  EXPECT_EQ(run({{"a", Tensor::zeros(DType::kF32, {2, 3, 1})}, {"b", ok}}).message(),
            prefix() + "input 'a': rank is 3 (shape [2,3,1]), model expects 2 ([?,3])");
  EXPECT_EQ(run({{"a", ok}, {"b", Tensor::zeros(DType::kF32, {2, 4})}}).message(),
            prefix() + "input 'b': dim 1 is 4, model expects 3");
  EXPECT_EQ(run({{"a", ok}, {"b", Tensor()}}).code(), StatusCode::kInvalidArgument);
}

TEST_F(PlanInputs, SymbolicDimMustAgreeAcrossInputs) {
  Status s = run({{"a", Tensor::zeros(DType::kF32, {2, 3})}, {"b", Tensor::zeros(DType::kF32, {5, 3})}});
  EXPECT_EQ(s.message(), prefix() + "input 'b': dim 0 ('N') is 5, but input 'a' set it to 2");
}

TEST(ExecutionPlan, KernelErrorNamesModelAndNode) {
  for (const char* op : {"Sigmoid", "Tanh"}) {
    TestModel t;
    t.output(t.node(op, "bad", {t.input("x", DType::kF32, {2})}));
    std::shared_ptr<Model> m = t.build();
    Result<ExecutionPlan> plan = compile(m);
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    ThreadPool pool(1);
    std::vector<NamedTensor> in{{"x", Tensor::zeros(DType::kF32, {2})}};
    Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
    ASSERT_FALSE(out.ok());
    const std::string node = "node 'bad' (" + std::string(op) + "): ";
    EXPECT_EQ(out.status().message(),
              m->display_name() + ": " + node + (std::string(op) == "Sigmoid" ? "boom" : "bad things"));
  }
}

TEST(ExecutionPlan, EveryNodeWithoutKernelIsListedAtOnce) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2});
  ValueId a = t.node("FooBar", "foo_node", {x});
  ValueId b = t.node("Relu", "after_foo", {a});  // input type unknown: not blamed
  ValueId c = t.node("Softmax", "sm", {x});      // known op, no fake kernel
  ValueId d = t.node("Custom", "", {x}, {}, "com.acme");
  t.output(b);
  t.output(c);
  t.output(d);
  std::shared_ptr<Model> m = t.build();
  m->opsets["com.acme"] = 1;
  Result<ExecutionPlan> plan = compile(m);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(plan.status().message(),
            m->display_name() +
                ": 3 nodes have no kernel: FooBar (node 'foo_node'), "
                "Softmax (node 'sm': no kernel for opset 17, input dtype float32 on cpu), "
                "com.acme.Custom (node #3)");
}

TEST(ExecutionPlan, ProviderOrderChoosesTheKernelAndIsRecorded) {
  KernelRegistry r = fake_registry();
  KernelDesc lib = fake("relu_f32__lib", "Relu", relu_run, nullptr, /*priority=*/1);
  lib.provider = "lib";
  r.add(lib);
  TestModel t;
  t.output(t.node("Relu", "relu", {t.input("x", DType::kF32, {2, 3})}));
  std::shared_ptr<Model> m = t.build();
  PlanOptions options{Device::kCpu, Isa::kScalar, 2};
  Result<ExecutionPlan> ours = compile_plan(*m, options, r);
  ASSERT_TRUE(ours.ok()) << ours.status().to_string();
  EXPECT_EQ(ours->kernel_choices[0].kernel_name, "relu_f32__fake");
  EXPECT_EQ(ours->kernel_choices[0].provider, kProviderFastServe);
  options.providers = {"lib", kProviderFastServe};
  Result<ExecutionPlan> theirs = compile_plan(*m, options, r);
  ASSERT_TRUE(theirs.ok()) << theirs.status().to_string();
  EXPECT_EQ(theirs->kernel_choices[0].kernel_name, "relu_f32__lib");
  EXPECT_EQ(theirs->kernel_choices[0].provider, "lib");
}

TEST(ExecutionPlan, ProviderMissingFromTheRegistryIsUnsupported) {
  TestModel t;
  t.output(t.node("Relu", "relu", {t.input("x", DType::kF32, {2})}));
  std::shared_ptr<Model> m = t.build();
  PlanOptions options{Device::kCpu, Isa::kScalar, 2};
  options.providers = {kProviderOneDnn, kProviderFastServe};
  Result<ExecutionPlan> plan = compile_plan(*m, options, fake_registry());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  const std::string expected = m->display_name() + ": kernel provider 'onednn' is not in this build";
  EXPECT_EQ(plan.status().message().rfind(expected, 0), 0u) << plan.status().message();
}

TEST(ExecutionPlan, ConcurrentRunsShareThePlanAndPool) {
  // Large enough that relu_run's parallel_for really splits across the pool.
  const Shape shape{64, 33};
  Result<ExecutionPlan> plan = compile(relu_add_model(shape));
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ThreadPool pool(2);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int iter = 0; iter < 50; ++iter) {
        Tensor x = testing::random_f32(shape, rng);
        std::vector<NamedTensor> in{{"x", x}};
        Result<std::vector<NamedTensor>> out = execute_plan(plan.value(), in, pool);
        if (!out.ok()) {
          ++failures;
          continue;
        }
        const float* xs = x.data<float>();
        const float* ys = (*out)[0].tensor.data<float>();
        for (int64_t i = 0; i < x.numel(); ++i) {
          if (ys[i] != std::max(xs[i], 0.f) + xs[i]) ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace fastserve
