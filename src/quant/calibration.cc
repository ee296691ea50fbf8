// Calibration observers and range choice (see calibration.h).
#include "quant/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fastserve::quant {

Result<CalibrationMethod> parse_calibration_method(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "entropy") return CalibrationMethod::kEntropy;
  return invalid_argument("unknown calibration method '" + name + "' (minmax, percentile, entropy)");
}

void RangeObserver::grow_to(float absmax) {
  if (width_ == 0.f) {
    width_ = absmax / kBins;
    return;
  }
  // Double the bin width until absmax fits; merge old bins pairwise each time.
  while (absmax > width_ * kBins) {
    for (int i = 0; i < kBins / 2; ++i) hist_[static_cast<size_t>(i)] = hist_[2 * i] + hist_[2 * i + 1];
    std::fill(hist_.begin() + kBins / 2, hist_.end(), 0);
    width_ *= 2.f;
  }
}

void RangeObserver::observe(std::span<const float> values) {
  // Range first, so every value of this batch lands in the final bins.
  float batch_abs = 0.f;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    if (count_ == 0) {
      min_ = max_ = v;
    } else {
      min_ = std::min(min_, v);
      max_ = std::max(max_, v);
    }
    ++count_;
    batch_abs = std::max(batch_abs, std::abs(v));
  }
  if (batch_abs > absmax_) {
    absmax_ = batch_abs;
    grow_to(absmax_);
  }
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++ignored_;
      continue;
    }
    if (width_ == 0.f) {
      ++hist_[0];  // zeros before any nonzero value
      continue;
    }
    const auto bin = static_cast<int64_t>(std::abs(v) / width_);
    ++hist_[static_cast<size_t>(std::min<int64_t>(bin, kBins - 1))];
  }
}

float RangeObserver::percentile_threshold(double p) const {
  const auto total = static_cast<double>(std::accumulate(hist_.begin(), hist_.end(), int64_t{0}));
  const double want = total * p / 100.0;
  double seen = 0;
  for (int i = 0; i < kBins; ++i) {
    seen += static_cast<double>(hist_[static_cast<size_t>(i)]);
    if (seen >= want) return std::min(absmax_, static_cast<float>(i + 1) * width_);
  }
  return absmax_;
}

double kl_divergence(std::span<const double> p, std::span<const double> q) {
  const double sp = std::accumulate(p.begin(), p.end(), 0.0), sq = std::accumulate(q.begin(), q.end(), 0.0);
  if (sp <= 0 || sq <= 0) return std::numeric_limits<double>::infinity();
  constexpr double kEps = 1e-10;
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0) continue;
    const double pi = p[i] / sp, qi = std::max(q[i] / sq, kEps);
    kl += pi * std::log(pi / qi);
  }
  return kl;
}

float RangeObserver::entropy_threshold() const {
  constexpr int kLevels = 128;  // int8 levels on one side of zero
  // Trailing empty bins do not matter; start where a threshold can still
  // hold every level.
  int last = kBins;
  while (last > kLevels && hist_[static_cast<size_t>(last - 1)] == 0) --last;
  if (last <= kLevels) return std::min(absmax_, static_cast<float>(last) * width_);
  double best_kl = std::numeric_limits<double>::infinity();
  int best = last;
  std::vector<double> p, q;
  for (int i = kLevels; i <= last; ++i) {
    // P: the first i bins, everything beyond clipped into the last one.
    p.assign(hist_.begin(), hist_.begin() + i);
    double outliers = 0;
    for (int j = i; j < kBins; ++j) outliers += static_cast<double>(hist_[static_cast<size_t>(j)]);
    p.back() += outliers;
    // Q: the first i bins merged into kLevels levels, each level's mass
    // spread evenly over its nonzero bins (zeros stay zero).
    q.assign(static_cast<size_t>(i), 0.0);
    for (int level = 0; level < kLevels; ++level) {
      const int b0 = level * i / kLevels, b1 = (level + 1) * i / kLevels;
      double mass = 0;
      int nonzero = 0;
      for (int b = b0; b < b1; ++b) {
        mass += static_cast<double>(hist_[static_cast<size_t>(b)]);
        nonzero += hist_[static_cast<size_t>(b)] != 0;
      }
      if (nonzero == 0) continue;
      for (int b = b0; b < b1; ++b) {
        if (hist_[static_cast<size_t>(b)] != 0) q[static_cast<size_t>(b)] = mass / nonzero;
      }
    }
    const double kl = kl_divergence(p, q);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  return std::min(absmax_, static_cast<float>(best) * width_);
}

Result<std::pair<float, float>> RangeObserver::range(CalibrationMethod method, double percentile) const {
  if (count_ == 0) {
    return invalid_argument("calibration saw no finite values (an empty or all-NaN calibration set)");
  }
  if (method == CalibrationMethod::kMinMax || width_ == 0.f) return std::make_pair(min_, max_);
  float t = absmax_;
  if (method == CalibrationMethod::kPercentile) {
    if (!(percentile > 0.0 && percentile <= 100.0)) {
      return invalid_argument("percentile " + std::to_string(percentile) + " is not in (0, 100]");
    }
    t = percentile_threshold(percentile);
  } else {
    t = entropy_threshold();
  }
  // Symmetric thresholds, but a one-signed activation (after ReLU) keeps its
  // sign: its range stays on one side of zero.
  const float lo = min_ >= 0.f ? 0.f : -t, hi = max_ <= 0.f ? 0.f : t;
  return std::make_pair(std::max(lo, min_), std::min(hi, max_));
}

}  // namespace fastserve::quant
