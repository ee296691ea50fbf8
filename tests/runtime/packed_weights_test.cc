// Weights that every reader packed at compile are dropped from the session's
// model copy (compile_plan.cc drop_packed_weights): only the packed copy
// stays resident. A weight another node still reads, or a graph output,
// keeps its data; the caller's Model is never changed.
#include <gtest/gtest.h>

#include <random>

#include "fastserve/session.h"
#include "tests/runtime/test_model.h"

namespace fastserve {
namespace {

using testing::TestModel;

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// y[i][j] = sum_k x[i][k] * w[k][j]
std::vector<float> matmul_ref(const Tensor& x, const Tensor& w) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(1);
  std::vector<float> y(static_cast<size_t>(m * n), 0.f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) y[i * n + j] += x.data<float>()[i * k + p] * w.data<float>()[p * n + j];
  return y;
}

const Value& value_named(const Model& m, const std::string& name) {
  return m.graph.values[static_cast<size_t>(m.graph.find_value(name))];
}

SessionOptions level0() {
  SessionOptions o;
  o.optimization_level = 0;  // the graph as built: no pass may fold or fuse the weight's readers
  return o;
}

TEST(PackedWeights, AWeightOnlyMatMulReadsIsDroppedAndRunsStillMatch) {
  TestModel t;
  const Tensor w = random_tensor(Shape{24, 40}, 1);
  ValueId x = t.input("x", DType::kF32, {5, 24});
  ValueId wid = t.constant("w", w);
  t.output(t.node("MatMul", "mm", {x, wid}));
  std::shared_ptr<Model> m = t.build();
  auto s = Session::create(m, level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(value_named((*s)->model(), "w").initializer.raw_data(), nullptr);
  EXPECT_EQ(value_named((*s)->model(), "w").initializer.shape(), (Shape{24, 40})) << "the shape stays";
  EXPECT_EQ(value_named(*m, "w").initializer.raw_data(), w.raw_data()) << "the caller's model keeps its weight";

  const Tensor in = random_tensor(Shape{5, 24}, 2);
  const std::vector<float> ref = matmul_ref(in, w);
  for (int run = 0; run < 2; ++run) {
    std::vector<NamedTensor> inputs = {{"x", in}};
    auto out = (*s)->run(inputs);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = out.value()[0].tensor;
    ASSERT_EQ(y.numel(), static_cast<int64_t>(ref.size()));
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(y.data<float>()[i], ref[i], 1e-4f) << i;
  }
}

TEST(PackedWeights, AWeightAnotherNodeReadsKeepsItsData) {
  TestModel t;
  const Tensor w = random_tensor(Shape{8, 8}, 3);
  ValueId x = t.input("x", DType::kF32, {8, 8});
  ValueId wid = t.constant("w", w);
  ValueId mm = t.node("MatMul", "mm", {x, wid});
  t.output(t.node("Add", "add", {mm, wid}));  // Add reads w's data at run time
  auto s = Session::create(t.build(), level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_NE(value_named((*s)->model(), "w").initializer.raw_data(), nullptr);
}

TEST(PackedWeights, AWeightThatIsAGraphOutputKeepsItsData) {
  TestModel t;
  const Tensor w = random_tensor(Shape{8, 8}, 4);
  ValueId x = t.input("x", DType::kF32, {3, 8});
  ValueId wid = t.constant("w", w);
  t.output(t.node("MatMul", "mm", {x, wid}));
  t.output(wid);
  auto s = Session::create(t.build(), level0());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_NE(value_named((*s)->model(), "w").initializer.raw_data(), nullptr);
}

}  // namespace
}  // namespace fastserve
