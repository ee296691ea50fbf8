// Latency statistics for `fastserve bench`: percentiles, min/max/mean of
// per-run times.
//
// Percentiles interpolate linearly between the two closest ranks (NumPy's
// default "linear" method, Hyndman & Fan 1996 definition 7): for n sorted
// samples the p-th percentile sits at position p/100 * (n - 1). With few
// samples p99.9 is therefore close to the maximum rather than equal to it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fastserve::cli {

struct LatencyStats {
  int64_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // NaN when count == 0
};

// The p-th percentile (0 <= p <= 100) of `samples`; NaN when empty. Reorders
// `samples` (partial selection, O(n) per call), so the caller passes a copy
// it may scramble; repeated calls on the same vector stay correct.
double percentile(std::vector<double>& samples, double p);

LatencyStats summarize_latencies(std::span<const double> samples);

}  // namespace fastserve::cli
