// conv_transpose_f32_gemm__{avx512,avx2,portable}: 1-D and 2-D ConvTranspose
// on the GEMM engine (GEMM + col2im), FP32, NCHW; groups, strides,
// dilations, pads, output_padding, output_shape, auto_pad.
//
// Per image and group: cols[Mg*kh*kw, H*W] = W_g^T * X_g, where W_g is the
// group's [Cg, Mg*kh*kw] slice of W (packed transposed once at prepare()
// when constant) and X_g the group's [Cg, H*W] input; then col2im scatters
// cols into Y (initialized with the bias), threaded over output channels.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ConvTransposeState {
  const GemmUkernel* uk = nullptr;
  WindowAttrs attrs;
  int64_t group = 1;
  std::vector<AlignedFloats> packed_w;  // per group, op(A) = W_g^T, when W is constant
};

bool accepts_conv_transpose_2d(const NodeView& node) {
  if (!node.has_input(1) || !node.input(1).shape_known || node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  const Shape& w = node.input(1).shape;
  return (w.rank() == 3 || w.rank() == 4) && w.is_static();
}

Status prepare_conv_transpose(const NodeView& node, PrepareContext& ctx, const GemmUkernel& uk) {
  auto st = std::make_shared<ConvTransposeState>();
  st->uk = &uk;
  const Shape& ws = node.input(1).shape;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, ws.rank() - 2,
                                                    std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  st->group = node.attr_int("group", 1);
  if (st->group < 1 || ws[0] % st->group != 0) {
    return node.error(StatusCode::kInvalidArgument, "group " + std::to_string(st->group) + " does not divide W " +
                                                        ws.to_string());
  }
  if (const Tensor* w = node.input_value(1); w != nullptr) {
    const int64_t cg = ws[0] / st->group;
    const int64_t rows = w->numel() / ws[0];  // Mg*kh*kw
    for (int64_t g = 0; g < st->group; ++g) {
      st->packed_w.push_back(pack_a(uk, rows, cg, GemmOperand{w->data<float>() + g * cg * rows, rows, true}));
    }
    ctx.packed_inputs |= 1u << 1;
  }
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_conv_transpose_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_conv_transpose(node, ctx, gemm_ukernel_for_isa(kIsa));
}

// Adds cols (this group's [mg*kh*kw, h*w]) into output channels [m_begin, m_end) of y_group.
void col2im_add(const Conv2dPlan& p, const float* cols, int64_t m_begin, int64_t m_end, float* y_group) {
  const int64_t hw = p.h * p.w;
  for (int64_t m = m_begin; m < m_end; ++m) {
    float* ym = y_group + m * p.oh * p.ow;
    for (int64_t ki = 0; ki < p.kh; ++ki) {
      for (int64_t kj = 0; kj < p.kw; ++kj) {
        const float* col = cols + ((m * p.kh + ki) * p.kw + kj) * hw;
        const int64_t off = kj * p.dilation_w - p.pad_left;  // ox = ix*stride + off
        // Input columns whose output column lies in [0, ow).
        const int64_t lo = off >= 0 ? 0 : (-off + p.stride_w - 1) / p.stride_w;
        const int64_t hi = p.ow - 1 - off < 0 ? 0 : std::min(p.w, (p.ow - 1 - off) / p.stride_w + 1);
        for (int64_t iy = 0; iy < p.h; ++iy) {
          const int64_t oy = iy * p.stride_h - p.pad_top + ki * p.dilation_h;
          if (oy < 0 || oy >= p.oh) continue;
          float* yrow = ym + oy * p.ow;
          const float* crow = col + iy * p.w;
          for (int64_t ix = lo; ix < hi; ++ix) yrow[ix * p.stride_w + off] += crow[ix];
        }
      }
    }
  }
}

Status run_conv_transpose(const KernelContext& ctx) {
  const ConvTransposeState& st = ctx.state_as<ConvTransposeState>();
  const GemmUkernel& uk = *st.uk;
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(WindowGeometry g, conv_transpose_geometry(ctx.node, st.attrs, spatial_dims_of(x)));
  Conv2dPlan p;
  p.batch = x.dim(0);
  p.channels = x.dim(1);
  p.group = st.group;
  p.out_channels = w.dim(1) * st.group;
  conv2d_plan_spatial(g, p);
  if (y.numel() == 0) return ok_status();
  const int64_t cg = p.cg(), mg = p.mg();
  const int64_t rows = mg * p.kh * p.kw;
  const int64_t hw = p.h * p.w;
  // TODO(memory planner): book the column buffer at prepare().
  float* cols = thread_scratch(static_cast<size_t>(rows * hw), 2);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* yd = y.data<float>();
  const int64_t out_plane = p.oh * p.ow;
  for (int64_t img = 0; img < p.batch; ++img) {
    for (int64_t grp = 0; grp < p.group; ++grp) {
      GemmArgs args;
      args.m = rows;
      args.n = hw;
      args.k = cg;
      if (!st.packed_w.empty()) {
        args.a_packed = st.packed_w[static_cast<size_t>(grp)].data();
      } else {
        args.a = GemmOperand{wd + grp * cg * rows, rows, true};
      }
      args.b = GemmOperand{xd + (img * p.channels + grp * cg) * hw, hw, false};
      args.c = cols;
      args.ldc = hw;
      gemm_f32(uk, args, ctx.pool);
      float* yg = yd + (img * p.out_channels + grp * mg) * out_plane;
      const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, p.kh * p.kw * hw));
      ctx.pool->parallel_for(mg, grain, [&](int64_t begin, int64_t end) {
        for (int64_t m = begin; m < end; ++m) {
          std::fill(yg + m * out_plane, yg + (m + 1) * out_plane, bd != nullptr ? bd[grp * mg + m] : 0.f);
        }
        col2im_add(p, cols, begin, end, yg);
      });
    }
  }
  return ok_status();
}

KernelDesc conv_transpose_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  return KernelDesc{.name = name, .op_type = "ConvTranspose", .dtype = DType::kF32, .required_isa = isa,
                    .priority = priority, .accepts = &accepts_conv_transpose_2d, .prepare = prepare,
                    .run = &run_conv_transpose};
}

}  // namespace

void register_cpu_conv_transpose_kernels(KernelRegistry& r) {
  r.add(conv_transpose_desc("conv_transpose_f32_gemm__avx512", Isa::kAvx512, 30,
                            &prepare_conv_transpose_for<Isa::kAvx512>));
  r.add(conv_transpose_desc("conv_transpose_f32_gemm__avx2", Isa::kAvx2, 20, &prepare_conv_transpose_for<Isa::kAvx2>));
  r.add(conv_transpose_desc("conv_transpose_f32_gemm__portable", Isa::kScalar, 10,
                            &prepare_conv_transpose_for<Isa::kScalar>));
}

}  // namespace fastserve
