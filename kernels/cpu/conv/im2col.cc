// im2col into packed-B panels (see im2col.h). Portable C++. Rows are at most
// one panel wide (8 to 32 floats), so they are copied with fixed-size chunks
// the compiler inlines: a memcpy / memset call per row cost more than the
// copy itself (a third of a 1x1 conv's time).
#include "kernels/cpu/conv/im2col.h"

#include <algorithm>
#include <cstring>
#include <vector>

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
  // A panel's column -> input mapping is the same for every channel: for
  // each tap (ki, kj) and column q, the offset into a channel plane, or -1
  // in the padding. It is computed once per panel and tap, then each of the
  // cg channels is a gather through it (a plain copy when the tap's columns
  // are contiguous in the input, no bounds test when none is padding).
  // Walking output rows per channel and tap instead cost more than the copy
  // itself: panels are 8-32 columns, so runs are short.
  const int64_t taps = p.kh * p.kw;
  const int64_t k_total = p.cg() * taps;
  const int64_t n_total = p.oh * p.ow;
  const int64_t plane = p.h * p.w;
  enum Kind : uint8_t { kMixed, kGather, kContiguous };
  thread_local std::vector<int64_t> offsets;
  thread_local std::vector<Kind> kinds;
  thread_local std::vector<int64_t> col_y, col_x;
  offsets.resize(static_cast<size_t>(taps * nr));
  kinds.resize(static_cast<size_t>(taps));
  col_y.resize(static_cast<size_t>(nr));
  col_x.resize(static_cast<size_t>(nr));
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + (panel - panel_begin) * nr * k_total;
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min(nr, n_total - j0);
    for (int64_t q = 0, oy = j0 / p.ow, ox = j0 % p.ow; q < cols; ++q) {
      col_y[static_cast<size_t>(q)] = oy * p.stride_h - p.pad_top;
      col_x[static_cast<size_t>(q)] = ox * p.stride_w - p.pad_left;
      if (++ox == p.ow) {
        ox = 0;
        ++oy;
      }
    }
    for (int64_t ki = 0; ki < p.kh; ++ki) {
      for (int64_t kj = 0; kj < p.kw; ++kj) {
        const int64_t tap = ki * p.kw + kj;
        int64_t* o = offsets.data() + tap * nr;
        bool all_valid = true, contiguous = true;
        for (int64_t q = 0; q < cols; ++q) {
          const int64_t iy = col_y[static_cast<size_t>(q)] + ki * p.dilation_h;
          const int64_t ix = col_x[static_cast<size_t>(q)] + kj * p.dilation_w;
          const bool valid = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
          o[q] = valid ? iy * p.w + ix : -1;
          all_valid = all_valid && valid;
          contiguous = contiguous && (q == 0 || o[q] == o[q - 1] + 1);
        }
        kinds[static_cast<size_t>(tap)] = !all_valid ? kMixed : contiguous ? kContiguous : kGather;
      }
    }
    for (int64_t c = 0; c < p.cg(); ++c) {
      const float* xc = x_group + c * plane;
      for (int64_t tap = 0; tap < taps; ++tap) {
        float* row = out + (c * taps + tap) * nr;
        const int64_t* o = offsets.data() + tap * nr;
        switch (kinds[static_cast<size_t>(tap)]) {
          case kContiguous:
            copy_run(row, xc + o[0], cols);
            break;
          case kGather:
            for (int64_t q = 0; q < cols; ++q) row[q] = xc[o[q]];
            break;
          case kMixed:
            for (int64_t q = 0; q < cols; ++q) row[q] = o[q] >= 0 ? xc[o[q]] : 0.f;
            break;
        }
        zero_run(row + cols, nr - cols);
      }
    }
  }
}

}  // namespace fastserve
