// Reference Dropout (kernels/ref/dropout.cc): inference copies and an all-true
// mask; training mode against numpy.random.RandomState's draws (values
// printed by numpy, written here), the scale, ratio 0, the checks, and the
// unseeded form's statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(RefDropout, InferenceCopiesAndMaskIsAllTrue) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({4, 7}, rng);
  // Opset 13: ratio input (ignored at inference) and the mask output.
  const std::vector<Tensor> y =
      run_ref({.op_type = "Dropout", .opset = 13, .num_outputs = 2}, {x, Tensor::scalar<float>(0.5f)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_TRUE(same_bytes(y[0], x));
  ASSERT_EQ(y[1].dtype(), DType::kBool);
  ASSERT_EQ(y[1].shape(), x.shape());
  for (int64_t i = 0; i < y[1].numel(); ++i) EXPECT_TRUE(y[1].data<bool>()[i]) << i;
  // Opset 11: ratio attribute, one output; training_mode false is fine.
  const std::vector<Tensor> v11 =
      run_ref({.op_type = "Dropout", .opset = 11, .attrs = {attr_float("ratio", 0.3f)}}, {x});
  ASSERT_EQ(v11.size(), 1u);
  EXPECT_TRUE(same_bytes(v11[0], x));
  const std::vector<Tensor> off =
      run_ref({.op_type = "Dropout", .opset = 13}, {x, Tensor(), Tensor::scalar<bool>(false)});
  ASSERT_EQ(off.size(), 1u);
  EXPECT_TRUE(same_bytes(off[0], x));
  // Any dtype passes through at inference.
  const Tensor i = Tensor::from_vector<int64_t>({5, -6});
  const std::vector<Tensor> ints = run_ref({.op_type = "Dropout", .opset = 13}, {i});
  ASSERT_EQ(ints.size(), 1u);
  EXPECT_TRUE(same_bytes(ints[0], i));
}

// numpy.random.RandomState(7).uniform(0, 1, 6) =
//   0.0763, 0.7799, 0.4384, 0.7235, 0.9780, 0.5385: with ratio 0.25 only
// element 0 is dropped, and kept ones are scaled by 1 / 0.75.
TEST(RefDropout, SeededTrainingMaskIsNumpysRandomState) {
  const Tensor x = f32({1, -2, 3, -4, 5, -6}, {2, 3});
  const OpSpec spec{.op_type = "Dropout", .opset = 22, .attrs = {attr_int("seed", 7)}, .num_outputs = 2};
  const std::vector<Tensor> y = run_ref(spec, {x, Tensor::scalar<float>(0.25f), Tensor::scalar<bool>(true)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_TRUE(tensors_near(y[0], f32({0, -2.6666667f, 4, -5.3333335f, 6.666667f, -8}, {2, 3}), 0, 0));
  EXPECT_TRUE(tensors_near(
      y[1], Tensor::from_vector<bool>({false, true, true, true, true, true}, Shape{2, 3}), 0, 0));
  // The same seed gives the same mask on every run.
  const std::vector<Tensor> again =
      run_ref(spec, {x, Tensor::scalar<float>(0.25f), Tensor::scalar<bool>(true)});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(same_bytes(again[1], y[1]));
  // Seed 0, ratio 0.5 (the default when input 1 is omitted): draws 0.5488
  // 0.7152 0.6028 0.5449 0.4237 0.6459 0.4376 0.8918 keep all but 4 and 6;
  // a dropped negative element is -0, as mask * X * scale gives.
  const Tensor x8 = f32({1, 2, 3, 4, -5, 6, -7, 8}, {8});
  const std::vector<Tensor> d = run_ref({.op_type = "Dropout", .opset = 13, .attrs = {attr_int("seed", 0)}},
                                        {x8, Tensor(), Tensor::scalar<bool>(true)});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(tensors_near(d[0], f32({2, 4, 6, 8, 0, 12, 0, 16}, {8}), 0, 0));
  EXPECT_TRUE(std::signbit(d[0].data<float>()[4]));
}

TEST(RefDropout, RatioZeroKeepsEverythingAndRatioOneIsAnError) {
  const Tensor x = f32({1, -2, 3}, {3});
  const std::vector<Tensor> y = run_ref({.op_type = "Dropout", .opset = 13, .num_outputs = 2},
                                        {x, Tensor::scalar<float>(0.f), Tensor::scalar<bool>(true)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_TRUE(same_bytes(y[0], x));
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(y[1].data<bool>()[i]);
  for (float bad : {1.f, -0.1f, 2.f}) {
    const Status s = ref_status({.op_type = "Dropout", .opset = 13},
                                {x, Tensor::scalar<float>(bad), Tensor::scalar<bool>(true)});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad << ": " << s.to_string();
    EXPECT_NE(s.message().find("ratio"), std::string::npos) << s.message();
  }
  // Training an integer tensor has no meaning: refused by name.
  const Status s = ref_status({.op_type = "Dropout", .opset = 13},
                              {Tensor::from_vector<int32_t>({1}), Tensor(), Tensor::scalar<bool>(true)});
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}

// Without a seed: each run draws anew; about 1 - ratio of the elements are
// kept, each scaled; 16-bit floats scale in float and round once.
TEST(RefDropout, UnseededTrainingKeepsTheExpectedFraction) {
  const int64_t n = 20000;
  const Tensor x = f32(std::vector<float>(static_cast<size_t>(n), 1.f), {n});
  const OpSpec spec{.op_type = "Dropout", .opset = 13, .num_outputs = 2};
  const std::vector<Tensor> a = run_ref(spec, {x, Tensor::scalar<float>(0.3f), Tensor::scalar<bool>(true)});
  const std::vector<Tensor> b = run_ref(spec, {x, Tensor::scalar<float>(0.3f), Tensor::scalar<bool>(true)});
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool k = a[1].data<bool>()[i];
    kept += k;
    EXPECT_EQ(a[0].data<float>()[i], k ? 1.f / 0.7f : 0.f) << i;
  }
  // 0.7 n +- 5 sigma (sigma = sqrt(n * 0.21) ~ 65).
  EXPECT_NEAR(static_cast<double>(kept), 0.7 * n, 5 * std::sqrt(n * 0.21));
  EXPECT_FALSE(same_bytes(a[1], b[1]));
  for (DType dt : {DType::kF16, DType::kBF16}) {
    const Tensor h = f32_as(f32({2, 2, 2, 2}, {4}), dt);
    const std::vector<Tensor> y = run_ref({.op_type = "Dropout", .opset = 22, .attrs = {attr_int("seed", 7)}},
                                          {h, Tensor::scalar<float>(0.25f), Tensor::scalar<bool>(true)});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(tensors_near(y[0], f32_as(f32({0, 2 / 0.75f, 2 / 0.75f, 2 / 0.75f}, {4}), dt), 0, 0))
        << dtype_name(dt);
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
