// conv_f32_im2col_gemm__{avx512,avx2,portable}: 1-D and 2-D Conv on the GEMM
// engine, FP32, NCHW (groups, strides, dilations, pads, auto_pad, bias).
//
// Per image and group: Y_g[Mg, OH*OW] = W_g[Mg, Cg*kh*kw] * B + bias, where
//   * 1x1, stride 1, no padding: B is the input itself ([Cg, H*W]);
//   * otherwise B is im2col of the input, written straight into packed-B
//     panels (im2col.h), split over the pool.
// The weights are A: packed once per group at prepare() when constant. The
// bias is the GEMM's per-row epilogue. 3-D convs go to the reference.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/conv/im2col.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ConvState {
  const GemmUkernel* uk = nullptr;
  WindowAttrs attrs;
  int64_t group = 1;
  std::vector<AlignedFloats> packed_w;  // per group, when W is constant
};

bool accepts_conv_2d(const NodeView& node) {
  if (!node.has_input(1) || !node.input(1).shape_known || node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  const Shape& w = node.input(1).shape;
  if (w.rank() != 3 && w.rank() != 4) return false;
  return w.is_static();
}

Status prepare_conv(const NodeView& node, PrepareContext& ctx, const GemmUkernel& uk) {
  auto st = std::make_shared<ConvState>();
  st->uk = &uk;
  const Shape& ws = node.input(1).shape;
  const size_t nd = ws.rank() - 2;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, nd, std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  st->group = node.attr_int("group", 1);
  if (st->group < 1 || ws[0] % st->group != 0) {
    return node.error(StatusCode::kInvalidArgument, "group " + std::to_string(st->group) + " does not divide W " +
                                                        ws.to_string());
  }
  if (const Tensor* w = node.input_value(1); w != nullptr) {
    const int64_t mg = ws[0] / st->group;
    const int64_t k = w->numel() / ws[0];
    for (int64_t g = 0; g < st->group; ++g) {
      st->packed_w.push_back(pack_a(uk, mg, k, GemmOperand{w->data<float>() + g * mg * k, k, false}));
    }
  }
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_conv_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_conv(node, ctx, gemm_ukernel_for_isa(kIsa));
}

Status run_conv(const KernelContext& ctx) {
  const ConvState& st = ctx.state_as<ConvState>();
  const GemmUkernel& uk = *st.uk;
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, st.attrs, spatial_dims_of(x)));
  Conv2dPlan p;
  p.batch = x.dim(0);
  p.channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.group = st.group;
  conv2d_plan_spatial(g, p);
  if (y.numel() == 0) return ok_status();

  const int64_t mg = p.mg(), cg = p.cg();
  const int64_t k = cg * p.kh * p.kw;
  const int64_t n = p.oh * p.ow;
  const bool pointwise = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                         p.pad_left == 0 && p.oh == p.h && p.ow == p.w;
  const int64_t n_panels = (n + uk.nr - 1) / uk.nr;
  // TODO(memory planner): book the im2col buffer at prepare().
  float* cols = pointwise ? nullptr : thread_scratch(static_cast<size_t>(n_panels * uk.nr * k), 2);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  float* yd = y.data<float>();
  for (int64_t img = 0; img < p.batch; ++img) {
    for (int64_t grp = 0; grp < p.group; ++grp) {
      const float* xg = xd + (img * p.channels + grp * cg) * p.h * p.w;
      GemmArgs args;
      args.m = mg;
      args.n = n;
      args.k = k;
      if (!st.packed_w.empty()) {
        args.a_packed = st.packed_w[static_cast<size_t>(grp)].data();
      } else {
        args.a = GemmOperand{wd + grp * mg * k, k, false};
      }
      if (pointwise) {
        args.b = GemmOperand{xg, n, false};
      } else {
        const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(k, 1));
        ctx.pool->parallel_for(n_panels, grain, [&](int64_t begin, int64_t end) {
          im2col_pack_panels(p, xg, uk.nr, begin, end, cols);
        });
        args.b_packed = cols;
      }
      args.c = yd + (img * p.out_channels + grp * mg) * n;
      args.ldc = n;
      if (bias != nullptr) {
        args.epilogue.bias_kind = GemmBias::kPerRow;
        args.epilogue.bias = bias->data<float>() + grp * mg;
      }
      gemm_f32(uk, args, ctx.pool);
    }
  }
  return ok_status();
}

KernelDesc conv_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  return KernelDesc{.name = name, .op_type = "Conv", .dtype = DType::kF32, .required_isa = isa,
                    .priority = priority, .accepts = &accepts_conv_2d, .prepare = prepare, .run = &run_conv};
}

}  // namespace

void register_cpu_conv_kernels(KernelRegistry& r) {
  r.add(conv_desc("conv_f32_im2col_gemm__avx512", Isa::kAvx512, 30, &prepare_conv_for<Isa::kAvx512>));
  r.add(conv_desc("conv_f32_im2col_gemm__avx2", Isa::kAvx2, 20, &prepare_conv_for<Isa::kAvx2>));
  r.add(conv_desc("conv_f32_im2col_gemm__portable", Isa::kScalar, 10, &prepare_conv_for<Isa::kScalar>));
}

}  // namespace fastserve
