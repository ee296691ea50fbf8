// batchnorm_f32__ref: reference BatchNormalization in inference form,
// FP32, x [N, C, ...]: y = (x - mean) / sqrt(var + epsilon) * scale + B.
// training_mode = 1 (and the pre-14 training outputs) is not supported.
#include <cmath>

#include "kernels/ref/nn_ref.h"

namespace fastserve {

void batchnorm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor& bias, const Tensor& mean,
                       const Tensor& var, float epsilon, Tensor& y) {
  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(var.data<float>()[c]) + epsilon);
      const double s = scale.data<float>()[c], b = bias.data<float>()[c], mu = mean.data<float>()[c];
      const int64_t base = (n * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) {
        yd[base + i] = static_cast<float>((xd[base + i] - mu) * inv_std * s + b);
      }
    }
  }
}

namespace {

// Inference form only: one output and training_mode = 0.
bool accepts_inference(const NodeView& node) {
  if (node.attr_int("training_mode", 0) != 0) return false;
  for (size_t i = 1; i < node.num_outputs(); ++i) {
    if (node.output(i).present) return false;
  }
  return node.num_inputs() >= 5;
}

Status run_batchnorm_ref(const KernelContext& ctx) {
  batchnorm_f32_ref(*ctx.inputs[0], *ctx.inputs[1], *ctx.inputs[2], *ctx.inputs[3], *ctx.inputs[4],
                    ctx.node.attr_float("epsilon", 1e-5f), *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_batchnorm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "batchnorm_f32__ref", .op_type = "BatchNormalization", .dtype = DType::kF32,
                   .accepts = &accepts_inference, .run = &run_batchnorm_ref});
}

}  // namespace fastserve
