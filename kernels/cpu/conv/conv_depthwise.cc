// conv_f32_depthwise__{avx512,avx2,portable}: depthwise 1-D / 2-D Conv and
// fastserve.FusedConv (group == C == M, one filter per channel), FP32, NCHW,
// any stride, dilation and padding, with bias, residual Z and the activation
// fused.
//
//   * 3x3, dilation 1, stride 1 or 2 (MobileNet's layers): the per-ISA plane
//     microkernels (conv_depthwise_ukernels.h): the plane is copied into a
//     zero-padded buffer (that copy is where the borders are handled), then
//     every output vector runs without bounds checks; bias + Z + Relu/Clip
//     applied in registers.
//   * anything else: direct loops here. For each output row and kernel tap
//     the valid output columns are computed once, so the inner loop has no
//     bounds checks and, at unit stride, is a contiguous axpy the compiler
//     vectorizes.
// Other activations run over each output plane right after it is computed
// (still in L1/L2). Threaded over the N*C planes.
#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/cpu/conv/conv_algo.h"
#include "kernels/cpu/conv/conv_depthwise_ukernels.h"
#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// A plane task should hold at least this many multiply-adds before the
// planes are split across threads.
constexpr int64_t kMinTaskMacs = 16384;
// thread_scratch slot of each thread's zero-padded plane copy.
constexpr int kSlotPlane = 2;

struct DepthwiseState {
  WindowAttrs attrs;
  const DepthwiseUkernels* uk = nullptr;
  ConvActivation act;
};

const DepthwiseUkernels& depthwise_ukernels_for(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kDepthwiseUkernelsAvx512;
  if (isa >= Isa::kAvx2) return kDepthwiseUkernelsAvx2;
#else
  (void)isa;
#endif
  return kDepthwiseUkernelsPortable;
}

template <Isa kIsa>
Status prepare_depthwise(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<DepthwiseState>();
  const Shape& ws = node.input(1).shape;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, ws.rank() - 2,
                                                    std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, kIsa));
  st->uk = &depthwise_ukernels_for(kIsa);
  ctx.state = std::move(st);
  return ok_status();
}

// General case, one output plane: y = bias + z + sum_{ki,kj} w[ki,kj] * x
// shifted. Each row starts as bias + z, so z may be y itself.
void depthwise_plane_general(const Conv2dPlan& p, const float* x, const float* w, float bias, const float* z,
                             float* y) {
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    float* yrow = y + oy * p.ow;
    if (z != nullptr) {
      const float* zrow = z + oy * p.ow;
      for (int64_t ox = 0; ox < p.ow; ++ox) yrow[ox] = bias + zrow[ox];
    } else {
      std::fill(yrow, yrow + p.ow, bias);
    }
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
  FS_ASSIGN_OR_RETURN(const Conv2dPlan p, conv2d_plan_for_run(ctx, st.attrs, x.dim(1)));
  FS_ASSIGN_OR_RETURN(const float* zd, conv_residual(ctx));
  if (y.numel() == 0) return ok_status();
  if (p.out_channels != p.channels) {
    return ctx.node.error(StatusCode::kInvalidArgument, "depthwise conv needs W with one filter per channel of X, got " +
                                                            w.shape().to_string() + " for X " + x.shape().to_string());
  }
  const bool fast_3x3 = p.kh == 3 && p.kw == 3 && p.dilation_h == 1 && p.dilation_w == 1 &&
                        p.stride_h == p.stride_w && (p.stride_h == 1 || p.stride_h == 2);
  const DepthwisePlaneFn plane_fn = !fast_3x3 ? nullptr : p.stride_h == 1 ? st.uk->plane_3x3_s1 : st.uk->plane_3x3_s2;
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* yd = y.data<float>();
  const ConvActivation& act = st.act;
  const int64_t plane_out = p.oh * p.ow;
  const int64_t planes = p.batch * p.channels;
  const int64_t work = std::max<int64_t>(1, plane_out * p.kh * p.kw);
  const int64_t scratch_floats = depthwise_scratch_floats(p.oh, p.ow, st.uk->width);
  ctx.pool->parallel_for(planes, std::max<int64_t>(1, kMinTaskMacs / work), [&](int64_t begin, int64_t end) {
    float* scratch = plane_fn != nullptr ? thread_scratch(static_cast<size_t>(scratch_floats), kSlotPlane) : nullptr;
    for (int64_t pl = begin; pl < end; ++pl) {
      const int64_t c = pl % p.channels;
      const float* xp = xd + pl * p.h * p.w;
      const float* wp = wd + c * p.kh * p.kw;
      const float b = bd != nullptr ? bd[c] : 0.f;
      const float* zp = zd != nullptr ? zd + pl * plane_out : nullptr;
      float* yp = yd + pl * plane_out;
      if (plane_fn != nullptr) {
        DepthwisePlaneArgs a;
        a.x = xp;
        a.w = wp;
        a.bias = b;
        a.z = zp;
        a.y = yp;
        a.h = p.h;
        a.width = p.w;
        a.oh = p.oh;
        a.ow = p.ow;
        a.pad_top = p.pad_top;
        a.pad_left = p.pad_left;
        a.clamp = act.gemm != GemmActivation::kNone;  // Relu / Clip, in registers
        a.lo = act.gemm == GemmActivation::kRelu ? 0.f : act.clamp_min;
        a.hi = act.gemm == GemmActivation::kRelu ? std::numeric_limits<float>::infinity() : act.clamp_max;
        a.scratch = scratch;
        a.zero_buffer = pl == begin;
        plane_fn(a);
        if (!act.gemm_fused) act.apply(yp, plane_out);
      } else {
        depthwise_plane_general(p, xp, wp, b, zp, yp);
        act.apply(yp, plane_out);
      }
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_conv_depthwise_kernels(KernelRegistry& r) {
  constexpr AcceptsFn accepts = &accepts_conv_algo<ConvAlgo::kDepthwise>;
  add_conv_descriptors(r, "conv_f32_depthwise__avx512", "fused_conv_f32_depthwise__avx512", Isa::kAvx512, 62, accepts,
                       &prepare_depthwise<Isa::kAvx512>, &run_depthwise);
  add_conv_descriptors(r, "conv_f32_depthwise__avx2", "fused_conv_f32_depthwise__avx2", Isa::kAvx2, 52, accepts,
                       &prepare_depthwise<Isa::kAvx2>, &run_depthwise);
  add_conv_descriptors(r, "conv_f32_depthwise__portable", "fused_conv_f32_depthwise__portable", Isa::kScalar, 42,
                       accepts, &prepare_depthwise<Isa::kScalar>, &run_depthwise);
}

}  // namespace fastserve
