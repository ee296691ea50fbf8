// Optimized f32 ReduceMean (kernels/cpu/reduce/) against the reference:
// trailing axes (global pooling, row means at tail sizes, a long global mean
// split into parts), leading and middle axes (column accumulation), opset 18
// axes input, noop, and axis sets the fast path must refuse.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr double kAtol = 1e-5;
constexpr double kRtol = 1e-4;

int compare(const Tensor& x, std::vector<int64_t> axes, int keepdims = 1, int64_t opset = 13) {
  SCOPED_TRACE(x.shape().to_string() + " axes " + ::testing::PrintToString(axes) + " keepdims " +
               std::to_string(keepdims) + " opset " + std::to_string(opset));
  if (opset >= 18) {
    return expect_kernels_match_reference(
        {.op_type = "ReduceMean", .opset = opset, .attrs = {attr_int("keepdims", keepdims)}},
        {x, Tensor::from_vector<int64_t>(axes)}, kAtol, kRtol);
  }
  std::vector<Attribute> attrs = {attr_int("keepdims", keepdims)};
  if (!axes.empty()) attrs.push_back(attr_ints("axes", axes));
  return expect_kernels_match_reference({.op_type = "ReduceMean", .opset = opset, .attrs = attrs}, {x}, kAtol,
                                        kRtol);
}

TEST(CpuReduceMean, TrailingAxesAtTailSizes) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) {
    EXPECT_GT(compare(random_f32({3, n}, rng), {-1}), 0);
    EXPECT_GT(compare(random_f32({n}, rng), {0}, 0), 0);
  }
}

TEST(CpuReduceMean, GlobalPoolingAndGlobalMean) {
  std::mt19937 rng(1234);
  EXPECT_GT(compare(random_f32({2, 16, 7, 7}, rng), {2, 3}), 0);
  EXPECT_GT(compare(random_f32({1, 3, 224, 224}, rng), {-2, -1}, 0), 0);  // long rows split into parts
  EXPECT_GT(compare(random_f32({200001}, rng), {}, 0), 0);                // no axes: everything
  EXPECT_GT(compare(random_f32({4, 50000}, rng), {1}), 0);
}

TEST(CpuReduceMean, LeadingAndMiddleAxesAccumulateColumns) {
  std::mt19937 rng(1234);
  EXPECT_GT(compare(random_f32({7, 33}, rng), {0}), 0);
  EXPECT_GT(compare(random_f32({2, 5, 3, 1030}, rng), {1}, 0), 0);  // column blocks with a tail
  EXPECT_GT(compare(random_f32({3, 4, 5, 6}, rng), {1, 2}), 0);
  EXPECT_GT(compare(random_f32({100, 17}, rng), {-2}, 0), 0);
}

TEST(CpuReduceMean, Opset18AxesInputAndNoop) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({4, 6, 9}, rng);
  EXPECT_GT(compare(x, {2}, 1, 18), 0);
  EXPECT_GT(compare(x, {0, 1}, 0, 18), 0);
  // noop_with_empty_axes with no axes: a copy.
  const OpSpec noop{.op_type = "ReduceMean", .opset = 18, .attrs = {attr_int("noop_with_empty_axes", 1)}};
  EXPECT_GT(expect_kernels_match_reference(noop, {x}, 0, 0), 0);
}

TEST(CpuReduceMean, NonContiguousAxesUseReference) {
  std::mt19937 rng(1234);
  // Axes 0 and 2 are not one range: only the reference takes it.
  EXPECT_EQ(compare(random_f32({3, 4, 5}, rng), {0, 2}), 0);
}

TEST(CpuReduceMean, EmptyInputs) {
  EXPECT_GT(compare(f32({}, {2, 0}), {1}), 0);  // empty reduction: NaN
  EXPECT_GT(compare(f32({}, {0, 3}), {1}), 0);  // empty output
}

}  // namespace
}  // namespace fastserve::testing::ew
