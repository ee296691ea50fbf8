// fold_constants: Constant nodes, Shape of static shapes and nodes on
// constants become initializers computed by the registered kernels; graph
// outputs, blowups and unknown ops stay.
#include <gtest/gtest.h>

#include <random>

#include "core/thread_pool.h"
#include "runtime/optimize_model.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_tensor;
using testing::count_op;
using testing::input_name;
using testing::producer_of;
using testing::TestModel;

TEST(FoldConstants, FoldsAChainOnConstantsWithTheKernels) {
  std::mt19937 rng(11);
  const Tensor c = testing::random_f32({2, 3}, rng);
  const Tensor w = testing::random_f32({2, 3}, rng);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId k = t.node("Constant", "k", {}, {attr_tensor("value", c)});
  ValueId two = t.constant("two", Tensor::scalar<float>(2.f));
  ValueId folded = t.node("Mul", "scale", {t.node("Add", "sum", {k, t.constant("w", w)}), two});
  t.output(t.node("Add", "out", {x, folded}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_constants);
  EXPECT_EQ(ctx.rewrites, 3);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  const Value& v = opt.graph.values[static_cast<size_t>(opt.graph.find_value("scale_out0"))];
  ASSERT_TRUE(v.is_constant());
  ASSERT_EQ(v.initializer.shape(), (Shape{2, 3}));
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_FLOAT_EQ(v.initializer.data<float>()[i], (c.data<float>()[i] + w.data<float>()[i]) * 2.f) << i;
  }
  testing::expect_same_outputs(m, 12);
}

TEST(FoldConstants, ConstantNodeSharesItsAttributeBuffer) {
  std::mt19937 rng(13);
  const Tensor c = testing::random_f32({4}, rng);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4});
  t.output(t.node("Add", "add", {x, t.node("Constant", "k", {}, {attr_tensor("value", c)})}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  testing::run_pass(opt, &fold_constants, /*with_evaluator=*/false);
  const Value& v = opt.graph.values[static_cast<size_t>(opt.graph.find_value("k_out0"))];
  ASSERT_TRUE(v.is_constant());
  EXPECT_EQ(v.initializer.raw_data(), c.raw_data());  // no copy of the bytes
  EXPECT_EQ(count_op(opt.graph, "Constant"), 0);
}

// x[2,3,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the
// PyTorch flatten idiom. With a static x every shape node folds.
std::shared_ptr<Model> flatten_idiom(Shape x_shape, std::vector<std::string> dim_params = {}) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, std::move(x_shape), std::move(dim_params));
  ValueId shape = t.node("Shape", "shape", {x});
  ValueId batch = t.node("Gather", "batch", {shape, t.constant("zero", Tensor::scalar<int64_t>(0))});
  ValueId b1 = t.node("Unsqueeze", "unsq", {batch, t.constant("axes", Tensor::from_vector<int64_t>({0}))});
  ValueId target = t.node("Concat", "target", {b1, t.constant("minus1", Tensor::from_vector<int64_t>({-1}))},
                          {attr_int("axis", 0)});
  t.output(t.node("Reshape", "flat", {x, target}));
  return t.build();
}

TEST(FoldConstants, ShapeOfAStaticValueFoldsAndSoDoesEverythingOnIt) {
  std::shared_ptr<Model> m = flatten_idiom({2, 3, 4});
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_constants);
  EXPECT_EQ(ctx.rewrites, 4);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  EXPECT_EQ(opt.graph.nodes[0].op_type, "Reshape");
  const Value& target = opt.graph.values[static_cast<size_t>(opt.graph.find_value("target_out0"))];
  ASSERT_TRUE(target.is_constant());
  EXPECT_EQ(target.initializer.to_int64_vector().value(), (std::vector<int64_t>{2, -1}));
  testing::expect_same_outputs(m, 14);
}

TEST(FoldConstants, ShapeOfASymbolicDimStays) {
  std::shared_ptr<Model> m = flatten_idiom({kUnknownDim, 3, 4}, {"batch", "", ""});
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_constants);
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(opt.graph.nodes.size(), 5u);
}

TEST(FoldConstants, WithoutAnEvaluatorOnlyConstantAndShapeFold) {
  std::shared_ptr<Model> m = flatten_idiom({2, 3, 4});
  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_constants, /*with_evaluator=*/false);
  EXPECT_EQ(ctx.rewrites, 1);
  EXPECT_EQ(count_op(opt.graph, "Shape"), 0);
  EXPECT_EQ(count_op(opt.graph, "Gather"), 1);
}

// Size of a static value folds without an evaluator; comparisons and Where on
// constants fold through their kernels (bool intermediate values included).
TEST(FoldConstants, SizeOfAStaticValueAndWhereOnAConstantComparisonFold) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId n = t.node("Size", "size", {x});
  ValueId cond = t.node("Less", "less", {t.constant("a", Tensor::from_vector<int64_t>({1, 7, 3})), n});
  ValueId pick = t.node("Where", "pick",
                        {cond, t.constant("yes", Tensor::from_vector<float>({1, 2, 3})),
                         t.constant("no", Tensor::scalar<float>(-1.f))});
  t.output(t.node("Mul", "out", {x, pick}));
  std::shared_ptr<Model> m = t.build();

  Model no_eval = *m;
  testing::run_pass(no_eval, &fold_constants, /*with_evaluator=*/false);
  EXPECT_EQ(count_op(no_eval.graph, "Size"), 0);
  EXPECT_EQ(count_op(no_eval.graph, "Where"), 1);

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fold_constants);
  EXPECT_EQ(ctx.rewrites, 3);
  ASSERT_EQ(opt.graph.nodes.size(), 1u);
  const Value& v = opt.graph.values[static_cast<size_t>(opt.graph.find_value("pick_out0"))];
  ASSERT_TRUE(v.is_constant());
  ASSERT_EQ(v.initializer.numel(), 3);  // {1, 7, 3} < 6 picks yes, no, yes
  EXPECT_EQ(v.initializer.data<float>()[0], 1.f);
  EXPECT_EQ(v.initializer.data<float>()[1], -1.f);
  EXPECT_EQ(v.initializer.data<float>()[2], 3.f);
  testing::expect_same_outputs(m, 15);
}

TEST(FoldConstants, LeavesGraphOutputsBlowupsAndUnknownOps) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2});
  ValueId small = t.constant("small", Tensor::from_vector<float>({1.f, 2.f}));
  // Pad grows 8 bytes into 400: above the cap set below, and above its input.
  ValueId pads = t.constant("pads", Tensor::from_vector<int64_t>({0, 98}));
  ValueId big = t.node("Pad", "pad", {small, pads});
  t.output(t.node("ReduceMean", "mean", {big}, {attr_int("keepdims", 0)}));
  t.output(t.node("Relu", "relu_of_constant", {small}));  // a graph output: stays a node
  t.output(t.node("Add", "add", {x, t.node("FooOp", "unknown", {small})}));
  std::shared_ptr<Model> m = t.build();

  Model opt = *m;
  static ThreadPool pool(1);
  PassContext ctx;
  PlanOptions options;
  ctx.evaluate_node = kernel_node_evaluator(options, KernelRegistry::global(), pool);
  ctx.max_folded_blowup_bytes = 64;
  ASSERT_TRUE(infer_graph_shapes(opt).ok());
  ASSERT_TRUE(fold_constants(opt, ctx).ok());
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(opt.graph.nodes.size(), 5u);

  // With the default cap the Pad folds (its reader, a graph output, does not).
  Model opt2 = *m;
  PassContext ctx2 = testing::run_pass(opt2, &fold_constants);
  EXPECT_EQ(ctx2.rewrites, 1);
  EXPECT_EQ(count_op(opt2.graph, "Pad"), 0);
  EXPECT_EQ(count_op(opt2.graph, "ReduceMean"), 1);
}

}  // namespace
}  // namespace fastserve
