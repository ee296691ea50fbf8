// im2col straight into the GEMM engine's packed-B layout, so the
// convolution GEMM reads its B operand without a second packing pass.
#pragma once

#include <cstdint>

#include "kernels/cpu/conv/conv_plan.h"

namespace fastserve {

// For one image and one group: x_group points at the group's first input
// channel (cg planes of h x w). The logical B matrix is K x N with
// K = cg*kh*kw (rows ordered c, ki, kj, matching the weight layout) and
// N = oh*ow; B[(c,ki,kj)][(y,x)] = x[c][y*sh - pt + ki*dh][x*sw - pl + kj*dw],
// 0 outside the input. Writes panels [panel_begin, panel_end) of nr columns
// each, panel p at dst + (p - panel_begin)*nr*K (so a caller can fill a
// block buffer or its slice of a whole-matrix buffer), k-major, columns past
// N zero (gemm_ukernel.h's layout). A 1x1, stride-1, unpadded conv's B is the
// input plane itself, so its panels are plain row copies.
void im2col_pack_panels(const Conv2dPlan& p, const float* x_group, int64_t nr, int64_t panel_begin,
                        int64_t panel_end, float* dst);

}  // namespace fastserve
