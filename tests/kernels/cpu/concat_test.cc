// Optimized Concat (kernels/cpu/concat/) against the reference on random
// inputs: every axis, negative axes, 0-sized inputs, odd sizes, many inputs,
// several dtypes.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

int compare(const std::vector<Shape>& shapes, int64_t axis, DType t, std::mt19937& rng) {
  const OpSpec spec{.op_type = "Concat", .opset = 13, .attrs = {attr_int("axis", axis)}};
  std::vector<Tensor> inputs;
  for (const Shape& s : shapes) inputs.push_back(random_tensor(t, s, rng, -100, 100));
  return expect_kernels_match_reference(spec, inputs, 0.0, 0.0);
}

TEST(ConcatCpu, MatchesReferenceOnEveryAxis) {
  std::mt19937 rng(1234);
  EXPECT_GT(compare({Shape{3, 5, 7}, Shape{2, 5, 7}}, 0, DType::kF32, rng), 0);
  EXPECT_GT(compare({Shape{3, 5, 7}, Shape{3, 1, 7}, Shape{3, 9, 7}}, 1, DType::kF32, rng), 0);
  EXPECT_GT(compare({Shape{3, 5, 7}, Shape{3, 5, 2}}, -1, DType::kF32, rng), 0);
  EXPECT_GT(compare({Shape{2, 3, 0}, Shape{2, 3, 4}, Shape{2, 3, 0}}, 2, DType::kF32, rng), 0);
  EXPECT_GT(compare({Shape{0, 3}, Shape{0, 3}}, 0, DType::kF32, rng), 0);
  EXPECT_GT(compare({Shape{1}, Shape{1}, Shape{2}}, 0, DType::kI64, rng), 0);
}

TEST(ConcatCpu, MatchesReferenceForManyInputsAndDtypes) {
  std::mt19937 rng(1234);
  for (DType t : {DType::kU8, DType::kBool, DType::kF16, DType::kI32, DType::kF64}) {
    std::vector<Shape> shapes;
    for (int64_t i = 0; i < 9; ++i) shapes.push_back(Shape{4, i % 4, 33});
    EXPECT_GT(compare(shapes, -2, t, rng), 0) << dtype_name(t);
  }
  // Large enough that the pool splits the work.
  EXPECT_GT(compare({Shape{64, 300, 8}, Shape{64, 211, 8}}, 1, DType::kF32, rng), 0);
}

}  // namespace
}  // namespace fastserve::testing
