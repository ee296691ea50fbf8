// im2col into packed-B panels (see im2col.h). Portable C++; the unit-stride
// case copies contiguous row segments with memcpy.
#include "kernels/cpu/conv/im2col.h"

#include <algorithm>
#include <cstring>

namespace fastserve {
namespace {

void fill_zero(float* p, int64_t n) {
  if (n > 0) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace

void im2col_pack_panels(const Conv2dPlan& p, const float* x_group, int64_t nr, int64_t panel_begin,
                        int64_t panel_end, float* dst) {
  const int64_t k_total = p.cg() * p.kh * p.kw;
  const int64_t n_total = p.oh * p.ow;
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + panel * nr * k_total;
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min(nr, n_total - j0);
    const int64_t oy0 = j0 / p.ow, ox0 = j0 % p.ow;
    int64_t row = 0;
    for (int64_t c = 0; c < p.cg(); ++c) {
      const float* xc = x_group + c * p.h * p.w;
      for (int64_t ki = 0; ki < p.kh; ++ki) {
        for (int64_t kj = 0; kj < p.kw; ++kj, ++row) {
          float* o = out + row * nr;
          // Walk the panel's columns in runs that share an output row.
          int64_t t = 0, oy = oy0, ox = ox0;
          while (t < cols) {
            const int64_t run = std::min(cols - t, p.ow - ox);
            const int64_t iy = oy * p.stride_h - p.pad_top + ki * p.dilation_h;
            if (iy < 0 || iy >= p.h) {
              fill_zero(o + t, run);
            } else {
              const float* xrow = xc + iy * p.w;
              const int64_t ix0 = ox * p.stride_w - p.pad_left + kj * p.dilation_w;
              if (p.stride_w == 1) {
                // Columns [lo, hi) of the run read inside the row.
                const int64_t lo = std::clamp<int64_t>(-ix0, 0, run);
                const int64_t hi = std::clamp<int64_t>(p.w - ix0, lo, run);
                fill_zero(o + t, lo);
                if (hi > lo) std::memcpy(o + t + lo, xrow + ix0 + lo, static_cast<size_t>(hi - lo) * sizeof(float));
                fill_zero(o + t + hi, run - hi);
              } else {
                for (int64_t q = 0; q < run; ++q) {
                  const int64_t ix = ix0 + q * p.stride_w;
                  o[t + q] = (ix >= 0 && ix < p.w) ? xrow[ix] : 0.f;
                }
              }
            }
            t += run;
            ox = 0;
            ++oy;
          }
          fill_zero(o + cols, nr - cols);
        }
      }
    }
  }
}

}  // namespace fastserve
