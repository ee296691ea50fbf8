// fuse_matmul_integer_to_float: ONNX Runtime's dynamic-quantization tail
// (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(a_scale * b_scale)
// [-> Add bias]) becomes fastserve.MatMulIntegerToFloat with bit-identical
// outputs (per-tensor and per-column scales, with and without bias, batched
// A); a non-float Cast, a second reader, or a non-constant B blocks it; the
// fused CPU kernels match the reference kernel.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::count_op;
using testing::TestModel;

Tensor random_s8(Shape s, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(-127, 127);
  Tensor t = Tensor::empty(DType::kI8, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(u(rng));
  return t;
}

// x [2, 5, K] float -> DynamicQuantizeLinear -> MatMulInteger(., W [K, N] int8, x_zp)
// -> Cast(to) -> Mul(., x_scale * w_scale) [-> Add(bias)] -> y
std::shared_ptr<Model> dynamic_matmul(std::mt19937& rng, int64_t k, int64_t n, bool per_column, bool with_bias,
                                      bool extra_reader = false) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 5, k});
  std::vector<ValueId> q = t.node_n("DynamicQuantizeLinear", "dql", {x}, 3);
  ValueId w = t.constant("w", random_s8({k, n}, rng));
  ValueId mm = t.node("MatMulInteger", "mmi", {q[0], w, q[2]});
  ValueId cast = t.node("Cast", "cast", {mm}, {attr_int("to", 1)});
  ValueId ws = t.constant("w_scale", per_column ? testing::random_f32({n}, rng, 0.001, 0.01)
                                                : Tensor::scalar<float>(0.004f));
  ValueId scale = t.node("Mul", "scale", {q[1], ws});
  ValueId y = t.node("Mul", "mul", {cast, scale});
  if (with_bias) y = t.node("Add", "add", {y, t.constant("bias", testing::random_f32({n}, rng))});
  t.output(y);
  if (extra_reader) t.output(t.node("Neg", "neg", {cast}));
  return t.build();
}

TEST(FuseMatMulIntegerToFloat, FusesTheDynamicQuantizationTailWithBitIdenticalOutputs) {
  uint32_t seed = 200;
  for (bool per_column : {false, true}) {
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE(std::string(per_column ? "per column" : "per tensor") + (with_bias ? " + bias" : ""));
      std::mt19937 rng(seed++);
      std::shared_ptr<Model> m = dynamic_matmul(rng, 70, 40, per_column, with_bias);
      Model opt = *m;
      PassContext ctx = testing::run_pass(opt, &fuse_matmul_integer_to_float);
      EXPECT_EQ(ctx.rewrites, 1);
      EXPECT_EQ(count_op(opt.graph, "fastserve.MatMulIntegerToFloat"), 1);
      EXPECT_EQ(count_op(opt.graph, "MatMulInteger"), 0);
      EXPECT_EQ(count_op(opt.graph, "Cast"), 0);
      EXPECT_EQ(count_op(opt.graph, "Add"), 0);
      testing::expect_same_outputs(m, seed, 3, 0, 0);  // the same float ops in the same order
    }
  }
}

TEST(FuseMatMulIntegerToFloat, BlockedByASquareOrASecondReaderOrAVariableB) {
  std::mt19937 rng(210);
  {  // Mul(cast, cast): no scale operand
    TestModel t;
    ValueId a = t.input("a", DType::kU8, {3, 8});
    ValueId mm = t.node("MatMulInteger", "mmi", {a, t.constant("w", random_s8({8, 4}, rng))});
    ValueId cast = t.node("Cast", "cast", {mm}, {attr_int("to", 1)});
    t.output(t.node("Mul", "mul", {cast, cast}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_matmul_integer_to_float).rewrites, 0);
  }
  {  // B is a graph input
    TestModel t;
    ValueId a = t.input("a", DType::kU8, {3, 8});
    ValueId b = t.input("b", DType::kI8, {8, 4});
    ValueId cast = t.node("Cast", "cast", {t.node("MatMulInteger", "mmi", {a, b})}, {attr_int("to", 1)});
    t.output(t.node("Mul", "mul", {cast, t.constant("s", Tensor::scalar<float>(0.5f))}));
    Model opt = *t.build();
    EXPECT_EQ(testing::run_pass(opt, &fuse_matmul_integer_to_float).rewrites, 0);
  }
  {
    Model opt = *dynamic_matmul(rng, 8, 4, false, false, /*extra_reader=*/true);
    EXPECT_EQ(testing::run_pass(opt, &fuse_matmul_integer_to_float).rewrites, 0);
  }
}

TEST(FuseMatMulIntegerToFloat, FusedKernelsMatchTheReference) {
  std::mt19937 rng(220);
  for (int64_t n : {1, 33, 64}) {
    std::uniform_int_distribution<int> u8(0, 255);
    Tensor a = Tensor::empty(DType::kU8, Shape{3, 4, 50});
    for (int64_t i = 0; i < a.numel(); ++i) a.data<uint8_t>()[i] = static_cast<uint8_t>(u8(rng));
    const std::vector<Tensor> in = {a, random_s8({50, n}, rng), Tensor::scalar<uint8_t>(131), Tensor(),
                                    testing::random_f32({n}, rng, 0.001, 0.01), testing::random_f32({n}, rng)};
    testing::OpSpec spec;
    spec.op_type = "MatMulIntegerToFloat";
    spec.domain = "fastserve";
    EXPECT_GE(testing::expect_kernels_match_reference(spec, in, 0, 0), 1) << "n " << n;
  }
}

}  // namespace
}  // namespace fastserve
