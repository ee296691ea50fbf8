// choose_float_layers: layers go back to float most sensitive first until
// the budget holds; an unreachable budget says so and leaves a layer
// quantized; a negative budget is an error.
#include "quant/mixed_precision.h"

#include <gtest/gtest.h>

#include <map>

namespace fastserve::quant {
namespace {

// Accuracy = 90 minus each quantized layer's cost.
AccuracyFn additive(const std::map<std::string, double>& cost, int* calls) {
  return [cost, calls](const std::vector<std::string>& kept) -> Result<double> {
    ++*calls;
    double acc = 90;
    for (const auto& [layer, c] : cost) {
      if (std::find(kept.begin(), kept.end(), layer) == kept.end()) acc -= c;
    }
    return acc;
  };
}

TEST(MixedPrecision, ReturnsTheMostSensitiveLayersToFloatUntilTheBudgetHolds) {
  int calls = 0;
  const std::map<std::string, double> cost = {{"a", 0.1}, {"b", 2.0}, {"c", 0.5}, {"d", 0.05}};
  auto r = choose_float_layers({"a", "b", "c", "d"}, 90, 0.3, additive(cost, &calls));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->budget_met);
  EXPECT_EQ(r->kept_float, (std::vector<std::string>{"b", "c"}));
  EXPECT_NEAR(r->all_quantized_accuracy, 90 - 2.65, 1e-9);
  EXPECT_NEAR(r->final_accuracy, 90 - 0.15, 1e-9);
  ASSERT_EQ(r->sensitivity.size(), 4u);
  EXPECT_EQ(r->sensitivity[0].first, "b");
  EXPECT_NEAR(r->sensitivity[0].second, 2.0, 1e-9);
  EXPECT_EQ(calls, r->evaluations);
}

TEST(MixedPrecision, WithinBudgetAlreadyKeepsEverythingQuantized) {
  int calls = 0;
  auto r = choose_float_layers({"a", "b"}, 90, 0.5, additive({{"a", 0.1}, {"b", 0.2}}, &calls));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->budget_met);
  EXPECT_TRUE(r->kept_float.empty());
  EXPECT_EQ(calls, 1);
}

TEST(MixedPrecision, AnUnreachableBudgetIsReportedAndOneLayerStaysQuantized) {
  int calls = 0;
  auto r = choose_float_layers({"a", "b", "c"}, 90, 0.0, additive({{"a", 1}, {"b", 1}, {"c", 1}}, &calls));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->budget_met);
  EXPECT_EQ(r->kept_float.size(), 2u);
  EXPECT_FALSE(choose_float_layers({"a"}, 90, -1, additive({}, &calls)).ok());
  AccuracyFn failing = [](const std::vector<std::string>&) -> Result<double> { return invalid_argument("boom"); };
  auto f = choose_float_layers({"a"}, 90, 0.5, failing);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "boom");
}

}  // namespace
}  // namespace fastserve::quant
