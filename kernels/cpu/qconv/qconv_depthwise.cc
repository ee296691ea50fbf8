// qconv_u8s8_depthwise: INT8 depthwise convolution (group == C == M), NHWC,
// direct: per output pixel, int32 accumulators for all C channels, one tap
// at a time (x - x_zp) * (w - w_zp) over contiguous channels (the compiler
// vectorizes the channel loop), then the plan's requantization row.
// Padding taps are skipped: they hold x_zp, whose term is 0.
#include <vector>

#include "kernels/cpu/qconv/qconv.h"

namespace fastserve {

void qconv_depthwise_rows(const QConvPlan& p, const WindowGeometry& g, const uint8_t* x, int64_t r0, int64_t r1,
                          uint8_t* y) {
  const int64_t c = p.m, ih = g.in[0], iw = g.in[1], oh = g.out[0], ow = g.out[1];
  thread_local std::vector<int32_t> acc;
  acc.resize(static_cast<size_t>(c));
  const int32_t zp = p.x_zp;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / (oh * ow), rem = r % (oh * ow), oy = rem / ow, ox = rem % ow;
    std::fill(acc.begin(), acc.end(), 0);
    int32_t* a = acc.data();
    for (int64_t ky = 0; ky < p.kh; ++ky) {
      const int64_t iy = oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
      if (iy < 0 || iy >= ih) continue;
      for (int64_t kx = 0; kx < p.kw; ++kx) {
        const int64_t ix = ox * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1];
        if (ix < 0 || ix >= iw) continue;
        const uint8_t* src = x + ((n * ih + iy) * iw + ix) * c;
        const int16_t* wt = p.dw_w.data() + (ky * p.kw + kx) * c;
        for (int64_t ch = 0; ch < c; ++ch) a[ch] += (int32_t{src[ch]} - zp) * int32_t{wt[ch]};
      }
    }
    p.requant(a, c, p.bias.data(), p.scale.data(), p.y_zp, p.lo, p.hi, y + r * c);
  }
}

}  // namespace fastserve
