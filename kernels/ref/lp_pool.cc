// lp_pool_f32__ref, global_lp_pool_f32__ref: reference LpPool and
// GlobalLpPool, FP32, x [N, C, spatial...]: y = (sum over the window of
// |x|^p)^(1/p), p an integer >= 1 (default 2). Padding contributes zeros;
// the window geometry (pads, strides, dilations, ceil_mode, auto_pad) is
// graph/window_geometry.h's, as for the other pools.
#include <cmath>
#include <string>

#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

double lp_term(float v, int64_t p) { return p == 1 ? std::fabs(v) : std::pow(std::fabs(static_cast<double>(v)), p); }

float lp_root(double sum, int64_t p) {
  return static_cast<float>(p == 1 ? sum : std::pow(sum, 1.0 / static_cast<double>(p)));
}

Result<int64_t> p_of(const NodeView& node) {
  const int64_t p = node.attr_int("p", 2);
  if (p < 1) return node.error(StatusCode::kInvalidArgument, "attribute p = " + std::to_string(p) + " must be >= 1");
  return p;
}

Status run_lp_pool(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(const int64_t p, p_of(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const size_t nd = x.rank() - 2;
  FS_ASSIGN_OR_RETURN(const WindowAttrs attrs, parse_window_attrs(ctx.node, nd));
  FS_ASSIGN_OR_RETURN(const WindowGeometry g,
                      window_geometry(ctx.node, attrs,
                                      std::vector<int64_t>(x.shape().dims().begin() + 2, x.shape().dims().end())));
  std::vector<int64_t> in_stride(nd, 1);
  for (size_t i = nd; i-- > 1;) in_stride[i - 1] = in_stride[i] * g.in[i];
  int64_t in_plane = 1, out_plane = 1;
  for (size_t i = 0; i < nd; ++i) {
    in_plane *= g.in[i];
    out_plane *= g.out[i];
  }
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* xd = x.data<float>();
  float* yd = ctx.outputs[0]->data<float>();
  if (out_plane == 0) return ok_status();
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xc = xd + pl * in_plane;
    std::vector<int64_t> o(nd, 0);
    int64_t yi = pl * out_plane;
    do {
      double sum = 0;
      std::vector<int64_t> k(nd, 0);
      do {
        int64_t off = 0;
        bool inside = true;
        for (size_t i = 0; i < nd; ++i) {
          const int64_t pos = o[i] * g.stride[i] - g.pad_begin[i] + k[i] * g.dilation[i];
          inside = inside && pos >= 0 && pos < g.in[i];
          off += pos * in_stride[i];
        }
        if (inside) sum += lp_term(xc[off], p);
      } while (ref_next_index(k, g.kernel));
      yd[yi++] = lp_root(sum, p);
    } while (ref_next_index(o, g.out));
  }
  return ok_status();
}

Status run_global_lp_pool(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(const int64_t p, p_of(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  const float* xd = x.data<float>();
  float* yd = ctx.outputs[0]->data<float>();
  for (int64_t pl = 0; pl < planes; ++pl) {
    double sum = 0;
    for (int64_t i = 0; i < size; ++i) sum += lp_term(xd[pl * size + i], p);
    yd[pl] = lp_root(sum, p);
  }
  return ok_status();
}

}  // namespace

void register_ref_lp_pool_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "lp_pool_f32__ref", .op_type = "LpPool", .since_version = 11, .dtype = DType::kF32,
                   .run = &run_lp_pool});
  r.add(KernelDesc{.name = "global_lp_pool_f32__ref", .op_type = "GlobalLpPool", .since_version = 2,
                   .dtype = DType::kF32, .run = &run_global_lp_pool});
}

}  // namespace fastserve
