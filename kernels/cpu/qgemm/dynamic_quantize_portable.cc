// DynamicQuantizeLinear microkernels in plain C++ (see dynamic_quantize.h).
#include <algorithm>
#include <cmath>

#include "kernels/cpu/qgemm/dynamic_quantize.h"

namespace fastserve {
namespace {

void range_portable(const float* x, int64_t n, float* lo, float* hi) {
  float l = *lo, h = *hi;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    l = std::min(l, x[i]);
    h = std::max(h, x[i]);
  }
  *lo = l;
  *hi = h;
}

void quantize_portable(const float* x, int64_t n, float scale, float zero_point, uint8_t* y) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    if (std::isnan(v)) {
      y[i] = static_cast<uint8_t>(zero_point);
      continue;
    }
    y[i] = static_cast<uint8_t>(std::clamp(std::nearbyint(v) + zero_point, 0.f, 255.f));
  }
}

}  // namespace

const DynamicQuantizeUkernels kDynamicQuantizePortable = {.range = &range_portable, .quantize = &quantize_portable};

}  // namespace fastserve
