// quantize_dynamic: MatMuls with constant float B become the ONNX dynamic
// INT8 pattern (one DynamicQuantizeLinear per activation), outputs keep
// their names and stay close to float (cosine >= 0.999 on random data),
// the engine fuses the result, and bad requests get errors naming what.
#include "quant/dynamic_quantization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fastserve/session.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::quant {
namespace {

using testing::count_op;
using testing::TestModel;

// x [4, 32] -> MatMul(W1 [32, 48]) -> Relu -> MatMul(W2 [48, 16]) -> y;
// x -> MatMul(W3 [32, 8]) -> z (shares x with the first); x -> MatMul(x^T-ish graph input) kept.
std::shared_ptr<Model> three_matmuls(std::mt19937& rng) {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {4, 32});
  ValueId p = t.input("p", DType::kF32, {32, 5});
  ValueId h = t.node("Relu", "relu", {t.node("MatMul", "fc1", {x, t.constant("w1", testing::random_f32({32, 48}, rng))})});
  t.output(t.node("MatMul", "fc2", {h, t.constant("w2", testing::random_f32({48, 16}, rng))}));
  t.output(t.node("MatMul", "side", {x, t.constant("w3", testing::random_f32({32, 8}, rng))}));
  t.output(t.node("MatMul", "dynamic_b", {x, p}));
  return t.build();
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

TEST(DynamicQuantization, RewritesConstantMatMulsAndStaysCloseToFloat) {
  for (bool per_channel : {false, true}) {
    SCOPED_TRACE(per_channel ? "per channel" : "per tensor");
    std::mt19937 rng(31);
    std::shared_ptr<Model> m = three_matmuls(rng);
    auto q = std::make_shared<Model>(*m);
    DynamicQuantOptions o;
    o.per_channel = per_channel;
    auto r = quantize_dynamic(*q, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->layers.size(), 3u);
    ASSERT_EQ(r->kept.size(), 1u);
    EXPECT_EQ(r->kept[0], "dynamic_b: B is not a constant");
    EXPECT_LT(r->weight_bytes_after * 3, r->weight_bytes_before) << "int8 weights are ~4x smaller";
    EXPECT_EQ(count_op(q->graph, "DynamicQuantizeLinear"), 2) << "x is quantized once for fc1 and side";
    EXPECT_EQ(count_op(q->graph, "MatMulInteger"), 3);
    EXPECT_EQ(count_op(q->graph, "MatMul"), 1);
    for (const QuantizedLayer& l : r->layers) EXPECT_GT(l.snr_db, 30.0) << l.node;
    // Same output names; close to the float model.
    auto sf = Session::create(m), sq = Session::create(q);
    ASSERT_TRUE(sf.ok() && sq.ok()) << sq.status().to_string();
    const std::vector<NamedTensor> in = testing::random_inputs(*m, 5);
    auto yf = (*sf)->run(in), yq = (*sq)->run(in);
    ASSERT_TRUE(yf.ok() && yq.ok()) << yq.status().to_string();
    ASSERT_EQ(yf->size(), yq->size());
    for (size_t i = 0; i < yf->size(); ++i) {
      EXPECT_EQ((*yf)[i].name, (*yq)[i].name);
      EXPECT_GT(cosine((*yq)[i].tensor, (*yf)[i].tensor), 0.999) << (*yf)[i].name;
    }
    // The engine runs the integer MatMuls fused.
    EXPECT_EQ(count_op((*sq)->model().graph, "fastserve.MatMulIntegerToFloat"), 3);
  }
}

TEST(DynamicQuantization, ExcludeKeepsANodeAndBadRequestsAreErrors) {
  std::mt19937 rng(32);
  {
    Model q = *three_matmuls(rng);
    DynamicQuantOptions o;
    o.exclude = {"side"};
    auto r = quantize_dynamic(q, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->layers.size(), 2u);
    EXPECT_EQ(count_op(q.graph, "MatMul"), 2);
    // Quantizing again: already quantized.
    auto again = quantize_dynamic(q, {});
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.status().message().find("already quantized"), std::string::npos) << again.status().message();
  }
  {
    Model q = *three_matmuls(rng);
    DynamicQuantOptions o;
    o.exclude = {"nope"};
    auto r = quantize_dynamic(q, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--exclude 'nope' names no MatMul"), std::string::npos) << r.status().message();
  }
  {
    TestModel t;
    t.output(t.node("Relu", "r", {t.input("x", DType::kF32, {3})}));
    Model q = *t.build();
    auto r = quantize_dynamic(q, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("nothing to quantize"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace fastserve::quant
