// Optimized Transpose kernels (kernels/cpu/transpose/) against the reference
// on random inputs: 2-D transposes with sizes off the 8x8 tile and the 64-row
// strip, NCHW<->NHWC, permutations that keep the inner axis, size-1 dims that
// reduce away, and every element width.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

struct Case {
  Shape shape;
  std::vector<int64_t> perm;  // empty: the default (reverse)
};

int compare_case(const Case& c, DType t, std::mt19937& rng) {
  OpSpec spec{.op_type = "Transpose", .opset = 13};
  if (!c.perm.empty()) spec.attrs.push_back(attr_ints("perm", c.perm));
  const Tensor x = random_tensor(t, c.shape, rng, -1000, 1000);
  // Data movement must be exact: zero tolerance.
  return expect_kernels_match_reference(spec, {x}, 0.0, 0.0);
}

TEST(TransposeCpu, MatchesReferenceOnFloat32Shapes) {
  std::mt19937 rng(1234);
  const std::vector<Case> cases = {
      {Shape{1, 1}, {}},                      // degenerate
      {Shape{7, 13}, {}},                     // below one tile
      {Shape{8, 8}, {}},                      // exactly one tile
      {Shape{67, 131}, {1, 0}},               // tails in both directions, > one strip
      {Shape{3, 17, 29}, {0, 2, 1}},          // batched 2-D
      {Shape{2, 5, 9, 11}, {0, 2, 3, 1}},     // NCHW -> NHWC
      {Shape{2, 9, 11, 5}, {0, 3, 1, 2}},     // NHWC -> NCHW
      {Shape{1, 64, 7, 7}, {0, 2, 3, 1}},     // N = 1 drops out
      {Shape{4, 3, 5, 6}, {2, 0, 1, 3}},      // inner axis kept: row memcpy
      {Shape{2, 3, 4, 5, 6}, {4, 1, 3, 0, 2}},  // general 5-D
      {Shape{2, 1, 3, 1, 5}, {}},             // reverse with size-1 dims
      {Shape{0, 3, 4}, {2, 0, 1}},            // empty
      {Shape{2, 3, 4}, {0, 1, 2}},            // identity
  };
  for (const Case& c : cases) {
    EXPECT_GT(compare_case(c, DType::kF32, rng), 0) << c.shape.to_string();
  }
}

TEST(TransposeCpu, MatchesReferenceForEveryElementWidth) {
  std::mt19937 rng(1234);
  for (DType t : {DType::kU8, DType::kBool, DType::kF16, DType::kBF16, DType::kI32, DType::kI64, DType::kF64}) {
    EXPECT_GT(compare_case({Shape{3, 19, 23}, {2, 0, 1}}, t, rng), 0) << dtype_name(t);
    EXPECT_GT(compare_case({Shape{2, 6, 5, 7}, {0, 2, 3, 1}}, t, rng), 0) << dtype_name(t);
  }
}

TEST(TransposeCpu, RandomShapesAndPerms) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> rank_dist(2, 5), dim_dist(1, 12);
  for (int trial = 0; trial < 40; ++trial) {
    const int rank = rank_dist(rng);
    std::vector<int64_t> dims(static_cast<size_t>(rank)), perm(static_cast<size_t>(rank));
    for (int k = 0; k < rank; ++k) {
      dims[static_cast<size_t>(k)] = dim_dist(rng);
      perm[static_cast<size_t>(k)] = k;
    }
    std::shuffle(perm.begin(), perm.end(), rng);
    EXPECT_GT(compare_case({Shape(dims), perm}, trial % 2 ? DType::kF32 : DType::kI64, rng), 0)
        << Shape(dims).to_string();
  }
}

// The 4-byte AVX2 variant must be among those compared when the host has AVX2.
TEST(TransposeCpu, Avx2VariantIsExercisedWhenAvailable) {
  std::mt19937 rng(1234);
  const OpSpec spec{.op_type = "Transpose", .opset = 13, .attrs = {attr_ints("perm", {1, 0})}};
  const Tensor x = random_f32(Shape{40, 24}, rng);
  bool found = false;
  for (const KernelDesc* d : runnable_kernels(spec, {x})) found = found || std::string(d->name) == "transpose_x32__avx2_8x8";
  if (host_isa() >= Isa::kAvx2) {
    EXPECT_TRUE(found);
  } else {
    GTEST_SKIP() << "host has no AVX2";
  }
}

}  // namespace
}  // namespace fastserve::testing
