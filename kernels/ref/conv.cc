// conv_f32__ref: reference Conv (any number of spatial dims, groups,
// dilations, pads, auto_pad), FP32, NCHW. Plain loops; the oracle for the
// optimized kernels in kernels/cpu/conv/. conv_{f16,bf16}__ref run it on
// widened copies and round the output once (run_via_f32.h).
#include <vector>

#include "graph/fused_activation.h"
#include "kernels/ref/nn_ref.h"
#include "kernels/ref/run_via_f32.h"

namespace fastserve {

void conv_f32_ref(const Tensor& x, const Tensor& w, const Tensor* bias, const WindowGeometry& g, int64_t group,
                  Tensor& y) {
  const size_t nd = g.nd();
  const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
  const int64_t cg = channels / group, mg = out_channels / group;
  // Row-major strides of one spatial plane of x and of the kernel.
  std::vector<int64_t> x_stride(nd, 1), w_stride(nd, 1);
  int64_t x_plane = 1, w_plane = 1, y_plane = 1;
  for (size_t i = nd; i-- > 0;) {
    x_stride[i] = x_plane;
    x_plane *= g.in[i];
    w_stride[i] = w_plane;
    w_plane *= g.kernel[i];
    y_plane *= g.out[i];
  }
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* yd = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t grp = m / mg;
      std::vector<int64_t> o(nd, 0);
      int64_t yi = (n * out_channels + m) * y_plane;
      do {
        double acc = bd != nullptr ? bd[m] : 0.0;
        for (int64_t c = 0; c < cg; ++c) {
          const float* xc = xd + (n * channels + grp * cg + c) * x_plane;
          const float* wc = wd + (m * cg + c) * w_plane;
          std::vector<int64_t> k(nd, 0);
          do {
            int64_t xoff = 0, woff = 0;
            bool inside = true;
            for (size_t i = 0; i < nd; ++i) {
              const int64_t pos = o[i] * g.stride[i] - g.pad_begin[i] + k[i] * g.dilation[i];
              if (pos < 0 || pos >= g.in[i]) {
                inside = false;
                break;
              }
              xoff += pos * x_stride[i];
              woff += k[i] * w_stride[i];
            }
            if (inside) acc += static_cast<double>(xc[xoff]) * static_cast<double>(wc[woff]);
          } while (ref_next_index(k, g.kernel));
        }
        yd[yi++] = static_cast<float>(acc);
      } while (ref_next_index(o, g.out));
    }
  }
}

namespace {

std::vector<int64_t> spatial(const Tensor& t) {
  return std::vector<int64_t>(t.shape().dims().begin() + 2, t.shape().dims().end());
}

Status run_conv_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const size_t nd = w.rank() - 2;
  const std::vector<int64_t> w_kernel = spatial(w);
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(ctx.node, nd, w_kernel));
  const std::vector<int64_t> in = spatial(x);
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, attrs, in));
  conv_f32_ref(x, w, bias, g, ctx.node.attr_int("group", 1), *ctx.outputs[0]);
  return ok_status();
}

// X, W and B (when given) of one type.
bool conv_inputs_of_one_type(const NodeView& node) {
  for (size_t i = 1; i < node.num_inputs() && i < 3; ++i) {
    if (node.has_input(i) && node.input_dtype(i) != node.input_dtype(0)) return false;
  }
  return true;
}

// fastserve.FusedConv: the reference Conv, then + Z, then the activation.
Status run_fused_conv_ref(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(FusedActivation act, parse_fused_activation(ctx.node));
  FS_RETURN_IF_ERROR(run_conv_ref(ctx));
  Tensor& y = *ctx.outputs[0];
  float* yd = y.data<float>();
  const int64_t n = y.numel();
  if (ctx.inputs.size() > 3 && ctx.inputs[3] != nullptr) {
    const Tensor& z = *ctx.inputs[3];
    if (z.shape() != y.shape()) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            "Z has shape " + z.shape().to_string() + ", Y " + y.shape().to_string());
    }
    const float* zd = z.data<float>();
    for (int64_t i = 0; i < n; ++i) yd[i] += zd[i];
  }
  apply_fused_activation(act, yd, n);
  return ok_status();
}

}  // namespace

void register_ref_conv_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "conv_f32__ref", .op_type = "Conv", .dtype = DType::kF32, .run = &run_conv_ref});
  // 16-bit floats: the f32 reference on widened copies, rounded back once.
  r.add(KernelDesc{.name = "conv_f16__ref",
                   .op_type = "Conv",
                   .dtype = DType::kF16,
                   .accepts = &conv_inputs_of_one_type,
                   .run = &run_via_f32_fn<&run_conv_ref>});
  r.add(KernelDesc{.name = "conv_bf16__ref",
                   .op_type = "Conv",
                   .dtype = DType::kBF16,
                   .accepts = &conv_inputs_of_one_type,
                   .run = &run_via_f32_fn<&run_conv_ref>});
  r.add(KernelDesc{.name = "fused_conv_f32__ref",
                   .op_type = "FusedConv",
                   .domain = "fastserve",
                   .dtype = DType::kF32,
                   .run = &run_fused_conv_ref});
}

}  // namespace fastserve
