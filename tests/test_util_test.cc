// The harness itself: comparison, random tensors, and the op runners (checked
// against values computed by hand here, so a broken harness cannot hide a
// broken kernel).
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

namespace fastserve::testing {
namespace {

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }

TEST(TestUtil, TensorsNearAcceptsWithinToleranceAndReportsMismatches) {
  Tensor e = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(tensors_near(f32({1, 2, 3, 4, 5, 6.000001f}, {2, 3}), e, 1e-5, 0));
  EXPECT_TRUE(tensors_near(f32({1, 2, 3, 4, 5, 6.5f}, {2, 3}), e, 0, 0.1));  // rel: 0.5 <= 0.6

  ::testing::AssertionResult r = tensors_near(f32({1, 2, 3, 4, 5, 7}, {2, 3}), e, 1e-5, 1e-4);
  ASSERT_FALSE(r);
  const std::string msg = r.message();
  EXPECT_NE(msg.find("1 of 6 elements"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at [1,2]: got 7, expected 6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("max abs error 1"), std::string::npos) << msg;
}

TEST(TestUtil, TensorsNearRequiresSameDtypeAndShape) {
  EXPECT_FALSE(tensors_near(f32({1, 2}, {2}), f32({1, 2}, {1, 2})));
  EXPECT_FALSE(tensors_near(Tensor::from_vector<int64_t>({1, 2}), f32({1, 2}, {2})));
  EXPECT_TRUE(tensors_near(Tensor::from_vector<int64_t>({1, -2}), Tensor::from_vector<int64_t>({1, -2}), 0, 0));
  EXPECT_FALSE(tensors_near(Tensor::from_vector<int64_t>({1, -3}), Tensor::from_vector<int64_t>({1, -2}), 0, 0));
}

TEST(TestUtil, TensorsNearTreatsNanAndInfExactly) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(tensors_near(f32({nan, inf, -inf}, {3}), f32({nan, inf, -inf}, {3})));
  EXPECT_FALSE(tensors_near(f32({nan}, {1}), f32({0}, {1})));
  EXPECT_FALSE(tensors_near(f32({inf}, {1}), f32({1e30f}, {1}), 1e-5, 1));
}

TEST(TestUtil, ErrorStatsGivesMaxAbsAndRel) {
  ErrorStats s = error_stats(f32({1.5f, 2, -4.5f}, {3}), f32({1, 2, -4}, {3}));
  EXPECT_DOUBLE_EQ(s.max_abs, 0.5);
  EXPECT_DOUBLE_EQ(s.max_rel, 0.5);
}

TEST(TestUtil, RandomTensorIsSeededAndInRange) {
  std::mt19937 a(1234), b(1234);
  Tensor x = random_f32({257}, a, -2, 3), y = random_f32({257}, b, -2, 3);
  EXPECT_TRUE(tensors_near(x, y, 0, 0));
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_GE(x.data<float>()[i], -2.f);
    EXPECT_LT(x.data<float>()[i], 3.f);
  }
  std::mt19937 rng(1234);
  Tensor ints = random_tensor(DType::kI32, {1000}, rng, -3, 3);
  bool saw_lo = false, saw_hi = false;
  for (int64_t i = 0; i < ints.numel(); ++i) {
    const int32_t v = ints.data<int32_t>()[i];
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);  // integer ranges are inclusive
    saw_lo |= v == -3;
    saw_hi |= v == 3;
  }
  EXPECT_TRUE(saw_lo && saw_hi);
  Tensor u8 = random_tensor(DType::kU8, {100}, rng);  // [-1, 1] clamps to [0, 1]
  for (int64_t i = 0; i < u8.numel(); ++i) EXPECT_LE(u8.data<uint8_t>()[i], 1);
  for (DType dt : {DType::kF64, DType::kF16, DType::kBF16, DType::kBool, DType::kI8, DType::kU16, DType::kI16,
                   DType::kI64, DType::kU32, DType::kU64}) {
    Tensor t = random_tensor(dt, {3, 5}, rng, 0, 4);
    EXPECT_EQ(t.dtype(), dt);
    for (int64_t i = 0; i < t.numel(); ++i) {
      EXPECT_GE(t.element_as_double(i), 0) << dtype_name(dt);
      EXPECT_LE(t.element_as_double(i), 4) << dtype_name(dt);
    }
  }
}

TEST(TestUtil, SourcePathPointsIntoTheRepo) {
  std::ifstream f(source_path("tests/test_util.h"));
  EXPECT_TRUE(f.good()) << source_path("tests/test_util.h");
}

TEST(TestUtil, RunnersAgreeWithHandComputedRelu) {
  const Tensor x = f32({-1.5f, 0, 2, -0.25f, 3, -7}, {2, 3});
  const Tensor want = f32({0, 0, 2, 0, 3, 0}, {2, 3});
  const OpSpec relu{"Relu", 14};
  const KernelDesc* ref = reference_kernel(relu, {x});
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->priority, 0);
  Result<std::vector<Tensor>> direct = run_kernel(*ref, relu, {x});
  ASSERT_TRUE(direct.ok()) << direct.status().to_string();
  EXPECT_TRUE(tensors_near(direct.value()[0], want, 0, 0));
  Result<std::vector<Tensor>> session = run_op_in_session(relu, {x});
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  EXPECT_TRUE(tensors_near(session.value()[0], want, 0, 0));
  EXPECT_FALSE(runnable_kernels(relu, {x}).empty());
  expect_kernels_match_reference(relu, {x});  // whatever optimized Relu exists must agree
}

TEST(TestUtil, RunOpInSessionTurnsConstantInputsIntoInitializers) {
  const Tensor a = f32({1, 2, 3}, {3}), b = f32({10, 20, 30}, {3});
  const Tensor want = f32({11, 22, 33}, {3});
  for (std::vector<bool> constant : {std::vector<bool>{}, {false, true}, {true, true}}) {
    Result<std::vector<Tensor>> r = run_op_in_session({"Add", 14}, {a, b}, {}, constant);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(tensors_near(r.value()[0], want, 0, 0));
  }
}

}  // namespace
}  // namespace fastserve::testing
