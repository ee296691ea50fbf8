// conv_transpose_f32__ref: reference ConvTranspose (any number of spatial
// dims, groups, dilations, pads, output_padding, output_shape, auto_pad),
// FP32, NCHW. Scatters every input element through the kernel.
#include <vector>

#include "kernels/ref/nn_ref.h"

namespace fastserve {

void conv_transpose_f32_ref(const Tensor& x, const Tensor& w, const Tensor* bias, const WindowGeometry& g,
                            int64_t group, Tensor& y) {
  const size_t nd = g.nd();
  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t mg = w.dim(1), out_channels = mg * group, cg = channels / group;
  std::vector<int64_t> y_stride(nd, 1), w_stride(nd, 1);
  int64_t x_plane = 1, w_plane = 1, y_plane = 1;
  for (size_t i = nd; i-- > 0;) {
    x_plane *= g.in[i];
    w_stride[i] = w_plane;
    w_plane *= g.kernel[i];
    y_stride[i] = y_plane;
    y_plane *= g.out[i];
  }
  // Accumulate in double, then round once.
  std::vector<double> acc(static_cast<size_t>(batch * out_channels * y_plane), 0.0);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t grp = c / cg;
      std::vector<int64_t> i(nd, 0);
      int64_t xi = (n * channels + c) * x_plane;
      do {
        const double xv = xd[xi++];
        for (int64_t mm = 0; mm < mg; ++mm) {
          const int64_t m = grp * mg + mm;
          const float* wc = wd + (c * mg + mm) * w_plane;
          double* yc = acc.data() + (n * out_channels + m) * y_plane;
          std::vector<int64_t> k(nd, 0);
          do {
            int64_t yoff = 0, woff = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t pos = i[d] * g.stride[d] - g.pad_begin[d] + k[d] * g.dilation[d];
              if (pos < 0 || pos >= g.out[d]) {
                inside = false;
                break;
              }
              yoff += pos * y_stride[d];
              woff += k[d] * w_stride[d];
            }
            if (inside) yc[yoff] += xv * static_cast<double>(wc[woff]);
          } while (ref_next_index(k, g.kernel));
        }
      } while (ref_next_index(i, g.in));
    }
  }
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* yd = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t base = (n * out_channels + m) * y_plane;
      for (int64_t p = 0; p < y_plane; ++p) {
        yd[base + p] = static_cast<float>(acc[static_cast<size_t>(base + p)] + (bd != nullptr ? bd[m] : 0.0));
      }
    }
  }
}

namespace {

std::vector<int64_t> spatial(const Tensor& t) {
  return std::vector<int64_t>(t.shape().dims().begin() + 2, t.shape().dims().end());
}

Status run_conv_transpose_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const size_t nd = w.rank() - 2;
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(ctx.node, nd, spatial(w)));
  FS_ASSIGN_OR_RETURN(WindowGeometry g, conv_transpose_geometry(ctx.node, attrs, spatial(x)));
  conv_transpose_f32_ref(x, w, bias, g, ctx.node.attr_int("group", 1), *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_conv_transpose_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "conv_transpose_f32__ref", .op_type = "ConvTranspose", .dtype = DType::kF32,
                   .run = &run_conv_transpose_ref});
}

}  // namespace fastserve
