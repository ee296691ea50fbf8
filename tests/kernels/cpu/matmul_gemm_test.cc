// MatMul and Gemm on the GEMM engine (kernels/cpu/matmul/,
// kernels/cpu/gemm/gemm_op.cc), every ISA variant the host runs, against
// the reference: 1-D operands, batch broadcasting, tails (M, N, K not
// multiples of the tile; M = 1, N = 1, K = 1), transA/transB, alpha/beta and
// every C broadcast form; B as a constant (prepacked) and as a run-time value.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/cpu/nn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::OpSpec;

void check(const std::string& label, const OpSpec& spec, const std::vector<Tensor>& inputs, int64_t k) {
  SCOPED_TRACE(label);
  const double atol = nn_test::sum_atol(k);
  EXPECT_GT(testing::expect_kernels_match_reference(spec, inputs, atol, 1e-4), 0);
  EXPECT_GT(nn_test::expect_dynamic_kernels_match_reference(spec, inputs, atol, 1e-4), 0);
}

TEST(MatMulCpu, TwoDTailsMatchReference) {
  std::mt19937 rng(1234);
  const int64_t shapes[][3] = {{1, 64, 100}, {37, 1, 45}, {29, 70, 1}, {1, 1, 1},
                               {15, 129, 33}, {64, 300, 96}, {100, 17, 513}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], k = s[1], n = s[2];
    check("MatMul " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n), OpSpec{"MatMul"},
          {testing::random_f32({m, k}, rng), testing::random_f32({k, n}, rng)}, k);
  }
}

TEST(MatMulCpu, OneDOperandsMatchReference) {
  std::mt19937 rng(1234);
  check("vec x mat", OpSpec{"MatMul"}, {testing::random_f32({40}, rng), testing::random_f32({40, 23}, rng)}, 40);
  check("mat x vec", OpSpec{"MatMul"}, {testing::random_f32({19, 40}, rng), testing::random_f32({40}, rng)}, 40);
  check("vec x vec", OpSpec{"MatMul"}, {testing::random_f32({33}, rng), testing::random_f32({33}, rng)}, 33);
  check("vec x batched", OpSpec{"MatMul"}, {testing::random_f32({8}, rng), testing::random_f32({3, 8, 5}, rng)}, 8);
  check("batched x vec", OpSpec{"MatMul"}, {testing::random_f32({2, 3, 8}, rng), testing::random_f32({8}, rng)}, 8);
}

TEST(MatMulCpu, BroadcastBatchMatchesReference) {
  std::mt19937 rng(1234);
  check("both broadcast", OpSpec{"MatMul"}, {testing::random_f32({2, 1, 7, 9}, rng), testing::random_f32({3, 9, 11}, rng)}, 9);
  check("A broadcast", OpSpec{"MatMul"}, {testing::random_f32({5, 9}, rng), testing::random_f32({4, 9, 6}, rng)}, 9);
  check("folded linear layer", OpSpec{"MatMul"},
        {testing::random_f32({2, 3, 17, 24}, rng), testing::random_f32({24, 35}, rng)}, 24);
  check("same batch", OpSpec{"MatMul"}, {testing::random_f32({6, 20, 16}, rng), testing::random_f32({6, 16, 20}, rng)}, 16);
  check("B batch of ones", OpSpec{"MatMul"}, {testing::random_f32({2, 4, 8}, rng), testing::random_f32({1, 8, 3}, rng)}, 8);
}

// fastserve.FusedMatMul: bias per column and each activation kind the
// kernel applies (in the GEMM epilogue: Relu, Clip; after it: the rest),
// on the folded linear-layer path and the per-batch path.
TEST(FusedMatMulCpu, BiasAndActivationsMatchReference) {
  std::mt19937 rng(4321);
  struct Act {
    const char* name;
    std::vector<float> params;
  };
  const Act acts[] = {{"", {}}, {"Relu", {}}, {"Clip", {-0.3f, 0.4f}}, {"Sigmoid", {}}, {"Gelu", {}}, {"GeluTanh", {}}};
  for (const Act& a : acts) {
    OpSpec spec{"FusedMatMul", 1, {}, 1, "fastserve"};
    if (*a.name != '\0') spec.attrs.push_back(testing::attr_string("activation", a.name));
    if (!a.params.empty()) spec.attrs.push_back(testing::attr_floats("activation_params", a.params));
    const std::string label = std::string("FusedMatMul ") + a.name;
    check(label + " linear", spec,
          {testing::random_f32({2, 13, 40}, rng), testing::random_f32({40, 37}, rng), testing::random_f32({37}, rng)},
          40);
    check(label + " no bias", spec, {testing::random_f32({9, 16}, rng), testing::random_f32({16, 70}, rng)}, 16);
    check(label + " batched B", spec,
          {testing::random_f32({3, 5, 8}, rng), testing::random_f32({3, 8, 6}, rng), testing::random_f32({6}, rng)}, 8);
  }
}

TEST(FusedMatMulCpu, WrongBiasIsAnErrorNamingTheNode) {
  std::mt19937 rng(1);
  const OpSpec spec{"FusedMatMul", 1, {}, 1, "fastserve"};
  const std::vector<Tensor> inputs = {testing::random_f32({2, 4}, rng), testing::random_f32({4, 3}, rng),
                                      testing::random_f32({5}, rng)};
  // Shape inference refuses it before any kernel runs.
  Result<std::vector<Tensor>> r = testing::run_op_in_session(spec, inputs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bias [5] must be 1-D with B's last dim (3)"), std::string::npos)
      << r.status().message();
}

struct GemmCase {
  std::string label;
  int64_t m, k, n;
  bool ta, tb;
  float alpha, beta;
  Shape c;          // ignored when !has_c
  bool has_c = true;
};

TEST(GemmCpu, TransposesAlphaBetaAndCBroadcastsMatchReference) {
  std::mt19937 rng(1234);
  const std::vector<GemmCase> cases = {
      {"plain, C [N]", 23, 31, 45, false, false, 1.f, 1.f, Shape{45}},
      {"transA, C [M,N], beta 0.5", 17, 9, 40, true, false, 1.f, 0.5f, Shape{17, 40}},
      {"transB, C [M,1]", 33, 64, 7, false, true, 2.f, 1.f, Shape{33, 1}},
      {"both trans, C scalar", 9, 20, 35, true, true, -1.f, 3.f, Shape{}},
      {"C [1,N], beta 2", 30, 5, 18, false, false, 1.f, 2.f, Shape{1, 18}},
      {"C [1]", 5, 5, 5, false, true, 1.f, -1.f, Shape{1}},
      {"C [1,1]", 3, 8, 2, false, false, 0.5f, 1.f, Shape{1, 1}},
      {"no C, M=1", 1, 256, 100, false, true, 1.f, 1.f, Shape{}, false},
      {"K=1", 40, 1, 50, false, false, 1.f, 1.f, Shape{50}},
      {"N=1, C [M,1]", 70, 30, 1, true, false, 1.f, 1.f, Shape{70, 1}},
      {"beta 0 ignores C", 8, 8, 8, false, false, 1.f, 0.f, Shape{8, 8}},
      {"M=1 C [1,N]", 1, 12, 33, false, false, 1.f, 1.f, Shape{1, 33}},
  };
  for (const GemmCase& c : cases) {
    std::vector<Tensor> inputs = {testing::random_f32(c.ta ? Shape{c.k, c.m} : Shape{c.m, c.k}, rng),
                                  testing::random_f32(c.tb ? Shape{c.n, c.k} : Shape{c.k, c.n}, rng)};
    if (c.has_c) inputs.push_back(testing::random_f32(c.c, rng));
    const OpSpec spec{"Gemm", 13,
                      {attr_int("transA", c.ta), attr_int("transB", c.tb), attr_float("alpha", c.alpha),
                       attr_float("beta", c.beta)}};
    check("Gemm " + c.label, spec, inputs, c.k);
  }
}

}  // namespace
}  // namespace fastserve
