// Calibration: the real range [rmin, rmax] to quantize an activation to,
// from the values it took over a calibration set.
//
//   minmax      the observed min and max;
//   percentile  symmetric: the p-th percentile of |x| (p = 99.99 by
//               default) as the clipping threshold, so rare outliers do
//               not stretch the scale for everything else;
//   entropy     symmetric: the threshold minimizing the KL divergence
//               between the |x| histogram and its quantized form (128
//               levels per sign, the int8 half range), after TensorRT's
//               "8-bit inference with TensorRT" (Migacz, 2017).
//
// The observer keeps the min / max and a histogram of |x| (2048 bins over
// [0, absmax]); when a batch exceeds the current absmax the bin width
// doubles as often as needed and old counts merge pairwise, so the
// histogram stays exact-to-a-bin without storing the values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::quant {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy };

// "minmax" | "percentile" | "entropy"; kInvalidArgument naming the value otherwise.
Result<CalibrationMethod> parse_calibration_method(const std::string& name);

class RangeObserver {
 public:
  static constexpr int kBins = 2048;

  // Adds values; non-finite ones are ignored (counted in ignored()).
  void observe(std::span<const float> values);

  bool empty() const { return count_ == 0; }
  int64_t count() const { return count_; }
  int64_t ignored() const { return ignored_; }
  float min() const { return min_; }
  float max() const { return max_; }
  float absmax() const { return absmax_; }
  // Bin i holds |x| in [i, i + 1) * bin_width() (the last bin includes absmax).
  const std::vector<int64_t>& histogram() const { return hist_; }
  float bin_width() const { return width_; }

  // The range for `method` (percentile in (0, 100], used by kPercentile).
  // kInvalidArgument when nothing finite was observed.
  Result<std::pair<float, float>> range(CalibrationMethod method, double percentile = 99.99) const;

 private:
  void grow_to(float absmax);
  float percentile_threshold(double p) const;
  float entropy_threshold() const;

  int64_t count_ = 0, ignored_ = 0;
  float min_ = 0.f, max_ = 0.f, absmax_ = 0.f;
  float width_ = 0.f;  // 0 until the first nonzero value
  std::vector<int64_t> hist_ = std::vector<int64_t>(kBins, 0);
};

// KL(P || Q) of two histograms over the same bins, each normalized to sum 1
// (bins where P is 0 contribute nothing; a bin where P > 0 and Q == 0 is
// charged as if Q were a tiny epsilon). Exposed for tests.
double kl_divergence(std::span<const double> p, std::span<const double> q);

}  // namespace fastserve::quant
