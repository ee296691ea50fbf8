// lrn_f32__ref: reference LRN (local response normalization across
// channels), FP32, x [N, C, ...]:
//   square_sum[n, c, i] = sum of x[n, c', i]^2 for c' in
//                         [c - floor((size-1)/2), c + ceil((size-1)/2)] inside [0, C)
//   y = x / (bias + alpha / size * square_sum)^beta
// (ONNX LRN; Krizhevsky et al., "ImageNet Classification with Deep
// Convolutional Neural Networks", 2012, section 3.3).
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/ref/norm_ref.h"

namespace fastserve {

void lrn_f32_ref(const Tensor& x, int64_t size, float alpha, float beta, float bias, Tensor& y) {
  const int64_t batch = x.dim(0), channels = x.dim(1);
  if (batch * channels == 0) return;
  const int64_t plane = x.numel() / (batch * channels);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < plane; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after); ++k) {
          const double v = px[(n * channels + k) * plane + i];
          sq += v * v;
        }
        const int64_t at = (n * channels + c) * plane + i;
        py[at] = static_cast<float>(px[at] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
      }
    }
  }
}

namespace {

Status run_lrn(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const int64_t size = ctx.node.attr_int("size", 0);
  if (!ctx.node.has_attr("size") || size < 1) {
    return ctx.node.error(StatusCode::kInvalidArgument, "attribute size must be set and >= 1, got " +
                                                            std::to_string(size));
  }
  if (x.rank() < 2) {
    return ctx.node.error(StatusCode::kInvalidArgument, "X has shape " + x.shape().to_string() +
                                                            ", expected rank >= 2 (N, C, ...)");
  }
  lrn_f32_ref(x, size, ctx.node.attr_float("alpha", 1e-4f), ctx.node.attr_float("beta", 0.75f),
              ctx.node.attr_float("bias", 1.0f), *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_lrn_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "lrn_f32__ref", .op_type = "LRN", .dtype = DType::kF32, .run = &run_lrn});
}

}  // namespace fastserve
