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

namespace {

// The padded extent along one axis: the input after `pad` leading zeros, or
// as far as the last output's last tap reaches, whichever is longer.
int64_t padded_extent(int64_t in, int64_t pad, int64_t out, int64_t k, int64_t stride, int64_t dilation) {
  return std::max(pad + in, (out - 1) * stride + (k - 1) * dilation + 1);
}

bool needs_padding(const Conv2dPlan& p) {
  return p.pad_top != 0 || p.pad_left != 0 ||
         padded_extent(p.h, 0, p.oh, p.kh, p.stride_h, p.dilation_h) > p.h ||
         padded_extent(p.w, 0, p.ow, p.kw, p.stride_w, p.dilation_w) > p.w;
}

// Floats of one row of the padded copy: wp, or stride_w phases of
// ceil(wp / stride_w) when split by phase.
int64_t padded_row_floats(const Conv2dPlan& p, int64_t wp) {
  if (p.stride_w <= 1) return wp;
  return p.stride_w * ((wp + p.stride_w - 1) / p.stride_w);
}

}  // namespace

int64_t im2col_padded_floats(const Conv2dPlan& p) {
  if (!needs_padding(p)) return 0;
  const int64_t wp = padded_extent(p.w, p.pad_left, p.ow, p.kw, p.stride_w, p.dilation_w);
  return p.cg() * padded_extent(p.h, p.pad_top, p.oh, p.kh, p.stride_h, p.dilation_h) * padded_row_floats(p, wp);
}

Im2colInput im2col_input(const Conv2dPlan& p, const float* x_group, float* buffer, ThreadPool* pool) {
  if (!needs_padding(p)) return Im2colInput{x_group, p.h * p.w, p.w};
  const int64_t hp = padded_extent(p.h, p.pad_top, p.oh, p.kh, p.stride_h, p.dilation_h);
  const int64_t wp = padded_extent(p.w, p.pad_left, p.ow, p.kw, p.stride_w, p.dilation_w);
  const int64_t row_floats = padded_row_floats(p, wp);
  const int64_t sw = p.stride_w;
  const int64_t phase_width = sw > 1 ? row_floats / sw : 0;
  // Each element written once: zero rows above and below, and zero margins
  // around each copied row (or, split by phase, each phase of the row).
  auto pad_channels = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* dst = buffer + c * hp * row_floats;
      const float* src = x_group + c * p.h * p.w;
      std::fill(dst, dst + p.pad_top * row_floats, 0.f);
      for (int64_t y = 0; y < p.h; ++y) {
        float* row = dst + (p.pad_top + y) * row_floats;
        const float* in = src + y * p.w;
        if (phase_width == 0) {
          std::fill(row, row + p.pad_left, 0.f);
          std::memcpy(row + p.pad_left, in, static_cast<size_t>(p.w) * sizeof(float));
          std::fill(row + p.pad_left + p.w, row + wp, 0.f);
          continue;
        }
        for (int64_t f = 0; f < sw; ++f) {
          // Phase f holds input columns x = j * sw + off: zeros where x
          // falls outside [0, w), a strided copy in between (no test per
          // element: the per-element bounds test made this copy 17% of a
          // ResNet-50 3x3 stride-2 conv; stride 2 gets its own loop, which
          // the compiler vectorizes).
          float* out = row + f * phase_width;
          const int64_t off = f - p.pad_left;
          const int64_t j_lo = std::min(phase_width, off >= 0 ? 0 : (sw - 1 - off) / sw);
          const int64_t j_hi = std::clamp<int64_t>(p.w - off > 0 ? (p.w - off + sw - 1) / sw : 0, j_lo, phase_width);
          std::fill(out, out + j_lo, 0.f);
          if (sw == 2) {
            for (int64_t j = j_lo; j < j_hi; ++j) out[j] = in[2 * j + off];
          } else {
            for (int64_t j = j_lo; j < j_hi; ++j) out[j] = in[j * sw + off];
          }
          std::fill(out + j_hi, out + phase_width, 0.f);
        }
      }
      std::fill(dst + (p.pad_top + p.h) * row_floats, dst + hp * row_floats, 0.f);
    }
  };
  if (pool != nullptr) {
    pool->parallel_for(p.cg(), std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hp * row_floats)), pad_channels);
  } else {
    pad_channels(0, p.cg());
  }
  Im2colInput in{buffer, hp * row_floats, row_floats};
  in.phase_width = phase_width;
  return in;
}

void im2col_pack_panels(const Conv2dPlan& p, const Im2colInput& in, int64_t nr, int64_t panel_begin,
                        int64_t panel_end, float* dst) {
  if (p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
      p.oh == p.h && p.ow == p.w && in.images == 1) {
    pack_pointwise_panels(p, in.data, nr, panel_begin, panel_end, dst);
    return;
  }
  // Every tap lies inside `in` (padded when the conv pads), so a panel's
  // rows are copies through one list of source runs, the same for every
  // channel and tap: output columns whose windows start at adjacent floats
  // (one output row, or a whole panel at stride 1 without padding) form one
  // run. When no two are adjacent (a strided conv read in place), a gather
  // through the column offsets is cheaper than runs of one.
  const int64_t taps = p.kh * p.kw;
  const int64_t k_total = p.cg() * taps;
  const int64_t pixels = p.oh * p.ow;
  const int64_t n_total = pixels * in.images;
  const int64_t col_step = in.phase_width > 0 ? 1 : p.stride_w;
  struct Run {
    int64_t col, len, src;
  };
  thread_local std::vector<int64_t> base;
  thread_local std::vector<Run> runs;
  thread_local std::vector<int64_t> tap_offset;
  base.resize(static_cast<size_t>(nr));
  tap_offset.resize(static_cast<size_t>(taps));
  for (int64_t ki = 0; ki < p.kh; ++ki) {
    for (int64_t kj = 0; kj < p.kw; ++kj) {
      const int64_t x = kj * p.dilation_w;
      const int64_t col = in.phase_width > 0 ? (x % p.stride_w) * in.phase_width + x / p.stride_w : x;
      tap_offset[static_cast<size_t>(ki * p.kw + kj)] = ki * p.dilation_h * in.row + col;
    }
  }
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + (panel - panel_begin) * nr * k_total;
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min(nr, n_total - j0);
    runs.clear();
    int64_t img = j0 / pixels;
    for (int64_t q = 0, oy = (j0 % pixels) / p.ow, ox = j0 % p.ow; q < cols; ++q) {
      const int64_t b = img * in.image + oy * p.stride_h * in.row + ox * col_step;
      base[static_cast<size_t>(q)] = b;
      if (!runs.empty() && runs.back().src + runs.back().len == b) {
        ++runs.back().len;
      } else {
        runs.push_back(Run{q, 1, b});
      }
      if (++ox == p.ow) {
        ox = 0;
        if (++oy == p.oh) {
          oy = 0;
          ++img;
        }
      }
    }
    const bool gather = static_cast<int64_t>(runs.size()) * 2 > cols;
    const int64_t* b = base.data();
    float* row = out;
    for (int64_t c = 0; c < p.cg(); ++c) {
      for (int64_t t = 0; t < taps; ++t, row += nr) {
        const float* src = in.data + c * in.plane + tap_offset[static_cast<size_t>(t)];
        if (gather) {
          for (int64_t q = 0; q < cols; ++q) row[q] = src[b[q]];
        } else {
          for (const Run& r : runs) copy_run(row + r.col, src + r.src, r.len);
        }
        zero_run(row + cols, nr - cols);
      }
    }
  }
}

void im2row(const Conv2dPlan& p, const Im2colInput& in, int64_t row_begin, int64_t row_end, float* dst) {
  const int64_t pixels = p.oh * p.ow;
  const int64_t k_total = p.cg() * p.kh * p.kw;
  // Tap offsets, as im2col_pack_panels: padded copy or phase-split copy.
  thread_local std::vector<int64_t> tap;
  tap.resize(static_cast<size_t>(p.kh * p.kw));
  for (int64_t ki = 0; ki < p.kh; ++ki) {
    for (int64_t kj = 0; kj < p.kw; ++kj) {
      const int64_t x = kj * p.dilation_w;
      const int64_t col = in.phase_width > 0 ? (x % p.stride_w) * in.phase_width + x / p.stride_w : x;
      tap[static_cast<size_t>(ki * p.kw + kj)] = ki * p.dilation_h * in.row + col;
    }
  }
  const int64_t col_step = in.phase_width > 0 ? 1 : p.stride_w;
  const int64_t taps = p.kh * p.kw;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int64_t img = r / pixels, pix = r % pixels;
    const float* base = in.data + img * in.image + (pix / p.ow) * p.stride_h * in.row + (pix % p.ow) * col_step;
    float* out = dst + (r - row_begin) * k_total;
    for (int64_t c = 0; c < p.cg(); ++c) {
      const float* src = base + c * in.plane;
      for (int64_t t = 0; t < taps; ++t) *out++ = src[tap[static_cast<size_t>(t)]];
    }
  }
}

}  // namespace fastserve
