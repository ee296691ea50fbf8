// Percentiles by selection (see latency_stats.h): nth_element finds the
// lower rank, the upper one is the smallest element after it.
#include "cli/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fastserve::cli {

double percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t n = samples.size();
  const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(n - 1);
  const size_t lo = std::min(static_cast<size_t>(std::floor(pos)), n - 1);
  const double frac = pos - static_cast<double>(lo);
  auto lo_it = samples.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(samples.begin(), lo_it, samples.end());
  const double lo_v = *lo_it;
  if (lo + 1 >= n || frac == 0.0) return lo_v;
  // After nth_element everything past lo_it is >= it: the next rank is their minimum.
  const double hi_v = *std::min_element(lo_it + 1, samples.end());
  return lo_v + (hi_v - lo_v) * frac;
}

LatencyStats summarize_latencies(std::span<const double> samples) {
  LatencyStats s;
  s.count = static_cast<int64_t>(samples.size());
  if (samples.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.min = s.p50 = s.p90 = s.p99 = s.p999 = s.max = s.mean = nan;
    return s;
  }
  std::vector<double> work(samples.begin(), samples.end());
  const auto [mn, mx] = std::minmax_element(work.begin(), work.end());
  s.min = *mn;
  s.max = *mx;
  s.mean = std::accumulate(work.begin(), work.end(), 0.0) / static_cast<double>(work.size());
  s.p50 = percentile(work, 50);
  s.p90 = percentile(work, 90);
  s.p99 = percentile(work, 99);
  s.p999 = percentile(work, 99.9);
  return s;
}

}  // namespace fastserve::cli
