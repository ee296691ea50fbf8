// Reference Slice (kernels/ref/slice.cc) against hand-computed values:
// the ONNX spec examples, negative steps, clamping of out-of-range starts and
// ends, the INT64_MAX / INT64_MIN ends PyTorch exports, int32 arguments.
#include <gtest/gtest.h>

#include <limits>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Result<Tensor> slice(const Tensor& x, std::vector<int64_t> starts, std::vector<int64_t> ends,
                     std::vector<int64_t> axes = {}, std::vector<int64_t> steps = {}) {
  std::vector<Tensor> in = {x, i64s(std::move(starts)), i64s(std::move(ends))};
  in.push_back(axes.empty() ? Tensor() : i64s(std::move(axes)));
  if (!steps.empty()) in.push_back(i64s(std::move(steps)));
  FS_ASSIGN_OR_RETURN(std::vector<Tensor> out, run_reference({.op_type = "Slice", .opset = 13}, in));
  return out[0];
}

TEST(SliceRef, SpecExamples) {
  const Tensor data = f32s({1, 2, 3, 4, 5, 6, 7, 8}, Shape{2, 4});
  auto e1 = slice(data, {1, 0}, {2, 3}, {0, 1}, {1, 2});
  ASSERT_TRUE(e1.ok()) << e1.status().to_string();
  EXPECT_TRUE(same_bytes(*e1, f32s({5, 7}, Shape{1, 2})));
  auto e2 = slice(data, {0, 1}, {-1, 1000});
  ASSERT_TRUE(e2.ok()) << e2.status().to_string();
  EXPECT_TRUE(same_bytes(*e2, f32s({2, 3, 4}, Shape{1, 3})));
}

TEST(SliceRef, NegativeSteps) {
  const Tensor x = i64s({0, 1, 2, 3, 4});
  auto reversed = slice(x, {-1}, {kMin}, {0}, {-1});  // x[::-1] as PyTorch exports it
  ASSERT_TRUE(reversed.ok()) << reversed.status().to_string();
  EXPECT_TRUE(same_bytes(*reversed, i64s({4, 3, 2, 1, 0})));
  auto by_two = slice(x, {4}, {0}, {0}, {-2});
  ASSERT_TRUE(by_two.ok()) << by_two.status().to_string();
  EXPECT_TRUE(same_bytes(*by_two, i64s({4, 2})));
  // start past the end clamps to d-1 for a negative step.
  auto clamped = slice(x, {100}, {1}, {0}, {-3});
  ASSERT_TRUE(clamped.ok()) << clamped.status().to_string();
  EXPECT_TRUE(same_bytes(*clamped, i64s({4})));
  // A step of INT64_MIN takes one element.
  auto huge = slice(x, {3}, {kMin}, {0}, {kMin});
  ASSERT_TRUE(huge.ok()) << huge.status().to_string();
  EXPECT_TRUE(same_bytes(*huge, i64s({3})));
}

TEST(SliceRef, ClampingAndEmptyResults) {
  const Tensor x = i64s({0, 1, 2, 3, 4});
  auto whole = slice(x, {-100}, {kMax});
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  EXPECT_TRUE(same_bytes(*whole, x));
  auto past = slice(x, {10}, {20});
  ASSERT_TRUE(past.ok()) << past.status().to_string();
  EXPECT_EQ(past->shape(), (Shape{0}));
  auto backwards = slice(x, {3}, {1});  // step 1 with end < start: empty
  ASSERT_TRUE(backwards.ok()) << backwards.status().to_string();
  EXPECT_EQ(backwards->shape(), (Shape{0}));
  auto zero_step = slice(x, {0}, {2}, {0}, {0});
  ASSERT_FALSE(zero_step.ok());
  EXPECT_NE(zero_step.status().message().find("node 'node0' (Slice)"), std::string::npos);
}

TEST(SliceRef, NegativeAxesWithStepsMatchLoopNest) {
  const Tensor x = iota_f32(Shape{2, 3, 4});
  // x[1:2, :, 1::2]
  auto r = slice(x, {1, 1}, {kMax, 2}, {-1, 0}, {2, 1});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->shape(), (Shape{1, 3, 2}));
  std::vector<float> expected;
  for (int64_t j = 0; j < 3; ++j) {
    for (int64_t k = 1; k < 4; k += 2) expected.push_back(static_cast<float>((1 * 3 + j) * 4 + k));
  }
  EXPECT_TRUE(same_bytes(*r, f32s(expected, Shape{1, 3, 2})));
}

TEST(SliceRef, Int32ArgumentsAndBoolData) {
  const Tensor x = Tensor::from_vector<bool>({true, false, false, true, true, false}, Shape{2, 3});
  auto r = run_reference({.op_type = "Slice", .opset = 13},
                         {x, Tensor::from_vector<int32_t>({0, 2}), Tensor::from_vector<int32_t>({2, -4}), Tensor(),
                          Tensor::from_vector<int32_t>({1, -1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // rows 0..1, columns 2, 1, 0
  EXPECT_TRUE(same_bytes((*r)[0], Tensor::from_vector<bool>({false, false, true, false, true, true}, Shape{2, 3})));
}

}  // namespace
}  // namespace fastserve::testing
