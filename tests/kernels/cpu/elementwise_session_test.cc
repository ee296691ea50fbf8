// The elementwise family through a full Session: the kernels' accepts() and
// prepare() see compile-time views (constants only), outputs may be omitted,
// and type-agnostic descriptors (Cast, Identity, Dropout) are selected.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

TEST(ElementwiseSession, ReduceMeanAxesConstantOrRuntime) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({3, 4, 5}, rng);
  const Tensor axes = Tensor::from_vector<int64_t>({-1});
  const OpSpec spec{.op_type = "ReduceMean", .opset = 18, .attrs = {attr_int("keepdims", 0)}};
  const std::vector<Tensor> want = run_ref(spec, {x, axes});
  ASSERT_EQ(want.size(), 1u);
  // Axes as an initializer: the optimized kernel can plan at compile time.
  Result<std::vector<Tensor>> constant = run_op_in_session(spec, {x, axes}, {}, {false, true});
  ASSERT_TRUE(constant.ok()) << constant.status().to_string();
  EXPECT_TRUE(tensors_near(constant.value()[0], want[0], 1e-6, 1e-5));
  // Axes as a graph input: only known at run time.
  Result<std::vector<Tensor>> runtime = run_op_in_session(spec, {x, axes});
  ASSERT_TRUE(runtime.ok()) << runtime.status().to_string();
  EXPECT_TRUE(tensors_near(runtime.value()[0], want[0], 1e-6, 1e-5));
}

TEST(ElementwiseSession, SoftmaxOpset11And13) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 17}, rng, -4, 4);
  for (int64_t opset : {11, 13}) {
    const OpSpec spec{.op_type = "Softmax", .opset = opset, .attrs = {attr_int("axis", 1)}};
    const std::vector<Tensor> want = run_ref(spec, {x});
    ASSERT_EQ(want.size(), 1u);
    Result<std::vector<Tensor>> got = run_op_in_session(spec, {x});
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_TRUE(tensors_near(got.value()[0], want[0], 1e-6, 1e-5)) << "opset " << opset;
  }
}

TEST(ElementwiseSession, DropoutMaskAndRuntimeTrainingMode) {
  const Tensor x = f32({1, -2, 3}, {3});
  Result<std::vector<Tensor>> two =
      run_op_in_session({.op_type = "Dropout", .opset = 13, .num_outputs = 2}, {x});
  ASSERT_TRUE(two.ok()) << two.status().to_string();
  ASSERT_EQ(two.value().size(), 2u);
  EXPECT_TRUE(tensors_near(two.value()[0], x, 0, 0));
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(two.value()[1].data<bool>()[i]);
  // training_mode fed at run time, seeded: numpy.random.RandomState(7)'s
  // draws 0.0763 0.7799 0.4384 with ratio 0.1 drop element 0 only.
  Result<std::vector<Tensor>> training =
      run_op_in_session({.op_type = "Dropout", .opset = 13, .attrs = {attr_int("seed", 7)}},
                        {x, Tensor::scalar<float>(0.1f), Tensor::scalar<bool>(true)});
  ASSERT_TRUE(training.ok()) << training.status().to_string();
  EXPECT_TRUE(tensors_near(training.value()[0], f32({0, -2 / 0.9f, 3 / 0.9f}, {3}), 0, 1e-7));
  // A constant training_mode = true survives the passes (not removed as an identity).
  Result<std::vector<Tensor>> constant = run_op_in_session(
      {.op_type = "Dropout", .opset = 13, .attrs = {attr_int("seed", 7)}},
      {x, Tensor::scalar<float>(0.1f), Tensor::scalar<bool>(true)}, {}, {false, true, true});
  ASSERT_TRUE(constant.ok()) << constant.status().to_string();
  EXPECT_TRUE(tensors_near(constant.value()[0], training.value()[0], 0, 0));
}

TEST(ElementwiseSession, CastAndBroadcastBinary) {
  const Tensor x = f32({1.5f, -2.5f, 300.f}, {3});
  Result<std::vector<Tensor>> c = run_op_in_session(
      {.op_type = "Cast", .opset = 13, .attrs = {attr_int("to", static_cast<int64_t>(DType::kU8))}}, {x});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c.value()[0].dtype(), DType::kU8);
  EXPECT_EQ(c.value()[0].data<uint8_t>()[0], 1);
  EXPECT_EQ(c.value()[0].data<uint8_t>()[1], 0);
  EXPECT_EQ(c.value()[0].data<uint8_t>()[2], 255);
  std::mt19937 rng(1234);
  const Tensor a = random_f32({2, 3, 4, 5}, rng);
  const Tensor b = random_f32({3, 1, 1}, rng);
  const OpSpec add{.op_type = "Add", .opset = 14};
  Result<std::vector<Tensor>> y = run_op_in_session(add, {a, b}, {}, {false, true});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_TRUE(tensors_near(y.value()[0], run_ref(add, {a, b})[0], 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
