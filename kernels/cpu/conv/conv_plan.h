// The 2-D view of a 1-D or 2-D convolution that the CPU conv kernels share:
// NCHW input [N, C, H, W], output [N, M, OH, OW], kernel kh x kw. A 1-D
// problem becomes H = OH = kh = 1 with unit stride/dilation and no padding
// on that axis, so one code path serves both.
#pragma once

#include <cstdint>
#include <vector>

#include "fastserve/tensor.h"
#include "graph/window_geometry.h"
#include "runtime/kernel.h"

namespace fastserve {

struct Conv2dPlan {
  int64_t batch = 0, channels = 0, out_channels = 0, group = 1;
  int64_t h = 1, w = 1, oh = 1, ow = 1;
  int64_t kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t cg() const { return channels / group; }
  int64_t mg() const { return out_channels / group; }
};

// Fills the spatial part of the plan from 1-D or 2-D geometry (g.nd() is 1 or 2).
inline void conv2d_plan_spatial(const WindowGeometry& g, Conv2dPlan& p) {
  const size_t d = g.nd() - 1;  // the W axis
  if (g.nd() == 2) {
    p.h = g.in[0];
    p.oh = g.out[0];
    p.kh = g.kernel[0];
    p.stride_h = g.stride[0];
    p.dilation_h = g.dilation[0];
    p.pad_top = g.pad_begin[0];
  }
  p.w = g.in[d];
  p.ow = g.out[d];
  p.kw = g.kernel[d];
  p.stride_w = g.stride[d];
  p.dilation_w = g.dilation[d];
  p.pad_left = g.pad_begin[d];
}

// Spatial dims of a tensor (dims after N, C).
inline std::vector<int64_t> spatial_dims_of(const Tensor& t) {
  return std::vector<int64_t>(t.shape().dims().begin() + 2, t.shape().dims().end());
}

// The plan of a conv run: X = inputs[0], W = inputs[1], with the node's
// window attributes and group.
inline Result<Conv2dPlan> conv2d_plan_for_run(const KernelContext& ctx, const WindowAttrs& attrs, int64_t group) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, attrs, spatial_dims_of(x)));
  Conv2dPlan p;
  p.batch = x.dim(0);
  p.channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.group = group;
  conv2d_plan_spatial(g, p);
  return p;
}

}  // namespace fastserve
