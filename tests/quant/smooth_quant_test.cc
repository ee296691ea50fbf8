// SmoothQuant: the rewrite keeps float outputs (X diag(1/s) diag(s) W = X W),
// touches only the MatMul/Gemm readers of an activation, and with an
// outlier channel it makes per-tensor dynamic INT8 closer to float.
#include "quant/smooth_quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fastserve/session.h"
#include "quant/dynamic_quantization.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::quant {
namespace {

using testing::count_op;
using testing::TestModel;

std::shared_ptr<Model> model(std::mt19937& rng) {
  TestModel t;
  const ValueId x = t.input("x", DType::kF32, {8, 64});
  t.output(t.node("MatMul", "fc1", {x, t.constant("w1", testing::random_f32({64, 32}, rng))}));
  t.output(t.node("Gemm", "fc2", {x, t.constant("w2", testing::random_f32({16, 64}, rng))},
                  {testing::attr_int("transB", 1)}));
  t.output(t.node("Relu", "other", {x}));
  return t.build();
}

// Inputs whose channel 3 is 50x the others: the outlier SmoothQuant is for.
CalibrationBatch outlier_batch(std::mt19937& rng) {
  Tensor x = testing::random_f32({8, 64}, rng);
  for (int64_t r = 0; r < 8; ++r) x.data<float>()[r * 64 + 3] *= 50.f;
  return {NamedTensor{"x", std::move(x)}};
}

double rel_error(const Tensor& got, const Tensor& want) {
  double e = 0, s = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = double(got.data<float>()[i]) - want.data<float>()[i];
    e += d * d;
    s += double(want.data<float>()[i]) * want.data<float>()[i];
  }
  return std::sqrt(e / s);
}

std::vector<NamedTensor> run(const std::shared_ptr<Model>& m, const CalibrationBatch& in) {
  auto s = Session::create(m);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  auto y = (*s)->run(in);
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  return *y;
}

TEST(SmoothQuant, KeepsFloatOutputsAndOnlyTouchesWeightedReaders) {
  std::mt19937 rng(3);
  auto m = model(rng);
  EXPECT_EQ(smoothable_activations(*m, {}), (std::vector<std::string>{"x"}));
  std::vector<CalibrationBatch> calib = {outlier_batch(rng), outlier_batch(rng)};
  auto absmax = observe_channel_absmax(*m, {"x"}, calib, 1);
  ASSERT_TRUE(absmax.ok()) << absmax.status().to_string();
  ASSERT_EQ(absmax->at("x").size(), 64u);
  EXPECT_GT(absmax->at("x")[3], 10 * absmax->at("x")[4]);
  auto s = std::make_shared<Model>(*m);
  auto r = apply_smoothing(*s, *absmax, 0.5, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->activations, 1);
  EXPECT_EQ(r->weights, 2);
  EXPECT_EQ(count_op(s->graph, "Mul"), 1);
  const Node* relu = testing::producer_of(s->graph, "other_out0");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(testing::input_name(s->graph, *relu, 0), "x") << "a non-weighted reader keeps the original";
  const CalibrationBatch probe = outlier_batch(rng);
  const auto yf = run(m, probe), ys = run(s, probe);
  for (size_t i = 0; i < yf.size(); ++i) EXPECT_LT(rel_error(ys[i].tensor, yf[i].tensor), 1e-5) << yf[i].name;
  EXPECT_FALSE(apply_smoothing(*s, *absmax, 1.5, {}).ok());
}

TEST(SmoothQuant, MakesDynamicInt8CloserToFloatWithAnOutlierChannel) {
  std::mt19937 rng(4);
  TestModel t;
  const ValueId x = t.input("x", DType::kF32, {8, 64});
  t.output(t.node("MatMul", "fc", {x, t.constant("w", testing::random_f32({64, 32}, rng))}));
  auto m = t.build();
  std::vector<CalibrationBatch> calib = {outlier_batch(rng), outlier_batch(rng), outlier_batch(rng)};
  const CalibrationBatch probe = outlier_batch(rng);
  const auto yf = run(m, probe);

  auto plain = std::make_shared<Model>(*m);
  DynamicQuantOptions pc;
  pc.per_channel = true;
  ASSERT_TRUE(quantize_dynamic(*plain, pc).ok());
  auto smoothed = std::make_shared<Model>(*m);
  auto absmax = observe_channel_absmax(*m, {"x"}, calib, 1);
  ASSERT_TRUE(absmax.ok());
  ASSERT_TRUE(apply_smoothing(*smoothed, *absmax, 0.5, {}).ok());
  ASSERT_TRUE(quantize_dynamic(*smoothed, pc).ok());
  const double e_plain = rel_error(run(plain, probe)[0].tensor, yf[0].tensor);
  const double e_smooth = rel_error(run(smoothed, probe)[0].tensor, yf[0].tensor);
  EXPECT_LT(e_smooth, 0.7 * e_plain) << "plain " << e_plain << ", smoothed " << e_smooth;
}

}  // namespace
}  // namespace fastserve::quant
