// fuse_qdq: QDQ patterns in ONNX Runtime's form (per-tensor uint8
// activations, per-channel int8 weights on axis 0, int32 bias behind a DQ)
// become fastserve.QConv / QAdd / QGlobalAveragePool / MaxPoolNhwc with
// channels-last data between them and Transposes only at the region's
// edges; a single fused op stays within one quantization step of the
// unfused float DQ / Q chain (level 0); what does not match keeps running
// in float; the pass manager keeps weight DQs unfolded for the pass and
// folds the rest.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::count_op;
using testing::TestModel;

// Sessions fuse only where the INT8 GEMM is fast (PassContext::fast_int8).
bool fast_int8_host() { return host_isa() >= Isa::kAvx512Vnni; }

// Graph inputs are uniform in [-2, 2] (pass_test_util's random_inputs).
constexpr float kInScale = 4.0f / 255.0f;

class QdqBuilder {
 public:
  explicit QdqBuilder(uint32_t seed) : rng_(seed) {}

  TestModel t;

  // Q -> DQ with constant per-tensor parameters (uint8).
  ValueId qdq(ValueId x, float scale, int zp, const std::string& name) {
    ValueId s = t.constant(name + "_s", Tensor::scalar<float>(scale));
    ValueId z = t.constant(name + "_zp", Tensor::scalar<uint8_t>(static_cast<uint8_t>(zp)));
    ValueId q = t.node("QuantizeLinear", name + "_q", {x, s, z});
    return t.node("DequantizeLinear", name + "_dq", {q, s, z});
  }

  // DQ(int8 W [M, C, k, k]) with per-channel scales (or one), axis 0.
  ValueId weights(int64_t m, int64_t c, int64_t k, bool per_channel, const std::string& name,
                  std::vector<float>* scales) {
    std::uniform_int_distribution<int> u(-127, 127);
    Tensor w = Tensor::empty(DType::kI8, Shape{m, c, k, k});
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(u(rng_));
    Tensor s = per_channel ? testing::random_f32({m}, rng_, 0.002, 0.004) : Tensor::scalar<float>(0.003f);
    Tensor z = Tensor::empty(DType::kI8, s.shape());
    for (int64_t i = 0; i < z.numel(); ++i) z.data<int8_t>()[i] = 0;
    scales->assign(static_cast<size_t>(m), 0.f);
    for (int64_t i = 0; i < m; ++i) (*scales)[static_cast<size_t>(i)] = s.data<float>()[per_channel ? i : 0];
    return t.node("DequantizeLinear", name + "_w_dq",
                  {t.constant(name + "_w", w), t.constant(name + "_ws", s), t.constant(name + "_wz", z)},
                  {attr_int("axis", 0)});
  }

  // DQ(int32 bias) with scale x_scale * w_scale[m], as quantize_static writes it.
  ValueId bias(float x_scale, const std::vector<float>& w_scales, const std::string& name) {
    const auto m = static_cast<int64_t>(w_scales.size());
    std::uniform_int_distribution<int> u(-3000, 3000);
    Tensor b = Tensor::empty(DType::kI32, Shape{m});
    Tensor s = Tensor::empty(DType::kF32, Shape{m});
    Tensor z = Tensor::empty(DType::kI32, Shape{m});
    for (int64_t i = 0; i < m; ++i) {
      b.data<int32_t>()[i] = u(rng_);
      s.data<float>()[i] = x_scale * w_scales[static_cast<size_t>(i)];
      z.data<int32_t>()[i] = 0;
    }
    return t.node("DequantizeLinear", name + "_b_dq",
                  {t.constant(name + "_b", b), t.constant(name + "_bs", s), t.constant(name + "_bz", z)},
                  {attr_int("axis", 0)});
  }

  ValueId conv(ValueId x, float x_scale, int64_t c, int64_t m, int64_t k, const std::string& name,
               bool per_channel = true, bool with_bias = true) {
    std::vector<float> ws;
    ValueId w = weights(m, c, k, per_channel, name, &ws);
    std::vector<ValueId> in = {x, w};
    if (with_bias) in.push_back(bias(x_scale, ws, name));
    return t.node("Conv", name, in, {attr_ints("kernel_shape", {k, k}), attr_ints("pads", {k / 2, k / 2, k / 2, k / 2})});
  }

  std::mt19937 rng_;
};

TEST(FuseQdq, AResNetBlockBecomesIntegerOpsWithChannelsLastBetweenThem) {
  QdqBuilder b(601);
  ValueId x = b.t.input("x", DType::kF32, {1, 16, 12, 12});
  ValueId xq = b.qdq(x, kInScale, 128, "in");
  ValueId c1 = b.qdq(b.t.node("Relu", "relu1", {b.conv(xq, kInScale, 16, 32, 3, "conv1")}), 6.f / 255, 0, "c1");
  ValueId c2 = b.qdq(b.conv(c1, 6.f / 255, 32, 32, 1, "conv2"), 8.f / 255, 120, "c2");
  ValueId sum = b.qdq(b.t.node("Add", "add", {c2, c1}), 8.f / 255, 0, "sum");  // Relu dropped: zp 0
  ValueId pooled = b.qdq(b.t.node("MaxPool", "pool", {sum}, {attr_ints("kernel_shape", {2, 2}),
                                                             attr_ints("strides", {2, 2})}),
                         8.f / 255, 0, "pooled");
  ValueId gap = b.qdq(b.t.node("GlobalAveragePool", "gap", {pooled}), 4.f / 255, 0, "gap");
  b.t.output(b.t.node("Flatten", "flatten", {gap}));
  std::shared_ptr<Model> m = b.t.build();

  Model opt = *m;
  PassContext ctx = testing::run_pass(opt, &fuse_qdq);
  EXPECT_EQ(ctx.rewrites, 5);
  EXPECT_EQ(count_op(opt.graph, "fastserve.QConv"), 2);
  EXPECT_EQ(count_op(opt.graph, "fastserve.QAdd"), 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.MaxPoolNhwc"), 1);
  EXPECT_EQ(count_op(opt.graph, "fastserve.QGlobalAveragePool"), 1);
  EXPECT_EQ(count_op(opt.graph, "Conv"), 0);
  EXPECT_EQ(count_op(opt.graph, "Relu"), 0);
  // One Transpose into NHWC after the input's Q; none back (QGlobalAveragePool writes [N, C, 1, 1]).
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 1);
  EXPECT_EQ(count_op(opt.graph, "QuantizeLinear"), 1);
  EXPECT_EQ(count_op(opt.graph, "DequantizeLinear"), 1);  // the last one, to float
  const Node* relu_conv = testing::producer_of(opt.graph, "c1_q_out0");
  ASSERT_NE(relu_conv, nullptr);
  EXPECT_EQ(relu_conv->op_type, "QConv");
  ASSERT_NE(relu_conv->attr("activation"), nullptr);
  EXPECT_EQ(relu_conv->attr("activation")->s, "Relu");
  // Five integer ops in a row: each may round one step differently from
  // the float chain, and a step propagates; the result stays close.
  testing::expect_same_outputs(m, 602, 3, 3 * 4.f / 255, 0);
}

// Each fused op alone: within one step of the output scale of the float chain.
TEST(FuseQdq, EachFusedOpIsWithinOneQuantizationStepOfTheFloatChain) {
  for (int variant = 0; variant < 6; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    QdqBuilder b(610 + static_cast<uint32_t>(variant));
    ValueId x = b.t.input("x", DType::kF32, {2, 8, 9, 7});
    ValueId xq = b.qdq(x, kInScale, 128, "in");
    const float y_scale = 5.f / 255;
    ValueId y = kNoValue;
    switch (variant) {
      case 0: y = b.conv(xq, kInScale, 8, 40, 3, "conv"); break;                       // per-channel, int32 bias
      case 1: y = b.conv(xq, kInScale, 8, 16, 1, "conv", /*per_channel=*/false); break;  // per-tensor
      case 2: y = b.t.node("Relu", "relu", {b.conv(xq, kInScale, 8, 16, 3, "conv", true, false)}); break;
      case 3: {  // a float bias (QAT exports): quantized to x_s * w_s units by the pass
        std::vector<float> ws;
        ValueId w = b.weights(16, 8, 3, true, "conv", &ws);
        ValueId bias = b.t.constant("fb", testing::random_f32({16}, b.rng_, -0.5, 0.5));
        y = b.t.node("Conv", "conv", {xq, w, bias}, {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})});
        break;
      }
      case 4: y = b.t.node("Add", "add", {xq, b.qdq(b.t.node("Neg", "neg", {x}), 3.f / 255, 100, "neg")}); break;
      default: y = b.t.node("GlobalAveragePool", "gap", {xq}); break;
    }
    b.t.output(b.qdq(y, y_scale, variant == 2 ? 0 : 128, "out"));
    std::shared_ptr<Model> m = b.t.build();
    std::unique_ptr<Session> s = testing::expect_same_outputs(m, 620, 3, y_scale * 1.001, 0);
    ASSERT_NE(s, nullptr);
    const int64_t fused = count_op(s->model().graph, "fastserve.QConv") + count_op(s->model().graph, "fastserve.QAdd") +
                          count_op(s->model().graph, "fastserve.QGlobalAveragePool");
    EXPECT_EQ(fused, fast_int8_host() ? 1 : 0);
  }
}

// int8 activations (symmetric quantization, QAT exports): the Q / DQ pairs
// become uint8 with the zero point moved by 128 -- the DQ outputs are the
// same numbers -- and the conv then runs as QConv.
TEST(FuseQdq, Int8ActivationsAreShiftedToUint8AndFused) {
  QdqBuilder b(650);
  ValueId x = b.t.input("x", DType::kF32, {1, 8, 9, 9});
  auto qdq_s8 = [&](ValueId v, float scale, int zp, const std::string& name) {
    ValueId sc = b.t.constant(name + "_s", Tensor::scalar<float>(scale));
    ValueId z = b.t.constant(name + "_zp", Tensor::scalar<int8_t>(static_cast<int8_t>(zp)));
    ValueId q = b.t.node("QuantizeLinear", name + "_q", {v, sc, z});
    return b.t.node("DequantizeLinear", name + "_dq", {q, sc, z});
  };
  ValueId xq = qdq_s8(x, kInScale, 0, "in");
  const float y_scale = 5.f / 255;
  b.t.output(qdq_s8(b.conv(xq, kInScale, 8, 16, 3, "conv"), y_scale, -3, "out"));
  std::shared_ptr<Model> m = b.t.build();
  std::unique_ptr<Session> s = testing::expect_same_outputs(m, 651, 3, y_scale * 1.001, 0);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(count_op(s->model().graph, "fastserve.QConv"), fast_int8_host() ? 1 : 0);
}

// Gemm (transB, per-row scales of W [N, K], int32 bias) and MatMul (W [K, N],
// per-column scales): MatMulIntegerToFloat, the Q after it kept.
TEST(FuseQdq, GemmAndMatMulOnDequantizedWeightsRunOnTheInt8Gemm) {
  for (bool gemm : {true, false}) {
    SCOPED_TRACE(gemm ? "Gemm" : "MatMul");
    QdqBuilder b(660);
    ValueId x = b.t.input("x", DType::kF32, {3, 20});
    ValueId xq = b.qdq(x, kInScale, 128, "in");
    std::uniform_int_distribution<int> u(-127, 127);
    Tensor w = Tensor::empty(DType::kI8, gemm ? Shape{16, 20} : Shape{20, 16});
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(u(b.rng_));
    Tensor ws = testing::random_f32({16}, b.rng_, 0.002, 0.004);
    std::vector<float> scales(ws.data<float>(), ws.data<float>() + 16);
    Tensor wz = Tensor::empty(DType::kI8, Shape{16});
    std::fill_n(wz.data<int8_t>(), 16, int8_t{0});
    ValueId wdq = b.t.node("DequantizeLinear", "w_dq", {b.t.constant("w", w), b.t.constant("ws", ws), b.t.constant("wz", wz)},
                           {attr_int("axis", gemm ? 0 : 1)});
    ValueId y = gemm ? b.t.node("Gemm", "fc", {xq, wdq, b.bias(kInScale, scales, "fc")}, {attr_int("transB", 1)})
                     : b.t.node("MatMul", "fc", {xq, wdq});
    b.t.output(b.qdq(y, 0.01f, 128, "out"));
    std::shared_ptr<Model> m = b.t.build();
    Model opt = *m;
    EXPECT_EQ(testing::run_pass(opt, &fuse_qdq).rewrites, 1);
    EXPECT_EQ(count_op(opt.graph, "fastserve.MatMulIntegerToFloat"), 1);
    EXPECT_EQ(count_op(opt.graph, gemm ? "Gemm" : "MatMul"), 0);
    testing::expect_same_outputs(m, 661, 3, 0.01 * 1.001, 0);
  }
}

TEST(FuseQdq, DoesNothingWithoutAFastInt8Gemm) {
  QdqBuilder b(670);
  ValueId x = b.t.input("x", DType::kF32, {1, 8, 5, 5});
  b.t.output(b.qdq(b.conv(b.qdq(x, kInScale, 128, "in"), kInScale, 8, 8, 3, "conv"), 0.05f, 128, "out"));
  Model m = *b.t.build();
  FS_CHECK(infer_graph_shapes(m).ok());
  PassContext ctx;
  ctx.fast_int8 = false;
  ASSERT_TRUE(fuse_qdq(m, ctx).ok());
  EXPECT_EQ(ctx.rewrites, 0);
  EXPECT_EQ(count_op(m.graph, "Conv"), 1);
}

TEST(FuseQdq, UnmatchedPatternsStayInFloatAndStillRun) {
  {  // weights that are a graph input, not a constant
    TestModel t;
    ValueId x = t.input("x", DType::kF32, {1, 4, 5, 5});
    ValueId w = t.input("w", DType::kF32, {4, 4, 1, 1});
    QdqBuilder b(630);
    (void)b;
    ValueId s = t.constant("s", Tensor::scalar<float>(kInScale));
    ValueId z = t.constant("z", Tensor::scalar<uint8_t>(128));
    ValueId xq = t.node("DequantizeLinear", "dq", {t.node("QuantizeLinear", "q", {x, s, z}), s, z});
    ValueId y = t.node("Conv", "conv", {xq, w}, {attr_ints("kernel_shape", {1, 1})});
    t.output(t.node("DequantizeLinear", "dq2", {t.node("QuantizeLinear", "q2", {y, s, z}), s, z}));
    std::shared_ptr<Model> m = t.build();
    Model opt = *m;
    EXPECT_EQ(testing::run_pass(opt, &fuse_qdq).rewrites, 0);
    testing::expect_same_outputs(m, 631, 3, 0, 0);
  }
  {  // a MaxPool whose Q has another scale than its DQ: the pool stays float
    QdqBuilder b(632);
    ValueId x = b.t.input("x", DType::kF32, {1, 4, 6, 6});
    ValueId xq = b.qdq(x, kInScale, 128, "in");
    ValueId p = b.t.node("MaxPool", "pool", {xq}, {attr_ints("kernel_shape", {2, 2})});
    b.t.output(b.qdq(p, 2 * kInScale, 128, "out"));
    std::shared_ptr<Model> m = b.t.build();
    Model opt = *m;
    EXPECT_EQ(testing::run_pass(opt, &fuse_qdq).rewrites, 0);
    testing::expect_same_outputs(m, 633, 3, 0, 0);
  }
  {  // a Conv output read twice (by its Q and by a Neg): no QConv
    QdqBuilder b(634);
    ValueId x = b.t.input("x", DType::kF32, {1, 8, 5, 5});
    ValueId y = b.conv(b.qdq(x, kInScale, 128, "in"), kInScale, 8, 8, 3, "conv");
    b.t.output(b.qdq(y, 0.05f, 128, "out"));
    b.t.output(b.t.node("Neg", "neg", {y}));
    std::shared_ptr<Model> m = b.t.build();
    Model opt = *m;
    EXPECT_EQ(testing::run_pass(opt, &fuse_qdq).rewrites, 0);
    testing::expect_same_outputs(m, 635, 3, 1e-5, 1e-5);
  }
}

TEST(FuseQdq, AnNhwcValueReadAsNchwGetsATransposeBackAndKeepsItsName) {
  QdqBuilder b(640);
  ValueId x = b.t.input("x", DType::kF32, {1, 8, 6, 6});
  ValueId y = b.conv(b.qdq(x, kInScale, 128, "in"), kInScale, 8, 16, 3, "conv");
  ValueId s = b.t.constant("ys", Tensor::scalar<float>(0.04f));
  ValueId z = b.t.constant("yz", Tensor::scalar<uint8_t>(128));
  ValueId q = b.t.node("QuantizeLinear", "yq", {y, s, z});
  b.t.output(q);                                                   // the uint8 tensor itself
  b.t.output(b.t.node("DequantizeLinear", "ydq", {q, s, z}));      // and a float reader
  std::shared_ptr<Model> m = b.t.build();
  Model opt = *m;
  testing::run_pass(opt, &fuse_qdq);
  EXPECT_EQ(count_op(opt.graph, "fastserve.QConv"), 1);
  EXPECT_EQ(count_op(opt.graph, "Transpose"), 2);  // in, and back
  const Node* back = testing::producer_of(opt.graph, "yq_out0");
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->op_type, "Transpose");
  EXPECT_EQ(testing::input_name(opt.graph, *back, 0), "yq_out0_nhwc");
  std::unique_ptr<Session> s1 = testing::expect_same_outputs(m, 641, 3, 1.0, 0);  // uint8 out: one step
  ASSERT_NE(s1, nullptr);
  const Value& out = s1->model().graph.values[static_cast<size_t>(s1->model().graph.outputs[0])];
  EXPECT_EQ(out.shape, (Shape{1, 16, 6, 6}));
}

TEST(FuseQdq, LevelOneFoldsWeightDequantizeAndLevelTwoFusesIt) {
  QdqBuilder b(650);
  ValueId x = b.t.input("x", DType::kF32, {1, 8, 5, 5});
  ValueId y = b.conv(b.qdq(x, kInScale, 128, "in"), kInScale, 8, 8, 3, "conv");
  b.t.output(b.qdq(y, 0.05f, 128, "out"));
  std::shared_ptr<Model> m = b.t.build();
  for (int level : {1, 2}) {
    SCOPED_TRACE("level " + std::to_string(level));
    std::unique_ptr<Session> s = testing::expect_same_outputs(m, 651, level, 0.05 * 1.001, 0);
    ASSERT_NE(s, nullptr);
    const Graph& g = s->model().graph;
    const bool fused = level >= 2 && fast_int8_host();
    EXPECT_EQ(count_op(g, "fastserve.QConv"), fused ? 1 : 0);
    EXPECT_EQ(count_op(g, "DequantizeLinear"), fused ? 1 : 2);  // unfused: the activations' DQs only
  }
}

}  // namespace
}  // namespace fastserve
