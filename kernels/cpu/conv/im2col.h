// im2col straight into the GEMM engine's packed-B layout, so the
// convolution GEMM reads its B operand without a second packing pass.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/conv/conv_plan.h"

namespace fastserve {

// The input of one image and group as im2col reads it: channel planes
// `plane` floats apart, rows `row` floats apart, and the element under tap
// (ki, kj) of output (y, x) of channel c at
//   data[c*plane + (y*sh + ki*dh)*row + x*sw + kj*dw],
// always inside: either a zero-padded copy (im2col_input writes it when the
// conv pads, or its windows reach past the input) or the input itself.
//
// When the conv strides along W and pads, the copy is split by column phase
// (phase_width > 0): padded column x of a row lives at
// (x % stride_w) * phase_width + x / stride_w, so the taps of adjacent
// output pixels are adjacent floats and panels are filled by copies, not
// gathers (a stride-2 conv's im2col, e.g. ResNet's 7x7 stem, was a scalar
// gather per element).
//
// `images` > 1 makes B the columns of that many images side by side (a
// batch folded into the GEMM's N, so small images still fill whole panels):
// image i's source starts at data + i*image.
struct Im2colInput {
  const float* data = nullptr;
  int64_t plane = 0, row = 0;
  int64_t phase_width = 0;
  int64_t image = 0, images = 1;
};

// Floats of the padded copy of one image-group's cg planes (0: none needed).
int64_t im2col_padded_floats(const Conv2dPlan& p);
// The im2col source for x_group (the group's first input channel): x_group
// itself, or its zero-padded copy written into `buffer`
// (im2col_padded_floats(p) floats), channels split over `pool` (may be null).
Im2colInput im2col_input(const Conv2dPlan& p, const float* x_group, float* buffer, ThreadPool* pool);

// The logical B matrix is K x N with K = cg*kh*kw (rows ordered c, ki, kj,
// matching the weight layout) and N = oh*ow (times in.images, column
// i*oh*ow + q being output pixel q of image i);
// B[(c,ki,kj)][(y,x)] = x[c][y*sh - pt + ki*dh][x*sw - pl + kj*dw], 0
// outside the input. Writes panels [panel_begin, panel_end) of nr columns
// each, panel p at dst + (p - panel_begin)*nr*K (so a caller can fill a
// block buffer or its slice of a whole-matrix buffer), k-major, columns past
// N zero (gemm_ukernel.h's layout). A 1x1, stride-1, unpadded conv's B is the
// input plane itself, so its panels are plain row copies.
void im2col_pack_panels(const Conv2dPlan& p, const Im2colInput& in, int64_t nr, int64_t panel_begin,
                        int64_t panel_end, float* dst);

// "im2row": the transpose of B, one row of K = cg*kh*kw floats per output
// pixel (rows [row_begin, row_end) of the in.images * oh*ow pixels, image
// by image), the A operand of the pixels-major formulation (conv.cc) that
// small outputs use. dst holds (row_end - row_begin) * K floats.
void im2row(const Conv2dPlan& p, const Im2colInput& in, int64_t row_begin, int64_t row_end, float* dst);

}  // namespace fastserve
