// Optimized f32 Softmax / LogSoftmax (kernels/cpu/softmax/) against the
// reference for every descriptor the host can run: row lengths at vector
// tails, opset 11 (2-D coercion) vs 13 (single axis, strided) semantics,
// axes 0 / middle / last, wide strided slices, and extreme values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr double kAtol = 1e-6;
constexpr double kRtol = 1e-5;

void check(const Tensor& x, int64_t opset, std::vector<Attribute> attrs = {}) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    SCOPED_TRACE(std::string(op) + " " + x.shape().to_string() + " opset " + std::to_string(opset));
    EXPECT_GT(
        expect_kernels_match_reference({.op_type = op, .opset = opset, .attrs = attrs}, {x}, kAtol, kRtol),
        0);
  }
}

TEST(CpuSoftmax, RowsAtTailSizes) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) {
    check(random_f32({3, n}, rng, -5, 5), 13);
    check(random_f32({n}, rng, -5, 5), 13);
  }
  check(random_f32({512, 100}, rng, -5, 5), 13);  // many rows, threaded
}

TEST(CpuSoftmax, Opset11CoercesTo2D) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4, 5}, rng, -5, 5);
  check(x, 11);                          // default axis 1: rows of 60
  check(x, 11, {attr_int("axis", 0)});   // one row of 120
  check(x, 12, {attr_int("axis", -1)});  // rows of 5
  check(x, 11, {attr_int("axis", 2)});   // rows of 20
}

TEST(CpuSoftmax, Opset13SingleAxisAnyPosition) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4, 5}, rng, -5, 5);
  for (int64_t axis : {0, 1, 2, 3, -1, -2, -4}) check(x, 13, {attr_int("axis", axis)});
  // Strided slices wider than one column block (64), with a tail block.
  check(random_f32({3, 7, 130}, rng, -5, 5), 13, {attr_int("axis", 1)});
  check(random_f32({2, 33, 65}, rng, -5, 5), 13, {attr_int("axis", -2)});
  check(random_f32({1, 1000, 3}, rng, -5, 5), 13, {attr_int("axis", 1)});
}

TEST(CpuSoftmax, ExtremeValues) {
  const float inf = std::numeric_limits<float>::infinity();
  // Large spreads (exp underflows for most entries), equal values, a -inf
  // entry (exp -> 0), and big magnitudes (max subtraction must avoid overflow).
  check(f32({1000, 1001, -1000, 0, 50, -50, 88, -88, 100, -100, 1e-8f, -1e-8f, 3, 3, 3, 3, 3}, {17}), 13);
  check(f32({-inf, 0, 1, 2, -inf, 5, 6, 7, 8}, {9}), 13);
  check(f32({3e38f, 3e38f, -3e38f}, {3}), 13);
  check(f32(std::vector<float>(33, 7.f), {33}), 13);
}

TEST(CpuSoftmax, EmptyTensor) {
  check(f32({}, {0, 7}), 13);
  check(f32({}, {4, 0, 3}), 13, {attr_int("axis", 1)});
}

}  // namespace
}  // namespace fastserve::testing::ew
