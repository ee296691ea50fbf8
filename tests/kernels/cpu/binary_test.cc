// Optimized f32 Add/Sub/Mul/Div (kernels/cpu/binary/) against the reference,
// for every descriptor the host can run: each fast path (same shape, scalar,
// row and channel broadcast), the strided fallback, vector tails and the
// threaded split of long rows.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

const char* const kOps[] = {"Add", "Sub", "Mul", "Div"};

// Compares every runnable optimized kernel with the reference for a op b and
// b op a; exact (these are single IEEE operations in both).
void check_pair(const Shape& sa, const Shape& sb, std::mt19937& rng) {
  const Tensor a = random_f32(sa, rng, -4, 4);
  const Tensor b = random_f32(sb, rng, 0.25, 4);  // away from 0 for Div
  for (const char* op : kOps) {
    SCOPED_TRACE(std::string(op) + " " + sa.to_string() + " with " + sb.to_string());
    EXPECT_GT(expect_kernels_match_reference({.op_type = op, .opset = 14}, {a, b}, 0, 0), 0);
    EXPECT_GT(expect_kernels_match_reference({.op_type = op, .opset = 14}, {b, a}, 0, 0), 0);
  }
}

TEST(CpuBinary, SameShapeMatchesReferenceAtTailSizes) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) check_pair({n}, {n}, rng);
  check_pair({3, 5, 7}, {3, 5, 7}, rng);
  check_pair({70001}, {70001}, rng);  // one row split into blocks across threads
}

TEST(CpuBinary, ScalarOperandMatchesReference) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) {
    check_pair({n}, {}, rng);   // 0-d
    check_pair({n}, {1}, rng);  // [1]
  }
  check_pair({2, 3, 33}, {1, 1, 1}, rng);
  check_pair({}, {}, rng);
}

TEST(CpuBinary, RowBroadcastMatchesReference) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) check_pair({3, n}, {n}, rng);
  check_pair({2, 3, 4}, {4}, rng);
  check_pair({2, 5, 17}, {1, 5, 17}, rng);
  check_pair({1000, 64}, {64}, rng);  // many short rows, threaded
}

TEST(CpuBinary, ChannelBroadcastMatchesReference) {
  std::mt19937 rng(1234);
  check_pair({2, 3, 4, 5}, {3, 1, 1}, rng);
  check_pair({1, 16, 7, 7}, {16, 1, 1}, rng);
  check_pair({2, 33, 17}, {33, 1}, rng);
  check_pair({4, 8, 1, 1}, {8, 1, 1}, rng);  // H*W == 1: one element per row
}

TEST(CpuBinary, GenericBroadcastFallsBackToStridedRows) {
  std::mt19937 rng(1234);
  check_pair({2, 1, 4}, {3, 1}, rng);
  check_pair({3, 1, 5}, {1, 4, 1}, rng);
  check_pair({5, 1}, {1, 6}, rng);  // outer product
  check_pair({2, 3, 1, 5}, {1, 3, 4, 1}, rng);
  check_pair({1, 17}, {33, 1}, rng);
}

TEST(CpuBinary, EmptyTensorsAreHandled) {
  std::mt19937 rng(1234);
  check_pair({0}, {0}, rng);
  check_pair({0, 3}, {3}, rng);
  check_pair({2, 0}, {1}, rng);
}

TEST(CpuBinary, SpecialValuesMatchReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = f32({inf, -inf, nan, 0, -0.f, 1, 1e38f, 1e-45f, 0, 5, -3, 2, 7, 8, 9, 10, 11}, {17});
  const Tensor b = f32({inf, inf, 1, 0, 0, -0.f, 10, 1e-45f, -0.f, 0, 3, nan, 1, 2, 3, 4, 5}, {17});
  for (const char* op : kOps) {
    SCOPED_TRACE(op);
    EXPECT_GT(expect_kernels_match_reference({.op_type = op, .opset = 14}, {a, b}, 0, 0), 0);
  }
}

TEST(CpuBinary, IntegerAndPowUseReferenceOnly) {
  // No optimized kernel claims integer arithmetic or Pow: the comparison count is 0.
  const Tensor a = Tensor::from_vector<int32_t>({1, 2, 3});
  EXPECT_EQ(expect_kernels_match_reference({.op_type = "Add", .opset = 14}, {a, a}), 0);
  const Tensor f = f32({1, 2, 3}, {3});
  EXPECT_EQ(expect_kernels_match_reference({.op_type = "Pow", .opset = 15}, {f, f}), 0);
}

}  // namespace
}  // namespace fastserve::testing::ew
