// im2col into packed-B panels (see im2col.h). Portable C++. Runs are at most
// one panel wide (8 to 32 floats), so they are copied with fixed-size chunks
// the compiler inlines: a memcpy / memset call per run cost more than the
// copy itself (a third of a 1x1 conv's time).
#include "kernels/cpu/conv/im2col.h"

#include <algorithm>
#include <cstring>

namespace fastserve {
namespace {

inline void copy_run(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8 * sizeof(float));
  for (; i + 4 <= n; i += 4) std::memcpy(dst + i, src + i, 4 * sizeof(float));
  for (; i < n; ++i) std::memcpy(dst + i, src + i, sizeof(float));
}

inline void zero_run(float* dst, int64_t n) {
  static constexpr float kZeros[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, kZeros, 8 * sizeof(float));
  for (; i < n; ++i) dst[i] = 0.f;
}

// 1x1, stride 1, no padding: B is the input plane itself ([cg, h*w]), so a
// panel row is one contiguous run.
void pack_pointwise_panels(const Conv2dPlan& p, const float* x_group, int64_t nr, int64_t panel_begin,
                           int64_t panel_end, float* dst) {
  const int64_t k_total = p.cg();
  const int64_t n_total = p.oh * p.ow;
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + (panel - panel_begin) * nr * k_total;
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min(nr, n_total - j0);
    for (int64_t c = 0; c < k_total; ++c) {
      copy_run(out + c * nr, x_group + c * n_total + j0, cols);
      zero_run(out + c * nr + cols, nr - cols);
    }
  }
}

}  // namespace

void im2col_pack_panels(const Conv2dPlan& p, const float* x_group, int64_t nr, int64_t panel_begin,
                        int64_t panel_end, float* dst) {
  if (p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
      p.oh == p.h && p.ow == p.w) {
    pack_pointwise_panels(p, x_group, nr, panel_begin, panel_end, dst);
    return;
  }
  const int64_t k_total = p.cg() * p.kh * p.kw;
  const int64_t n_total = p.oh * p.ow;
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + (panel - panel_begin) * nr * k_total;
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
              zero_run(o + t, run);
            } else {
              const float* xrow = xc + iy * p.w;
              const int64_t ix0 = ox * p.stride_w - p.pad_left + kj * p.dilation_w;
              if (p.stride_w == 1) {
                // Columns [lo, hi) of the run read inside the row.
                const int64_t lo = std::clamp<int64_t>(-ix0, 0, run);
                const int64_t hi = std::clamp<int64_t>(p.w - ix0, lo, run);
                zero_run(o + t, lo);
                copy_run(o + t + lo, xrow + ix0 + lo, hi - lo);
                zero_run(o + t + hi, run - hi);
              } else {
                // Columns [lo, hi) of the run read inside the row:
                // ix0 + q*s >= 0 and ix0 + q*s <= w - 1.
                // Most runs lie inside: tested without the divisions.
                const int64_t s = p.stride_w;
                int64_t lo = 0, hi = run;
                if (ix0 < 0 || ix0 + (run - 1) * s >= p.w) {
                  lo = ix0 >= 0 ? 0 : std::min(run, (-ix0 + s - 1) / s);
                  hi = p.w - 1 - ix0 < 0 ? lo : std::clamp((p.w - 1 - ix0) / s + 1, lo, run);
                }
                zero_run(o + t, lo);
                const float* src = xrow + ix0;
                float* dst = o + t;
                for (int64_t q = lo; q < hi; ++q) dst[q] = src[q * s];
                zero_run(o + t + hi, run - hi);
              }
            }
            t += run;
            ox = 0;
            ++oy;
          }
          zero_run(o + cols, nr - cols);
        }
      }
    }
  }
}

}  // namespace fastserve
