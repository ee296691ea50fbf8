// Percentiles and latency summaries (cli/latency_stats.h) against a plain
// sort-and-interpolate reference.
#include "cli/latency_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace fastserve::cli {
namespace {

// Sort, then interpolate between the ranks around p/100 * (n-1).
double reference_percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

TEST(LatencyStats, PercentileMatchesSortedReferenceOnRandomSamples) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> size(1, 2000);
  std::lognormal_distribution<double> latency(0.0, 0.7);  // skewed, like real latencies
  std::uniform_real_distribution<double> any_p(0.0, 100.0);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> samples(static_cast<size_t>(size(rng)));
    for (double& s : samples) s = latency(rng);
    if (trial % 5 == 0) {  // many ties
      for (double& s : samples) s = std::round(s * 4) / 4;
    }
    std::vector<double> work = samples;
    for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0, any_p(rng), any_p(rng)}) {
      // The same scrambled vector across calls, as summarize_latencies uses it.
      EXPECT_DOUBLE_EQ(percentile(work, p), reference_percentile(samples, p))
          << "n=" << samples.size() << " p=" << p << " trial " << trial;
    }
  }
}

TEST(LatencyStats, PercentileHandWorkedCases) {
  std::vector<double> four = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(four, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile(four, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(four, 100), 4);
  EXPECT_DOUBLE_EQ(percentile(four, 90), 3.7);  // position 2.7: 3 + 0.7 * (4 - 3)
  std::vector<double> one = {7.5};
  EXPECT_DOUBLE_EQ(percentile(one, 99.9), 7.5);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(percentile(none, 50)));
}

TEST(LatencyStats, SummaryMatchesReferenceAndLeavesInputAlone) {
  std::mt19937 rng(7);
  std::exponential_distribution<double> latency(3.0);
  for (size_t n : {1u, 2u, 3u, 10u, 999u, 1000u, 1001u}) {
    std::vector<double> samples(n);
    for (double& s : samples) s = 0.1 + latency(rng);
    const std::vector<double> before = samples;
    const LatencyStats s = summarize_latencies(samples);
    EXPECT_EQ(samples, before);
    EXPECT_EQ(s.count, static_cast<int64_t>(n));
    EXPECT_DOUBLE_EQ(s.min, *std::min_element(before.begin(), before.end()));
    EXPECT_DOUBLE_EQ(s.max, *std::max_element(before.begin(), before.end()));
    EXPECT_NEAR(s.mean, std::accumulate(before.begin(), before.end(), 0.0) / static_cast<double>(n), 1e-12);
    EXPECT_DOUBLE_EQ(s.p50, reference_percentile(before, 50));
    EXPECT_DOUBLE_EQ(s.p90, reference_percentile(before, 90));
    EXPECT_DOUBLE_EQ(s.p99, reference_percentile(before, 99));
    EXPECT_DOUBLE_EQ(s.p999, reference_percentile(before, 99.9));
    EXPECT_LE(s.min, s.p50);
    EXPECT_LE(s.p50, s.p90);
    EXPECT_LE(s.p90, s.p99);
    EXPECT_LE(s.p99, s.p999);
    EXPECT_LE(s.p999, s.max);
  }
}

TEST(LatencyStats, EmptySummaryIsNaN) {
  const LatencyStats s = summarize_latencies({});
  EXPECT_EQ(s.count, 0);
  for (double v : {s.min, s.p50, s.p90, s.p99, s.p999, s.max, s.mean}) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace fastserve::cli
