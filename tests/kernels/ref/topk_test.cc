// Reference TopK (kernels/ref/topk.cc) against a selection written here:
// random values with many ties (lower index first), both directions, every
// axis, K = 0 and K = d.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(TopKRef, MatchesSelectionWithTiesLowerIndexFirst) {
  std::mt19937 rng(41);
  for (DType dt : {DType::kF32, DType::kI32, DType::kI64, DType::kF64, DType::kF16, DType::kBF16, DType::kI8,
                   DType::kI16, DType::kU8, DType::kU16, DType::kU32, DType::kU64}) {
    const Tensor x = random_tensor(dt, {3, 6, 2}, rng, -3, 3);  // few distinct values (0..3 unsigned)
    for (int64_t axis : {0, 1, 2, -1}) {
      const int64_t ax = axis < 0 ? axis + 3 : axis;
      const int64_t d = x.dim(static_cast<size_t>(ax));
      for (int64_t k : {int64_t{0}, int64_t{1}, d / 2, d}) {
        for (int largest : {0, 1}) {
          SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " axis " << axis << " k " << k << " largest " << largest);
          auto r = run_reference(
              {.op_type = "TopK", .opset = 11, .attrs = {attr_int("axis", axis), attr_int("largest", largest)}, .num_outputs = 2},
              {x, i64s({k})});
          ASSERT_TRUE(r.ok()) << r.status().to_string();
          const Tensor& vals = (*r)[0];
          const Tensor& idx = (*r)[1];
          ASSERT_EQ(idx.dtype(), DType::kI64);
          ASSERT_EQ(vals.dim(static_cast<size_t>(ax)), k);
          const std::vector<int64_t> st = {12, 2, 1};
          // Every (outer, inner) line: the expected order by (value, index).
          for (int64_t e = 0; e < x.numel(); ++e) {
            if ((e / st[static_cast<size_t>(ax)]) % d != 0) continue;  // line starts only
            std::vector<std::pair<double, int64_t>> line;
            for (int64_t p = 0; p < d; ++p) line.push_back({x.element_as_double(e + p * st[static_cast<size_t>(ax)]), p});
            std::stable_sort(line.begin(), line.end(), [&](const auto& a, const auto& b) {
              return largest ? a.first > b.first : a.first < b.first;
            });
            // Output offset of this line's first element: same coordinates, axis dim k.
            std::vector<int64_t> c = {e / 12, (e / 2) % 6, e % 2};
            std::vector<int64_t> od = {3, 6, 2};
            od[static_cast<size_t>(ax)] = k;
            for (int64_t j = 0; j < k; ++j) {
              c[static_cast<size_t>(ax)] = j;
              const int64_t o = (c[0] * od[1] + c[1]) * od[2] + c[2];
              EXPECT_EQ(vals.element_as_double(o), line[static_cast<size_t>(j)].first) << e << " " << j;
              EXPECT_EQ(idx.data<int64_t>()[o], line[static_cast<size_t>(j)].second) << e << " " << j;
            }
          }
        }
      }
    }
  }
}

TEST(TopKRef, UnsignedAbove2To63OrdersAsUnsigned) {
  const uint64_t big = 0xF000000000000000ull;
  auto r = run_reference({.op_type = "TopK", .opset = 24, .num_outputs = 2},
                         {Tensor::from_vector<uint64_t>({1, big, 7, big + 1}), i64s({2})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].data<uint64_t>()[0], big + 1);
  EXPECT_EQ((*r)[0].data<uint64_t>()[1], big);
  EXPECT_EQ((*r)[1].data<int64_t>()[0], 3);
  EXPECT_EQ((*r)[1].data<int64_t>()[1], 1);
}

TEST(TopKRef, KLargerThanTheAxisIsAnError) {
  EXPECT_FALSE(run_reference({.op_type = "TopK", .opset = 11, .num_outputs = 2}, {iota_f32({2, 3}), i64s({4})}).ok());
}

}  // namespace
}  // namespace fastserve::testing
