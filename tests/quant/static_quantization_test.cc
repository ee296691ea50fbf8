// quantize_static: a Conv -> Relu -> MaxPool -> Flatten -> Gemm model and a
// residual Add become QDQ models that stay close to float; pass-through ops
// reuse their input's scale; int32 biases carry x_scale * w_scale; int4
// weights are blocked along the reduction axis at opset 21; calibration
// observes the true ranges; bad requests are errors naming what.
#include "quant/static_quantization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "fastserve/session.h"
#include "quant/activation_ranges.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::quant {
namespace {

using testing::count_op;
using testing::TestModel;

// x [B,3,8,8] -> Conv(8, 3x3, pad 1) -> Relu -> MaxPool 2 -> Conv(8, 1x1) -> Add(residual) -> Relu
//   -> Flatten -> Gemm(128 -> 10, transB) -> y
std::shared_ptr<Model> small_cnn(std::mt19937& rng, int64_t opset = 17) {
  TestModel t(opset);
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 3, 8, 8}, {"batch", "", "", ""});
  ValueId c1 = t.node("Conv", "conv1",
                      {x, t.constant("w1", testing::random_f32({8, 3, 3, 3}, rng)),
                       t.constant("b1", testing::random_f32({8}, rng))},
                      {testing::attr_ints("pads", {1, 1, 1, 1})});
  ValueId r1 = t.node("Relu", "relu1", {c1});
  ValueId p1 = t.node("MaxPool", "pool1", {r1},
                      {testing::attr_ints("kernel_shape", {2, 2}), testing::attr_ints("strides", {2, 2})});
  ValueId c2 = t.node("Conv", "conv2",
                      {p1, t.constant("w2", testing::random_f32({8, 8, 1, 1}, rng)),
                       t.constant("b2", testing::random_f32({8}, rng))});
  ValueId r2 = t.node("Relu", "relu2", {t.node("Add", "residual", {c2, p1})});
  ValueId f = t.node("Flatten", "flatten", {r2});
  Attribute tb;
  tb.name = "transB";
  tb.kind = Attribute::Kind::kInt;
  tb.i = 1;
  t.output(t.node("Gemm", "fc",
                  {f, t.constant("wf", testing::random_f32({10, 128}, rng, -0.2, 0.2)),
                   t.constant("bf", testing::random_f32({10}, rng))},
                  {tb}));
  return t.build();
}

std::vector<CalibrationBatch> batches(const Model& m, int n) {
  std::vector<CalibrationBatch> out;
  for (int i = 0; i < n; ++i) {
    CalibrationBatch b = testing::random_inputs(m, 100 + i);
    out.push_back(std::move(b));
  }
  return out;
}

double cosine(const Tensor& a, const Tensor& b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    ab += double(a.data<float>()[i]) * b.data<float>()[i];
    aa += double(a.data<float>()[i]) * a.data<float>()[i];
    bb += double(b.data<float>()[i]) * b.data<float>()[i];
  }
  return ab / std::sqrt(aa * bb);
}

const Node* find_node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// Quantizes a copy of `m`, calibrated on `calib`; checks it stays close to float on fresh inputs.
Result<StaticQuantReport> quantize_and_compare(const std::shared_ptr<Model>& m, const StaticQuantOptions& o,
                                               std::shared_ptr<Model>* out, double min_cosine) {
  auto q = std::make_shared<Model>(*m);
  FS_ASSIGN_OR_RETURN(StaticQuantPlan plan, plan_static_quantization(*q, o));
  const std::vector<CalibrationBatch> calib = batches(*m, 4);
  FS_ASSIGN_OR_RETURN(auto ranges, observe_activations(*q, plan.calibrate, calib, 1));
  FS_ASSIGN_OR_RETURN(StaticQuantReport r, quantize_static(*q, plan, ranges, o));
  FS_ASSIGN_OR_RETURN(auto sf, Session::create(m));
  FS_ASSIGN_OR_RETURN(auto sq, Session::create(q));
  const std::vector<NamedTensor> in = testing::random_inputs(*m, 7);
  FS_ASSIGN_OR_RETURN(auto yf, sf->run(in));
  FS_ASSIGN_OR_RETURN(auto yq, sq->run(in));
  EXPECT_EQ(yf[0].name, yq[0].name);
  EXPECT_GT(cosine(yq[0].tensor, yf[0].tensor), min_cosine);
  *out = q;
  return r;
}

TEST(StaticQuantization, PlanCalibratesTheInputsOfQuantizedNodesOnly) {
  std::mt19937 rng(5);
  auto m = small_cnn(rng);
  auto plan = plan_static_quantization(*m, {});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->weighted.size(), 3u);
  EXPECT_EQ(plan->activation_ops.size(), 3u) << "pool1, residual, flatten";
  std::vector<std::string> want = {"x", "relu1_out0", "conv2_out0", "relu2_out0"};
  std::vector<std::string> got = plan->calibrate;
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want) << "pool1's output inherits relu1's range; flatten's inherits relu2's";
}

TEST(StaticQuantization, WritesQdqThatStaysCloseToFloat) {
  for (bool per_channel : {false, true}) {
    for (bool symmetric : {false, true}) {
      SCOPED_TRACE(std::string(per_channel ? "per channel" : "per tensor") + (symmetric ? " symmetric" : ""));
      std::mt19937 rng(11);
      auto m = small_cnn(rng);
      StaticQuantOptions o;
      o.per_channel = per_channel;
      o.symmetric_activations = symmetric;
      std::shared_ptr<Model> q;
      auto r = quantize_and_compare(m, o, &q, 0.995);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      const Graph& g = q->graph;
      // Activations: x, relu1, pool1 (inherited), conv2, relu2, flatten (inherited).
      EXPECT_EQ(count_op(g, "QuantizeLinear"), 6);
      // 6 activation DQs + 3 weights + 3 biases.
      EXPECT_EQ(count_op(g, "DequantizeLinear"), 12);
      EXPECT_EQ(r->layers.size(), 3u);
      for (const StaticQuantLayer& l : r->layers) EXPECT_GT(l.snr_db, 30.0) << l.node;
      // Pass-through outputs share their input's parameters.
      std::map<std::string, QuantizedTensorInfo> act;
      for (const QuantizedTensorInfo& a : r->activations) act[a.tensor] = a;
      ASSERT_TRUE(act.count("pool1_out0") && act.count("relu1_out0"));
      EXPECT_EQ(act["pool1_out0"].inherited_from, "relu1_out0");
      EXPECT_EQ(act["pool1_out0"].params.scale, act["relu1_out0"].params.scale);
      EXPECT_EQ(act["relu1_out0"].dtype, symmetric ? DType::kI8 : DType::kU8);
      if (!symmetric) {
        EXPECT_EQ(act["relu1_out0"].params.zero_point, 0) << "a ReLU output starts at 0";
      }
      // conv1's weight DQ has axis 0 when per channel; its bias is int32 with x_scale * w_scale.
      const Node* conv1 = find_node(g, "conv1");
      ASSERT_NE(conv1, nullptr);
      const Node* wdq = &g.nodes[static_cast<size_t>(g.values[static_cast<size_t>(conv1->inputs[1])].producer)];
      EXPECT_EQ(wdq->op_type, "DequantizeLinear");
      EXPECT_EQ(wdq->attr("axis") != nullptr, per_channel);
      const Tensor& wq = g.values[static_cast<size_t>(wdq->inputs[0])].initializer;
      EXPECT_EQ(wq.dtype(), DType::kI8);
      const Node* bdq = &g.nodes[static_cast<size_t>(g.values[static_cast<size_t>(conv1->inputs[2])].producer)];
      const Tensor& bq = g.values[static_cast<size_t>(bdq->inputs[0])].initializer;
      const Tensor& bs = g.values[static_cast<size_t>(bdq->inputs[1])].initializer;
      const Tensor& ws = g.values[static_cast<size_t>(wdq->inputs[1])].initializer;
      EXPECT_EQ(bq.dtype(), DType::kI32);
      EXPECT_FLOAT_EQ(bs.data<float>()[0], act["x"].params.scale * ws.data<float>()[0]);
      // The Gemm (transB) is per channel along axis 0.
      const Node* fc = find_node(g, "fc");
      const Node* fdq = &g.nodes[static_cast<size_t>(g.values[static_cast<size_t>(fc->inputs[1])].producer)];
      if (per_channel) {
        EXPECT_EQ(fdq->attr("axis")->i, 0);
      }
    }
  }
}

TEST(StaticQuantization, WeightOnlyInt4IsBlockedAlongTheReductionAxisAtOpset21) {
  std::mt19937 rng(12);
  auto m = small_cnn(rng);
  StaticQuantOptions o;
  o.quantize_activations = false;
  o.weights = WeightBits::kInt4;
  o.block = 32;
  std::shared_ptr<Model> q;
  auto r = quantize_and_compare(m, o, &q, 0.97);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(q->opset(""), 21);
  EXPECT_GE(q->ir_version, 10);
  EXPECT_EQ(count_op(q->graph, "QuantizeLinear"), 0);
  EXPECT_EQ(count_op(q->graph, "DequantizeLinear"), 3) << "weights only; biases stay float";
  const Node* fc = find_node(q->graph, "fc");
  const Node* dq = &q->graph.nodes[static_cast<size_t>(q->graph.values[static_cast<size_t>(fc->inputs[1])].producer)];
  ASSERT_NE(dq->attr("block_size"), nullptr);
  EXPECT_EQ(dq->attr("block_size")->i, 32);
  EXPECT_EQ(dq->attr("axis")->i, 1) << "Gemm transB: [N, K], K is axis 1";
  const Tensor& s = q->graph.values[static_cast<size_t>(dq->inputs[1])].initializer;
  EXPECT_EQ(s.shape(), (Shape{10, 4}));
  EXPECT_EQ(q->graph.values[static_cast<size_t>(dq->inputs[0])].initializer.dtype(), DType::kI4);
  // conv1 has 3 input channels (< a block): per output channel instead.
  EXPECT_EQ(r->layers[0].granularity, "per channel");
  EXPECT_EQ(r->layers[2].granularity, "blocks of 32");
  EXPECT_LT(r->weight_bytes_after * 5, r->weight_bytes_before);
}

TEST(StaticQuantization, ObservedRangesAreTheTensorsTrueRanges) {
  std::mt19937 rng(13);
  auto m = small_cnn(rng);
  const std::vector<CalibrationBatch> calib = batches(*m, 3);
  auto ranges = observe_activations(*m, {"x", "relu1_out0"}, calib, 1);
  ASSERT_TRUE(ranges.ok()) << ranges.status().to_string();
  float lo = INFINITY, hi = -INFINITY;
  for (const CalibrationBatch& b : calib) {
    const Tensor& x = b[0].tensor;
    for (int64_t i = 0; i < x.numel(); ++i) {
      lo = std::min(lo, x.data<float>()[i]);
      hi = std::max(hi, x.data<float>()[i]);
    }
  }
  EXPECT_EQ(ranges->at("x").min(), lo);
  EXPECT_EQ(ranges->at("x").max(), hi);
  EXPECT_EQ(ranges->at("relu1_out0").min(), 0.f);
  EXPECT_GT(ranges->at("relu1_out0").max(), 0.f);
  EXPECT_FALSE(observe_activations(*m, {"nope"}, calib, 1).ok());
  EXPECT_FALSE(observe_activations(*m, {"x"}, {}, 1).ok()) << "an empty calibration set";
}

TEST(StaticQuantization, BadRequestsAreErrorsNamingWhat) {
  std::mt19937 rng(14);
  auto m = small_cnn(rng);
  StaticQuantOptions o;
  o.exclude = {"nope"};
  auto r = plan_static_quantization(*m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--exclude 'nope'"), std::string::npos) << r.status().message();

  auto old = small_cnn(rng, 12);
  StaticQuantOptions pc;
  pc.per_channel = true;
  r = plan_static_quantization(*old, pc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("opset 12"), std::string::npos) << r.status().message();

  StaticQuantOptions all;
  all.exclude = {"conv1", "conv2", "fc"};
  r = plan_static_quantization(*m, all);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nothing to quantize"), std::string::npos) << r.status().message();

  auto plan = plan_static_quantization(*m, {});
  ASSERT_TRUE(plan.ok());
  auto q = std::make_shared<Model>(*m);
  auto missing = quantize_static(*q, *plan, {}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no range for tensor"), std::string::npos);

  // A quantized model is refused.
  std::shared_ptr<Model> quantized;
  ASSERT_TRUE(quantize_and_compare(m, {}, &quantized, 0.99).ok());
  r = plan_static_quantization(*quantized, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("already quantized"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fastserve::quant
