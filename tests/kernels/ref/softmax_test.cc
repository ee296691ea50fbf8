// Reference Softmax / LogSoftmax (kernels/ref/softmax.cc): hand values, the
// opset 11-12 (coerce to 2-D) vs 13+ (single axis) semantics, and an
// independent per-slice computation written here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// Softmax over the elements of `x` selected by `in_slice(i)`, one slice at a
// time: slices are found by grouping indices with equal `slice_of(i)`.
template <typename SliceOf>
Tensor naive_softmax(const Tensor& x, SliceOf slice_of, bool log) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(DType::kF32, x.shape());
  const float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      if (slice_of(j) == slice_of(i)) mx = std::max(mx, static_cast<double>(px[j]));
    }
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (slice_of(j) == slice_of(i)) sum += std::exp(px[j] - mx);
    }
    y.data<float>()[i] = static_cast<float>(log ? (px[i] - mx) - std::log(sum) : std::exp(px[i] - mx) / sum);
  }
  return y;
}

// f64 is the same formula in double; f16 evaluates the function body with
// every intermediate rounded to f16 (X - max, Exp, the sum, the quotient),
// written out here step by step.
TEST(RefSoftmax, DoubleAndHalf) {
  std::mt19937 rng(17);
  const Tensor x32 = random_f32({3, 7}, rng, -4, 4);
  Tensor xd = Tensor::empty(DType::kF64, x32.shape());
  for (int64_t i = 0; i < xd.numel(); ++i) xd.data<double>()[i] = x32.data<float>()[i];
  for (bool log : {false, true}) {
    const char* op = log ? "LogSoftmax" : "Softmax";
    const std::vector<Tensor> d = run_ref({.op_type = op, .opset = 13}, {xd});
    ASSERT_EQ(d.size(), 1u);
    Tensor want_d = Tensor::empty(DType::kF64, xd.shape());
    const Tensor& x16 = f32_as(x32, DType::kF16);
    Tensor want_h = Tensor::empty(DType::kF16, xd.shape());
    const auto h = [](double v) {
      return static_cast<double>(half_to_float(float_to_half(static_cast<float>(v))));
    };
    for (int64_t r = 0; r < 3; ++r) {
      double mx = -INFINITY, mh = -INFINITY, sum = 0, sum_h = 0;
      for (int64_t c = 0; c < 7; ++c) {
        mx = std::max(mx, xd.data<double>()[r * 7 + c]);
        mh = std::max(mh, x16.element_as_double(r * 7 + c));
      }
      for (int64_t c = 0; c < 7; ++c) {
        sum += std::exp(xd.data<double>()[r * 7 + c] - mx);
        sum_h += h(std::exp(h(x16.element_as_double(r * 7 + c) - mh)));
      }
      sum_h = h(sum_h);
      for (int64_t c = 0; c < 7; ++c) {
        const double v = xd.data<double>()[r * 7 + c] - mx, vh = h(x16.element_as_double(r * 7 + c) - mh);
        want_d.data<double>()[r * 7 + c] = log ? v - std::log(sum) : std::exp(v) / sum;
        want_h.data<Half>()[r * 7 + c].bits =
            float_to_half(static_cast<float>(log ? vh - h(std::log(sum_h)) : h(std::exp(vh)) / sum_h));
      }
    }
    EXPECT_TRUE(tensors_near(d[0], want_d, 1e-15, 1e-13)) << op;
    const std::vector<Tensor> hy = run_ref({.op_type = op, .opset = 13}, {x16});
    ASSERT_EQ(hy.size(), 1u);
    EXPECT_TRUE(tensors_near(hy[0], want_h, 0, 0)) << op;
  }
}

TEST(RefSoftmax, HandComputedRow) {
  const Tensor x = f32({1, 2, 3}, {1, 3});
  const std::vector<Tensor> s = run_ref({.op_type = "Softmax", .opset = 13}, {x});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(tensors_near(s[0], f32({0.09003057f, 0.24472847f, 0.66524096f}, {1, 3}), 1e-7, 1e-6));
  const std::vector<Tensor> l = run_ref({.op_type = "LogSoftmax", .opset = 13}, {x});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(tensors_near(l[0], f32({-2.40760596f, -1.40760596f, -0.40760596f}, {1, 3}), 1e-7, 1e-6));
}

TEST(RefSoftmax, LargeInputsDoNotOverflow) {
  const std::vector<Tensor> s = run_ref({.op_type = "Softmax", .opset = 13}, {f32({1000, 1001, -1000}, {3})});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(tensors_near(s[0], f32({0.26894142f, 0.73105858f, 0}, {3}), 1e-7, 1e-6));
}

TEST(RefSoftmax, Opset11CoercesTo2DAtAxis) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4}, rng, -3, 3);
  // axis 1 (the opset 11 default): each of the 2 slices of 12 elements sums to 1.
  for (bool log : {false, true}) {
    const std::vector<Tensor> y = run_ref({.op_type = log ? "LogSoftmax" : "Softmax", .opset = 11}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(tensors_near(y[0],
                             naive_softmax(
                                 x, [](int64_t i) { return i / 12; }, log),
                             1e-6, 1e-5));
  }
  // axis -1 in opset 11 is also a 2-D coercion, here equal to a last-axis softmax.
  const std::vector<Tensor> last =
      run_ref({.op_type = "Softmax", .opset = 11, .attrs = {attr_int("axis", -1)}}, {x});
  ASSERT_EQ(last.size(), 1u);
  EXPECT_TRUE(tensors_near(last[0],
                           naive_softmax(
                               x, [](int64_t i) { return i / 4; }, false),
                           1e-6, 1e-5));
  // axis 0: a single slice of all 24 elements.
  const std::vector<Tensor> all =
      run_ref({.op_type = "Softmax", .opset = 12, .attrs = {attr_int("axis", 0)}}, {x});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(tensors_near(all[0],
                           naive_softmax(
                               x, [](int64_t) { return 0; }, false),
                           1e-6, 1e-5));
}

TEST(RefSoftmax, Opset13NormalizesOneAxis) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4}, rng, -3, 3);
  for (bool log : {false, true}) {
    const char* op = log ? "LogSoftmax" : "Softmax";
    // Default axis -1.
    const std::vector<Tensor> d = run_ref({.op_type = op, .opset = 13}, {x});
    ASSERT_EQ(d.size(), 1u);
    EXPECT_TRUE(tensors_near(d[0],
                             naive_softmax(
                                 x, [](int64_t i) { return i / 4; }, log),
                             1e-6, 1e-5));
    // axis 1 of [2,3,4]: slices are (n, k) pairs, elements strided by 4.
    const std::vector<Tensor> a1 = run_ref({.op_type = op, .opset = 13, .attrs = {attr_int("axis", 1)}}, {x});
    ASSERT_EQ(a1.size(), 1u);
    EXPECT_TRUE(tensors_near(a1[0],
                             naive_softmax(
                                 x, [](int64_t i) { return (i / 12) * 4 + i % 4; }, log),
                             1e-6, 1e-5));
    // axis -3 == 0: slices are (j, k) pairs strided by 12.
    const std::vector<Tensor> a0 =
        run_ref({.op_type = op, .opset = 13, .attrs = {attr_int("axis", -3)}}, {x});
    ASSERT_EQ(a0.size(), 1u);
    EXPECT_TRUE(tensors_near(a0[0],
                             naive_softmax(
                                 x, [](int64_t i) { return i % 12; }, log),
                             1e-6, 1e-5));
  }
}

TEST(RefSoftmax, Opset11And13DifferOnMiddleAxis) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4}, rng, -3, 3);
  const std::vector<Tensor> v11 =
      run_ref({.op_type = "Softmax", .opset = 11, .attrs = {attr_int("axis", 1)}}, {x});
  const std::vector<Tensor> v13 =
      run_ref({.op_type = "Softmax", .opset = 13, .attrs = {attr_int("axis", 1)}}, {x});
  ASSERT_EQ(v11.size(), 1u);
  ASSERT_EQ(v13.size(), 1u);
  double sum11 = 0, sum13 = 0;
  for (int64_t i = 0; i < 12; ++i) sum11 += v11[0].data<float>()[i];
  for (int64_t j = 0; j < 3; ++j) sum13 += v13[0].data<float>()[j * 4];
  EXPECT_NEAR(sum11, 1.0, 1e-6);  // first 12 elements: one opset-11 slice
  EXPECT_NEAR(sum13, 1.0, 1e-6);  // x[0, :, 0]: one opset-13 slice
  EXPECT_FALSE(tensors_near(v11[0], v13[0], 1e-3, 1e-3));
}

TEST(RefSoftmax, RejectsOutOfRangeAxisAndHandlesEmpty) {
  // Inference refuses it first (InferElementwise.SoftmaxAxisMustBeInRange); the kernel checks too.
  std::vector<Tensor> out = {Tensor::empty(DType::kF32, Shape{2})};
  const Status s = run_ref_without_inference(
      {.op_type = "Softmax", .opset = 13, .attrs = {attr_int("axis", 1)}}, {f32({1, 2}, {2})}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("node0"), std::string::npos) << s.message();
  const std::vector<Tensor> e = run_ref({.op_type = "Softmax", .opset = 13}, {f32({}, {0, 5})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].shape(), (Shape{0, 5}));
}

}  // namespace
}  // namespace fastserve::testing::ew
