// conv_f32_depthwise__portable: depthwise 1-D / 2-D Conv (group == C == M,
// one filter per channel), FP32, NCHW, any stride, dilation and padding.
//
// Direct loops, no im2col: for each output row and kernel tap the valid
// output columns are computed once, so the inner loop has no bounds checks
// and, at unit stride, is a contiguous axpy the compiler vectorizes.
// Threaded over the N*C planes.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cpu/conv/conv_plan.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct DepthwiseState {
  WindowAttrs attrs;
};

bool accepts_depthwise(const NodeView& node) {
  if (!node.has_input(1) || !node.input(1).shape_known || node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  const Shape& w = node.input(1).shape;
  if ((w.rank() != 3 && w.rank() != 4) || !w.is_static()) return false;
  const int64_t group = node.attr_int("group", 1);
  return w[1] == 1 && w[0] == group && group > 1;
}

Status prepare_depthwise(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<DepthwiseState>();
  const Shape& ws = node.input(1).shape;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, ws.rank() - 2,
                                                    std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  ctx.state = std::move(st);
  return ok_status();
}

// One output plane: y = bias + sum_{ki,kj} w[ki,kj] * x shifted.
void depthwise_plane(const Conv2dPlan& p, const float* x, const float* w, float bias, float* y) {
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    float* yrow = y + oy * p.ow;
    std::fill(yrow, yrow + p.ow, bias);
    for (int64_t ki = 0; ki < p.kh; ++ki) {
      const int64_t iy = oy * p.stride_h - p.pad_top + ki * p.dilation_h;
      if (iy < 0 || iy >= p.h) continue;
      const float* xrow = x + iy * p.w;
      for (int64_t kj = 0; kj < p.kw; ++kj) {
        const float wv = w[ki * p.kw + kj];
        const int64_t off = kj * p.dilation_w - p.pad_left;  // ix = ox*stride + off
        // Output columns whose input column lies in [0, w).
        const int64_t lo = off >= 0 ? 0 : (-off + p.stride_w - 1) / p.stride_w;
        const int64_t hi = p.w - 1 - off < 0 ? 0 : std::min(p.ow, (p.w - 1 - off) / p.stride_w + 1);
        if (p.stride_w == 1) {
          const float* xs = xrow + off;
          for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] += wv * xs[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] += wv * xrow[ox * p.stride_w + off];
        }
      }
    }
  }
}

Status run_depthwise(const KernelContext& ctx) {
  const DepthwiseState& st = ctx.state_as<DepthwiseState>();
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, st.attrs, spatial_dims_of(x)));
  Conv2dPlan p;
  p.batch = x.dim(0);
  p.channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.group = p.channels;
  conv2d_plan_spatial(g, p);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* yd = y.data<float>();
  const int64_t planes = p.batch * p.channels;
  const int64_t work = std::max<int64_t>(1, p.oh * p.ow * p.kh * p.kw);
  ctx.pool->parallel_for(planes, std::max<int64_t>(1, 16384 / work), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const int64_t c = pl % p.channels;
      depthwise_plane(p, xd + pl * p.h * p.w, wd + c * p.kh * p.kw, bd != nullptr ? bd[c] : 0.f,
                      yd + pl * p.oh * p.ow);
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_conv_depthwise_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "conv_f32_depthwise__portable", .op_type = "Conv", .dtype = DType::kF32,
                   .priority = 40, .accepts = &accepts_depthwise, .prepare = &prepare_depthwise,
                   .run = &run_depthwise});
}

}  // namespace fastserve
