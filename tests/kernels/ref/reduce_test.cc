// Reference ReduceMean (kernels/ref/reduce.cc): axes as attribute (< 18) and
// as input (18+), keepdims, negative axes, reduce-all, noop_with_empty_axes,
// integer truncation, against an independent mean computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// Mean over `axes` (normalized) of a float tensor, keepdims-shaped, by
// visiting every input element and bucketing it by its kept coordinates.
Tensor naive_mean(const Tensor& x, const std::set<size_t>& axes, bool keepdims) {
  const size_t rank = x.rank();
  std::vector<int64_t> out_dims;
  for (size_t d = 0; d < rank; ++d) {
    if (!axes.count(d))
      out_dims.push_back(x.dim(d));
    else if (keepdims)
      out_dims.push_back(1);
  }
  Tensor y = Tensor::zeros(DType::kF32, Shape(out_dims));
  std::vector<double> sum(static_cast<size_t>(y.numel()), 0.0);
  std::vector<int64_t> cnt(static_cast<size_t>(y.numel()), 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rest = i, key = 0, mul = 1;
    for (size_t d = rank; d-- > 0;) {
      const int64_t c = rest % x.dim(d);
      rest /= x.dim(d);
      if (!axes.count(d)) {
        key += c * mul;
        mul *= x.dim(d);
      }
    }
    sum[static_cast<size_t>(key)] += x.data<float>()[i];
    ++cnt[static_cast<size_t>(key)];
  }
  for (int64_t o = 0; o < y.numel(); ++o) {
    y.data<float>()[o] =
        static_cast<float>(sum[static_cast<size_t>(o)] / static_cast<double>(cnt[static_cast<size_t>(o)]));
  }
  return y;
}

TEST(RefReduceMean, HandComputed) {
  const Tensor x = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  const std::vector<Tensor> rows =
      run_ref({.op_type = "ReduceMean", .opset = 13, .attrs = {attr_ints("axes", {1})}}, {x});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(tensors_near(rows[0], f32({2, 5}, {2, 1}), 0, 0));
  const std::vector<Tensor> cols = run_ref(
      {.op_type = "ReduceMean", .opset = 13, .attrs = {attr_ints("axes", {-2}), attr_int("keepdims", 0)}},
      {x});
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_TRUE(tensors_near(cols[0], f32({2.5f, 3.5f, 4.5f}, {3}), 0, 0));
  const std::vector<Tensor> all =
      run_ref({.op_type = "ReduceMean", .opset = 13, .attrs = {attr_int("keepdims", 0)}}, {x});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(tensors_near(all[0], f32({3.5f}, {}), 0, 0));
}

TEST(RefReduceMean, MatchesNaiveMeanForAxisSets) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({3, 4, 5, 2}, rng, -10, 10);
  const std::vector<std::vector<int64_t>> axis_sets = {{0},    {1},    {3},      {-1},
                                                       {1, 2}, {0, 2}, {-4, -1}, {0, 1, 2, 3}};
  for (const auto& axes : axis_sets) {
    std::set<size_t> norm;
    for (int64_t a : axes) norm.insert(static_cast<size_t>(a < 0 ? a + 4 : a));
    for (int keep : {0, 1}) {
      SCOPED_TRACE(::testing::Message() << "axes " << ::testing::PrintToString(axes) << " keepdims " << keep);
      const std::vector<Tensor> v13 =
          run_ref({.op_type = "ReduceMean",
                   .opset = 13,
                   .attrs = {attr_ints("axes", axes), attr_int("keepdims", keep)}},
                  {x});
      ASSERT_EQ(v13.size(), 1u);
      EXPECT_TRUE(tensors_near(v13[0], naive_mean(x, norm, keep != 0), 1e-6, 1e-6));
      // Opset 18: the same axes as an input.
      const std::vector<Tensor> v18 =
          run_ref({.op_type = "ReduceMean", .opset = 18, .attrs = {attr_int("keepdims", keep)}},
                  {x, Tensor::from_vector<int64_t>(axes)});
      ASSERT_EQ(v18.size(), 1u);
      EXPECT_TRUE(tensors_near(v18[0], v13[0], 0, 0));
    }
  }
}

TEST(RefReduceMean, Opset18EmptyAxes) {
  const Tensor x = f32({1, 2, 3, 4}, {2, 2});
  // Omitted axes: reduce everything.
  const std::vector<Tensor> all = run_ref({.op_type = "ReduceMean", .opset = 18}, {x});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(tensors_near(all[0], f32({2.5f}, {1, 1}), 0, 0));
  // noop_with_empty_axes: identity, with an omitted or an empty axes input.
  const OpSpec noop{.op_type = "ReduceMean", .opset = 18, .attrs = {attr_int("noop_with_empty_axes", 1)}};
  const std::vector<Tensor> a = run_ref(noop, {x});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(tensors_near(a[0], x, 0, 0));
  const std::vector<Tensor> b = run_ref(noop, {x, Tensor::from_vector<int64_t>({})});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(tensors_near(b[0], x, 0, 0));
}

TEST(RefReduceMean, IntegerMeanTruncates) {
  const Tensor x = Tensor::from_vector<int32_t>({-3, -4, 3, 4, 1, 1}, Shape{3, 2});
  const std::vector<Tensor> y = run_ref(
      {.op_type = "ReduceMean", .opset = 13, .attrs = {attr_ints("axes", {1}), attr_int("keepdims", 0)}},
      {x});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].dtype(), DType::kI32);
  EXPECT_EQ(y[0].data<int32_t>()[0], -3);  // -3.5
  EXPECT_EQ(y[0].data<int32_t>()[1], 3);   // 3.5
  EXPECT_EQ(y[0].data<int32_t>()[2], 1);
}

TEST(RefReduceMean, EmptyReductionIsNaNAndScalarIsItself) {
  const std::vector<Tensor> e =
      run_ref({.op_type = "ReduceMean", .opset = 13, .attrs = {attr_ints("axes", {1})}}, {f32({}, {2, 0})});
  ASSERT_EQ(e.size(), 1u);
  ASSERT_EQ(e[0].shape(), (Shape{2, 1}));
  EXPECT_TRUE(std::isnan(e[0].data<float>()[0]));
  const std::vector<Tensor> s = run_ref({.op_type = "ReduceMean", .opset = 13}, {f32({4}, {})});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(tensors_near(s[0], f32({4}, {}), 0, 0));
}

TEST(RefReduceMean, KernelRejectsRepeatedOrOutOfRangeAxes) {
  // Inference refuses these first (InferElementwise.ReduceMeanRejectsBadAxes); the kernel checks too.
  std::vector<Tensor> out = {Tensor::empty(DType::kF32, Shape{1, 1})};
  const OpSpec spec{.op_type = "ReduceMean", .opset = 18};
  EXPECT_EQ(run_ref_without_inference(spec, {f32({1, 2}, {1, 2}), Tensor::from_vector<int64_t>({1, -1})}, out)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      run_ref_without_inference(spec, {f32({1, 2}, {1, 2}), Tensor::from_vector<int64_t>({2})}, out).code(),
      StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      run_ref_without_inference(spec, {f32({1, 2}, {1, 2}), Tensor::from_vector<int64_t>({-1, 0})}, out)
          .ok());
  EXPECT_EQ(out[0].data<float>()[0], 1.5f);
}

}  // namespace
}  // namespace fastserve::testing::ew
