// Optimized Slice (kernels/cpu/slice/) against the reference on random
// inputs: contiguous runs, whole trailing dims, negative and large steps,
// single-element runs of every width, clamped and empty slices.
#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct Case {
  Shape shape;
  std::vector<int64_t> starts, ends, axes, steps;
};

int compare(const Case& c, DType t, std::mt19937& rng) {
  const OpSpec spec{.op_type = "Slice", .opset = 13};
  std::vector<Tensor> in = {random_tensor(t, c.shape, rng, -100, 100), i64s(c.starts), i64s(c.ends), i64s(c.axes),
                            i64s(c.steps)};
  return expect_kernels_match_reference(spec, in, 0.0, 0.0);
}

TEST(SliceCpu, MatchesReferenceOnTypicalSlices) {
  std::mt19937 rng(1234);
  const std::vector<Case> cases = {
      {Shape{4, 10, 6, 7}, {2}, {7}, {1}, {1}},                   // channel slice: one run per batch
      {Shape{4, 10, 6, 7}, {1}, {kMax}, {-1}, {1}},               // inner partial rows
      {Shape{4, 10, 6, 7}, {0, 1}, {kMax, kMax}, {2, 3}, {2, 2}},  // strided spatial (single-element runs)
      {Shape{5, 9}, {-1, -1}, {kMin, kMin}, {0, 1}, {-1, -1}},    // both reversed
      {Shape{5, 9}, {100}, {-100}, {1}, {-3}},                    // clamped negative step
      {Shape{5, 9}, {7}, {3}, {0}, {1}},                          // empty
      {Shape{5, 9}, {3}, {kMin}, {1}, {kMin}},                    // one element, huge step
      {Shape{3, 33}, {0}, {kMax}, {0}, {1}},                      // whole tensor
      {Shape{1, 128, 768}, {0}, {1}, {1}, {1}},                   // CLS token
  };
  for (const Case& c : cases) EXPECT_GT(compare(c, DType::kF32, rng), 0) << c.shape.to_string();
}

TEST(SliceCpu, MatchesReferenceForEveryElementWidth) {
  std::mt19937 rng(1234);
  for (DType t : {DType::kU8, DType::kBool, DType::kF16, DType::kI32, DType::kI64, DType::kF64}) {
    EXPECT_GT(compare({Shape{6, 7, 5}, {5, 1}, {kMin, 5}, {0, 2}, {-2, 3}}, t, rng), 0) << dtype_name(t);
    EXPECT_GT(compare({Shape{6, 7, 5}, {1}, {4}, {1}, {1}}, t, rng), 0) << dtype_name(t);
  }
}

TEST(SliceCpu, RandomSlices) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> dim(1, 9), pos(-12, 12), step(-3, 3);
  for (int trial = 0; trial < 40; ++trial) {
    Case c;
    const int rank = 1 + trial % 4;
    std::vector<int64_t> dims;
    for (int k = 0; k < rank; ++k) dims.push_back(dim(rng));
    c.shape = Shape(dims);
    for (int k = 0; k < rank; ++k) {
      if (rng() % 2) continue;
      int s = step(rng);
      if (s == 0) s = 1;
      c.axes.push_back(k);
      c.starts.push_back(pos(rng));
      c.ends.push_back(pos(rng));
      c.steps.push_back(s);
    }
    if (c.axes.empty()) {
      c.axes = {0};
      c.starts = {0};
      c.ends = {kMax};
      c.steps = {1};
    }
    EXPECT_GT(compare(c, DType::kF32, rng), 0) << c.shape.to_string();
  }
}

}  // namespace
}  // namespace fastserve::testing
