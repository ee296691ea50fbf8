// 2:4 pruning: every group of 4 consecutive weights along each layer's
// reduction axis keeps exactly its 2 largest |w| (Conv: along each
// flattened filter; Gemm: down the columns of B, or along the rows with
// transB; MatMul: down each column of each batch matrix), checked against
// a plain per-group reference, including a K that is not a multiple of 4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "prune/prune.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::prune {
namespace {

using testing::TestModel;

// The reference: the group's values, the 2 largest |w| kept (earlier on ties).
std::vector<float> expected_group(std::vector<float> v) {
  if (v.size() <= 2) return v;
  std::vector<size_t> idx(v.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return std::fabs(v[a]) > std::fabs(v[b]); });
  for (size_t i = 2; i < idx.size(); ++i) v[idx[i]] = 0.f;
  return v;
}

// Checks groups of 4 along an axis: `lines` lines of length k, element j of
// line i at offset(i, j).
template <typename Offset>
void expect_two_of_four(const Tensor& before, const Tensor& after, int64_t lines, int64_t k, Offset offset) {
  for (int64_t i = 0; i < lines; ++i) {
    for (int64_t k0 = 0; k0 < k; k0 += 4) {
      std::vector<float> group;
      for (int64_t j = k0; j < std::min(k, k0 + 4); ++j) group.push_back(before.data<float>()[offset(i, j)]);
      const std::vector<float> want = expected_group(group);
      for (int64_t j = k0; j < std::min(k, k0 + 4); ++j) {
        ASSERT_EQ(after.data<float>()[offset(i, j)], want[static_cast<size_t>(j - k0)])
            << "line " << i << " k " << j;
      }
    }
  }
}

TEST(TwoFourPruning, KeepsTheTwoLargestOfEveryFourAlongTheReductionAxis) {
  std::mt19937 rng(8);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3, 6, 6});
  // K = 3*3*3 = 27: six full groups and a tail of 3 per filter.
  ValueId c = t.node("Conv", "conv", {x, t.constant("wc", testing::random_f32({5, 3, 3, 3}, rng))},
                     {testing::attr_ints("kernel_shape", {3, 3})});
  ValueId f = t.node("Flatten", "flat", {c});                                            // [2, 80]
  ValueId g1 = t.node("Gemm", "fc_t", {f, t.constant("wt", testing::random_f32({12, 80}, rng))},
                      {testing::attr_int("transB", 1)});                                  // [2, 12]
  ValueId g2 = t.node("Gemm", "fc", {g1, t.constant("wg", testing::random_f32({12, 7}, rng))});  // [2, 7]
  ValueId r = t.node("Reshape", "rs", {g2, t.constant("shape", Tensor::from_vector<int64_t>({1, 2, 7}))});
  t.output(t.node("MatMul", "mm", {r, t.constant("wm", testing::random_f32({3, 7, 9}, rng))}));  // K = 7
  std::shared_ptr<Model> m = t.build();
  const Model original = *m;
  PruneOptions o;
  o.method = PruneMethod::kTwoFour;
  auto rep = prune_model(*m, o);
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  ASSERT_EQ(rep->layers.size(), 4u);
  auto w = [](const Model& mm, const char* n) -> const Tensor& {
    return mm.graph.values[static_cast<size_t>(mm.graph.find_value(n))].initializer;
  };
  expect_two_of_four(w(original, "wc"), w(*m, "wc"), 5, 27, [](int64_t i, int64_t j) { return i * 27 + j; });
  expect_two_of_four(w(original, "wt"), w(*m, "wt"), 12, 80, [](int64_t i, int64_t j) { return i * 80 + j; });
  expect_two_of_four(w(original, "wg"), w(*m, "wg"), 7, 12, [](int64_t i, int64_t j) { return j * 7 + i; });
  expect_two_of_four(w(original, "wm"), w(*m, "wm"), 27, 7,
                     [](int64_t i, int64_t j) { return (i / 9) * 63 + j * 9 + i % 9; });
  // 80 = 20 full groups: exactly half.
  EXPECT_DOUBLE_EQ(rep->layers[1].sparsity(), 0.5);
  EXPECT_FALSE(prune_model(*m, [] {
                 PruneOptions p;
                 p.method = PruneMethod::kTwoFour;
                 p.per_layer["fc"] = 0.3;
                 return p;
               }()).ok())
      << "2:4 has no per-layer sparsity";
}

}  // namespace
}  // namespace fastserve::prune
