// Reshape-like ops run as views of their input (CompiledNode::view_of_input0):
// no kernel, no copy. The arena must keep a view's source placed for as long
// as the view is read, and a graph output is never a view.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fastserve/session.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::TestModel;
using testing::attr_int;

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

SessionOptions level0() {
  SessionOptions o;
  o.optimization_level = 0;  // keep every node: no pass may remove the views
  return o;
}

// a = Relu(x); v = Reshape(a, [6, 4]); then enough work on x that a planner
// unaware of the view would reuse a's bytes (b, c, d die young), and finally
// y = Add(v, Reshape(d)) reads the view last.
std::shared_ptr<Model> view_outlives_source_model() {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4, 6});
  ValueId a = t.node("Relu", "a", {x});
  ValueId shape = t.constant("shape", Tensor::from_vector<int64_t>({6, 4}));
  ValueId v = t.node("Reshape", "v", {a, shape});
  ValueId b = t.node("Neg", "b", {x});
  ValueId c = t.node("Abs", "c", {b});
  ValueId d = t.node("Neg", "d", {c});
  ValueId dv = t.node("Reshape", "dv", {d, shape});
  t.output(t.node("Add", "y", {v, dv}));
  return t.build();
}

TEST(ViewOps, AViewOutlivingItsSourceReadsTheSourcesValuesOnEveryRun) {
  auto s = Session::create(view_outlives_source_model(), level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (int run = 0; run < 3; ++run) {  // the first run records sizes, later ones use the arena
    const Tensor x = random_tensor(Shape{4, 6}, 10 + run);
    std::vector<NamedTensor> in = {{"x", x}};
    auto out = (*s)->run(in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = out.value()[0].tensor;
    ASSERT_EQ(y.shape(), (Shape{6, 4}));
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float xv = x.data<float>()[i];
      ASSERT_FLOAT_EQ(y.data<float>()[i], std::max(xv, 0.f) - std::abs(xv)) << "run " << run << " at " << i;
    }
  }
}

TEST(ViewOps, AGraphOutputIsACopyNotAViewOfTheCallersInput) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId shape = t.constant("shape", Tensor::from_vector<int64_t>({3, 2}));
  t.output(t.node("Reshape", "r", {x, shape}));
  auto s = Session::create(t.build(), level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  const Tensor x_in = random_tensor(Shape{2, 3}, 3);
  std::vector<NamedTensor> in = {{"x", x_in}};
  auto out = (*s)->run(in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& y = out.value()[0].tensor;
  EXPECT_NE(y.raw_data(), x_in.raw_data());
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(y.data<float>()[i], x_in.data<float>()[i]);
}

TEST(ViewOps, ChainsOfViewsOnAConstantWork) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 6});
  ValueId w = t.constant("w", random_tensor(Shape{2, 3}, 4));
  ValueId axes = t.constant("axes", Tensor::from_vector<int64_t>({0}));
  ValueId u = t.node("Unsqueeze", "u", {w, axes});                 // [1, 2, 3]
  ValueId f = t.node("Flatten", "f", {u}, {attr_int("axis", 1)});  // [1, 6]
  t.output(t.node("Add", "y", {x, f}));
  std::shared_ptr<Model> m = t.build();
  const Tensor wv = m->graph.values[static_cast<size_t>(m->graph.find_value("w"))].initializer;
  auto s = Session::create(m, level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  const Tensor x_in = random_tensor(Shape{1, 6}, 5);
  for (int run = 0; run < 2; ++run) {
    std::vector<NamedTensor> in = {{"x", x_in}};
    auto out = (*s)->run(in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (int64_t i = 0; i < 6; ++i) {
      EXPECT_FLOAT_EQ(out.value()[0].tensor.data<float>()[i], x_in.data<float>()[i] + wv.data<float>()[i]);
    }
  }
}

}  // namespace
}  // namespace fastserve
