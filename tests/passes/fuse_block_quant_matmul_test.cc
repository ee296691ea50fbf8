// fuse_block_quant_matmul: an opset-21 blocked 4-bit DequantizeLinear
// feeding MatMul's or Gemm's B becomes fastserve.BlockQuantMatMul (before
// constant folding would unpack it), the result matches the unfused graph on
// both kernel paths (few rows unpacked in registers, many rows through a
// dequantized panel), and other layouts are left to fold_constants.
#include <gtest/gtest.h>

#include <random>

#include "fastserve/session.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

// Random 4-bit codes of `dtype` (kI4: -8..7, kU4: 0..15).
Tensor random_codes(DType dtype, Shape shape, std::mt19937& rng) {
  Tensor t = Tensor::empty(dtype, std::move(shape));
  std::uniform_int_distribution<int> d(dtype == DType::kI4 ? -8 : 0, dtype == DType::kI4 ? 7 : 15);
  auto* p = static_cast<int8_t*>(t.raw_data());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<int8_t>(d(rng));
  return t;
}

struct Case {
  const char* op;  // "MatMul" or "Gemm"
  bool trans_b;
  DType dtype;
  bool zero_point, bias;
  int64_t m, k, n, block;
};

std::shared_ptr<Model> block_model(const Case& c, std::mt19937& rng, int64_t axis_override = -1) {
  TestModel t(21);
  const ValueId a = t.input("a", DType::kF32, {c.m, c.k});
  const Shape bshape = c.trans_b ? Shape{c.n, c.k} : Shape{c.k, c.n};
  const int64_t blocks = (c.k + c.block - 1) / c.block;
  const Shape sshape = c.trans_b ? Shape{c.n, blocks} : Shape{blocks, c.n};
  std::vector<ValueId> dq_in = {t.constant("wq", random_codes(c.dtype, bshape, rng)),
                                t.constant("ws", random_f32(sshape, rng, 0.01, 0.1))};
  if (c.zero_point) dq_in.push_back(t.constant("wz", random_codes(c.dtype, sshape, rng)));
  const int64_t axis = axis_override >= 0 ? axis_override : (c.trans_b ? 1 : 0);
  const ValueId w = t.node("DequantizeLinear", "dq", dq_in, {attr_int("axis", axis), attr_int("block_size", c.block)});
  std::vector<ValueId> mm_in = {a, w};
  std::vector<Attribute> attrs;
  if (std::string(c.op) == "Gemm") {
    if (c.bias) mm_in.push_back(t.constant("bias", random_f32({c.n}, rng)));
    attrs.push_back(attr_int("transB", c.trans_b ? 1 : 0));
  }
  t.output(t.node(c.op, "mm", mm_in, attrs));
  return t.build();
}

TEST(FuseBlockQuantMatMul, FusesAndMatchesTheUnfusedGraphOnBothPaths) {
  const Case cases[] = {
      {"MatMul", false, DType::kI4, false, false, 1, 64, 48, 32},   // registers, 1 row
      {"MatMul", false, DType::kU4, true, false, 3, 70, 33, 16},    // ragged K block and N panel
      {"Gemm", true, DType::kI4, false, true, 4, 96, 20, 32},       // [N, K] blocked along K, bias
      {"Gemm", false, DType::kU4, true, true, 5, 40, 17, 8},        // buffer path starts at 5 rows
      {"Gemm", true, DType::kI4, true, false, 37, 130, 70, 32},     // many rows: ragged row groups
  };
  std::mt19937 rng(21);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.op) + " m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                 " n=" + std::to_string(c.n) + " block=" + std::to_string(c.block));
    auto m = block_model(c, rng);
    auto sess = expect_same_outputs(m, 5, 3, 1e-4, 1e-4);
    ASSERT_NE(sess, nullptr);
    EXPECT_EQ(count_op(sess->model().graph, "fastserve.BlockQuantMatMul"), 1);
    EXPECT_EQ(count_op(sess->model().graph, "DequantizeLinear"), 0);
    bool vector_kernel = false;
    for (const KernelChoice& k : sess->kernel_choices()) vector_kernel |= k.kernel_name.find("block_quant_matmul__") == 0;
    EXPECT_TRUE(vector_kernel);
    // The reference kernel agrees too (capped to scalar: the portable CPU kernel).
    SessionOptions scalar;
    scalar.max_isa = "scalar";
    auto s0 = Session::create(m, SessionOptions{});
    auto s1 = Session::create(m, scalar);
    ASSERT_TRUE(s0.ok() && s1.ok());
    const std::vector<NamedTensor> in = random_inputs(*m, 9);
    auto y0 = (*s0)->run(in), y1 = (*s1)->run(in);
    ASSERT_TRUE(y0.ok() && y1.ok());
    for (int64_t i = 0; i < (*y0)[0].tensor.numel(); ++i) {
      ASSERT_NEAR((*y0)[0].tensor.data<float>()[i], (*y1)[0].tensor.data<float>()[i], 1e-4) << i;
    }
  }
}

TEST(FuseBlockQuantMatMul, OtherLayoutsAreLeftToConstantFolding) {
  std::mt19937 rng(22);
  // Blocks along N (axis 1 of MatMul's [K, N] B): not a reduction-axis block.
  TestModel t(21);
  const ValueId a = t.input("a", DType::kF32, {2, 32});
  const ValueId w = t.node("DequantizeLinear", "dq",
                           {t.constant("wq", random_codes(DType::kI4, {32, 64}, rng)),
                            t.constant("ws", random_f32({32, 2}, rng, 0.01, 0.1))},
                           {attr_int("axis", 1), attr_int("block_size", 32)});
  t.output(t.node("MatMul", "mm", {a, w}));
  auto m = t.build();
  auto sess = expect_same_outputs(m, 3, 3, 1e-5, 1e-5);
  ASSERT_NE(sess, nullptr);
  EXPECT_EQ(count_op(sess->model().graph, "fastserve.BlockQuantMatMul"), 0);
  EXPECT_EQ(count_op(sess->model().graph, "DequantizeLinear"), 0) << "folded into a float weight";
}

}  // namespace
}  // namespace fastserve::testing
