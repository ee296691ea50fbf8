// Calibration observers: min/max exact over batches, the |x| histogram
// stays consistent as the range grows, percentile and entropy thresholds on
// distributions whose answer is known, and errors for empty input.
#include "quant/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

namespace fastserve::quant {
namespace {

TEST(Calibration, MinMaxOverBatchesAndNonFiniteValuesIgnored) {
  RangeObserver o;
  o.observe(std::vector<float>{0.5f, -0.25f, 1.f});
  o.observe(std::vector<float>{-3.f, NAN, INFINITY, 2.f});
  EXPECT_EQ(o.count(), 5);
  EXPECT_EQ(o.ignored(), 2);
  auto r = o.range(CalibrationMethod::kMinMax).value();
  EXPECT_FLOAT_EQ(r.first, -3.f);
  EXPECT_FLOAT_EQ(r.second, 2.f);
  // Every finite value is in the histogram, whatever order the range grew in.
  EXPECT_EQ(std::accumulate(o.histogram().begin(), o.histogram().end(), int64_t{0}), 5);
  EXPECT_GE(o.bin_width() * RangeObserver::kBins, 3.f);
}

TEST(Calibration, HistogramMatchesADirectCountAfterGrowing) {
  std::mt19937 rng(3);
  std::vector<float> all;
  RangeObserver o;
  for (int batch = 0; batch < 6; ++batch) {
    std::normal_distribution<float> n(0.f, static_cast<float>(1 << batch));  // the range grows each batch
    std::vector<float> v(500);
    for (float& x : v) x = n(rng);
    o.observe(v);
    all.insert(all.end(), v.begin(), v.end());
  }
  // Counts per bin of the final width, from all values at once. Bins merge
  // pairwise, so boundaries align; only a value within float rounding of a
  // boundary may land one bin off: the running sums agree to a few counts.
  std::vector<int64_t> direct(RangeObserver::kBins, 0);
  for (float x : all) {
    direct[static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(std::abs(x) / o.bin_width()),
                                                 RangeObserver::kBins - 1))]++;
  }
  int64_t run_direct = 0, run_observed = 0, worst = 0;
  for (int i = 0; i < RangeObserver::kBins; ++i) {
    run_direct += direct[static_cast<size_t>(i)];
    run_observed += o.histogram()[static_cast<size_t>(i)];
    worst = std::max(worst, std::abs(run_direct - run_observed));
  }
  EXPECT_EQ(run_direct, run_observed);
  EXPECT_LE(worst, 3);
}

TEST(Calibration, PercentileClipsRareOutliers) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(100000);
  for (float& x : v) x = u(rng);
  v[0] = 50.f;  // one outlier
  RangeObserver o;
  o.observe(v);
  EXPECT_FLOAT_EQ(o.range(CalibrationMethod::kMinMax).value().second, 50.f);
  auto r = o.range(CalibrationMethod::kPercentile, 99.0).value();
  // 99% of |x| ~ U(0, 1) lies below 0.99 (one bin is 50 / 2048 = 0.024 wide).
  EXPECT_NEAR(r.second, 0.99f, 0.03f);
  EXPECT_NEAR(r.first, -0.99f, 0.03f);  // symmetric, clipped to the observed min
  EXPECT_FALSE(o.range(CalibrationMethod::kPercentile, 0.0).ok());
  EXPECT_FALSE(o.range(CalibrationMethod::kPercentile, 101.0).ok());
}

TEST(Calibration, EntropyThresholdSitsBetweenTheBulkAndTheOutliers) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(200000);
  for (float& x : v) x = n(rng);
  for (int i = 0; i < 20; ++i) v[static_cast<size_t>(i)] = 40.f + static_cast<float>(i);  // far outliers
  RangeObserver o;
  o.observe(v);
  auto r = o.range(CalibrationMethod::kEntropy).value();
  // Gaussian data with sigma 1: TensorRT's method lands at a few sigma,
  // far below the outliers at 40-59 and above the bulk.
  EXPECT_GT(r.second, 2.f);
  EXPECT_LT(r.second, 12.f);
}

TEST(Calibration, OneSignedActivationsKeepTheirSign) {
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / 100.f;  // ReLU output: [0, 9.99]
  RangeObserver o;
  o.observe(v);
  for (CalibrationMethod m : {CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    auto r = o.range(m).value();
    EXPECT_EQ(r.first, 0.f);
    EXPECT_GT(r.second, 0.f);
    EXPECT_LE(r.second, 9.99f);
  }
}

TEST(Calibration, EmptyAndUnknownMethodAreErrors) {
  RangeObserver o;
  EXPECT_FALSE(o.range(CalibrationMethod::kMinMax).ok());
  o.observe(std::vector<float>{NAN});
  EXPECT_FALSE(o.range(CalibrationMethod::kEntropy).ok());
  EXPECT_EQ(parse_calibration_method("entropy").value(), CalibrationMethod::kEntropy);
  auto bad = parse_calibration_method("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'kl'"), std::string::npos);
}

TEST(Calibration, KlDivergenceOfIdenticalIsZeroAndGrowsWithDifference) {
  const std::vector<double> p = {1, 2, 3, 4}, q = {1, 2, 3, 4}, r = {4, 3, 2, 1};
  EXPECT_NEAR(kl_divergence(p, q), 0.0, 1e-12);
  EXPECT_GT(kl_divergence(p, r), 0.1);
}

}  // namespace
}  // namespace fastserve::quant
