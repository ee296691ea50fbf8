// LayerNormalization on contiguous rows, written once in plain C++ with
// fixed-width lane arrays so each ISA's translation unit
// (layer_norm_{scalar,avx2,avx512}.cc, compiled with that ISA's flags)
// vectorizes it: sums run in kLanes independent float lanes (no
// reassociation needed), combined in double at the end. Every function is
// static: each TU keeps its own ISA copy (an inline one would be merged
// across TUs by the linker, whichever ISA it was compiled for). Two passes over the
// row for the statistics (mean, then the squared deviations: no
// cancellation), one for the output. Include only from those files.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cpu/layer_norm/layer_norm_ukernels.h"

namespace fastserve::layer_norm_impl {

constexpr int kLanes = 32;

static inline double lane_sum(const float* acc) {
  double s = 0;
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

static inline void normalize_row(const float* x, float* y, int64_t n, const float* scale, const float* bias, float epsilon,
                          float* mean_out, float* inv_std_out) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  }
  double tail = 0;
  for (; i < n; ++i) tail += x[i];
  const float mu = n == 0 ? 0.f : static_cast<float>((lane_sum(acc) + tail) / static_cast<double>(n));

  float sq[kLanes] = {};
  i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const float d = x[i + j] - mu;
      sq[j] += d * d;
    }
  }
  tail = 0;
  for (; i < n; ++i) tail += static_cast<double>(x[i] - mu) * (x[i] - mu);
  const double var = n == 0 ? 0.0 : (lane_sum(sq) + tail) / static_cast<double>(n);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + epsilon));

  if (bias != nullptr) {
    for (int64_t k = 0; k < n; ++k) y[k] = (x[k] - mu) * inv * scale[k] + bias[k];
  } else {
    for (int64_t k = 0; k < n; ++k) y[k] = (x[k] - mu) * inv * scale[k];
  }
  if (mean_out != nullptr) *mean_out = mu;
  if (inv_std_out != nullptr) *inv_std_out = inv;
}

}  // namespace fastserve::layer_norm_impl
