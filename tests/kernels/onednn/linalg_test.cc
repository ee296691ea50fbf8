// gemm_f32__onednn and matmul_f32__onednn against the reference on random
// inputs: transposes, alpha/beta, every C broadcast, M/K/N of 1, odd sizes;
// MatMul ranks 1 to 4 with batch broadcast on either side.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/onednn/onednn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::OpSpec;

double atol_for(int64_t k) { return 1e-4 * std::sqrt(static_cast<double>(std::max<int64_t>(k, 1))); }

// A [M, K] (or [K, M] with transA), B [K, N] (or [N, K] with transB), C of `c` shape (none when empty and
// !has_c).
void check_gemm(const std::string& label, int64_t m, int64_t k, int64_t n, bool ta, bool tb, float alpha,
                float beta, bool has_c, Shape c = {}) {
  SCOPED_TRACE(label);
  std::mt19937 rng(99);
  std::vector<Tensor> inputs = {testing::random_f32(ta ? Shape{k, m} : Shape{m, k}, rng),
                                testing::random_f32(tb ? Shape{n, k} : Shape{k, n}, rng)};
  if (has_c) inputs.push_back(testing::random_f32(c, rng));
  const OpSpec spec{
      "Gemm",
      13,
      {attr_int("transA", ta), attr_int("transB", tb), attr_float("alpha", alpha), attr_float("beta", beta)}};
  onednn_test::expect_matches_reference("gemm_f32__onednn", spec, inputs, atol_for(k) * std::max(1.f, alpha));
}

TEST(OneDnnGemm, TransposesAlphaBetaMatchReference) {
  SKIP_WITHOUT_ONEDNN();
  check_gemm("plain, C [N]", 5, 7, 3, false, false, 1.f, 1.f, true, {3});
  check_gemm("transA", 6, 9, 4, true, false, 1.f, 1.f, true, {4});
  check_gemm("transB (Linear layer)", 8, 33, 17, false, true, 1.f, 1.f, true, {17});
  check_gemm("transA transB alpha beta", 7, 5, 11, true, true, 0.5f, 2.f, true, {1, 11});
  check_gemm("no C", 4, 6, 5, false, true, 1.5f, 1.f, false);
  check_gemm("beta 0 ignores C", 4, 6, 5, false, false, 1.f, 0.f, true, {4, 5});
}

TEST(OneDnnGemm, EveryCBroadcastMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  check_gemm("C scalar", 5, 7, 3, false, false, 1.f, 0.75f, true, {});
  check_gemm("C [1]", 5, 7, 3, false, false, 1.f, 1.f, true, {1});
  check_gemm("C [M, 1]", 5, 7, 3, false, true, 2.f, 1.f, true, {5, 1});
  check_gemm("C [M, N]", 5, 7, 3, true, false, 1.f, -1.f, true, {5, 3});
  check_gemm("C [1, 1]", 5, 7, 3, false, false, 1.f, 1.f, true, {1, 1});
}

TEST(OneDnnGemm, DegenerateSizesMatchReference) {
  SKIP_WITHOUT_ONEDNN();
  check_gemm("M=1", 1, 19, 13, false, true, 1.f, 1.f, true, {13});
  check_gemm("K=1", 6, 1, 5, false, false, 1.f, 1.f, true, {5});
  check_gemm("N=1", 9, 8, 1, false, false, 1.f, 1.f, true, {1});
  check_gemm("odd, larger", 65, 130, 67, false, true, 1.f, 1.f, true, {67});
}

void check_matmul(const std::string& label, Shape a, Shape b) {
  SCOPED_TRACE(label);
  std::mt19937 rng(5);
  const int64_t k = a[a.rank() - 1];
  onednn_test::expect_matches_reference("matmul_f32__onednn", OpSpec{"MatMul", 13},
                                        {testing::random_f32(a, rng), testing::random_f32(b, rng)},
                                        atol_for(k));
}

TEST(OneDnnMatMul, TwoDAndVectorsMatchReference) {
  SKIP_WITHOUT_ONEDNN();
  check_matmul("2-D", {5, 7}, {7, 3});
  check_matmul("M=1 K=1 N=1", {1, 1}, {1, 1});
  check_matmul("1-D x 2-D", {7}, {7, 4});
  check_matmul("2-D x 1-D", {3, 7}, {7});
  check_matmul("1-D x 1-D (a scalar)", {9}, {9});
}

TEST(OneDnnMatMul, BatchedAndBroadcastMatchReference) {
  SKIP_WITHOUT_ONEDNN();
  check_matmul("3-D x 2-D (folded into M)", {2, 4, 5}, {5, 3});
  check_matmul("3-D x 1-D", {2, 4, 5}, {5});
  check_matmul("3-D x 3-D", {2, 4, 5}, {2, 5, 3});
  check_matmul("A batch 1 broadcast", {1, 4, 5}, {3, 5, 2});
  check_matmul("B batch 1 broadcast", {3, 4, 5}, {1, 5, 2});
  check_matmul("rank 4 x rank 3", {2, 1, 4, 5}, {3, 5, 6});
  check_matmul("1s on both sides", {2, 1, 3, 4}, {1, 5, 4, 2});
  check_matmul("odd sizes", {3, 17, 31}, {3, 31, 9});
}

TEST(OneDnnMatMul, LeavesNonFloatAndUnknownRankToOurKernels) {
  SKIP_WITHOUT_ONEDNN();
  const KernelDesc* mm = onednn_test::find_kernel("matmul_f32__onednn");
  ASSERT_NE(mm, nullptr);
  std::mt19937 rng(3);
  const Tensor a = testing::random_f32({2, 3}, rng);
  EXPECT_FALSE(
      onednn_test::accepts(*mm, OpSpec{"MatMul"}, {a, testing::random_tensor(DType::kF16, {3, 2}, rng)}));
  std::vector<TensorInfo> ins = {TensorInfo::of(a), TensorInfo{true, DType::kF32, false, {}, nullptr}};
  std::vector<TensorInfo> outs = {TensorInfo{true}};
  const std::vector<Attribute> attrs;
  EXPECT_FALSE(mm->accepts(NodeView("n", "MatMul", "", 13, &attrs, ins, outs)));
}

}  // namespace
}  // namespace fastserve
