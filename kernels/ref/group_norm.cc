// group_norm_f32__ref, instance_norm_f32__ref: reference GroupNormalization
// (opset 18: scale / bias per group; opset 21: per channel) and
// InstanceNormalization (groups = channels), FP32, x [N, C, ...]. Each
// (n, group) block of C/groups * spatial contiguous elements is normalized
// with double two-pass statistics.
#include <cmath>
#include <string>

#include "kernels/ref/norm_ref.h"

namespace fastserve {

void group_norm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor& bias, int64_t groups, bool per_channel,
                        float epsilon, Tensor& y) {
  const int64_t batch = x.dim(0), channels = x.dim(1);
  if (batch * channels == 0 || groups <= 0) return;  // empty: nothing to normalize
  const int64_t plane = x.numel() / (batch * channels);
  const int64_t per_group = channels / groups;
  const int64_t block = per_group * plane;
  const float* px = x.data<float>();
  const float* ps = scale.data<float>();
  const float* pb = bias.data<float>();
  float* py = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (n * groups + g) * block;
      double mu = 0;
      for (int64_t i = 0; i < block; ++i) mu += px[base + i];
      mu = block == 0 ? 0 : mu / static_cast<double>(block);
      double var = 0;
      for (int64_t i = 0; i < block; ++i) var += (px[base + i] - mu) * (px[base + i] - mu);
      var = block == 0 ? 0 : var / static_cast<double>(block);
      const double inv_std = 1.0 / std::sqrt(var + epsilon);
      for (int64_t i = 0; i < block; ++i) {
        const int64_t k = per_channel ? g * per_group + i / plane : g;
        py[base + i] = static_cast<float>((px[base + i] - mu) * inv_std * ps[k] + pb[k]);
      }
    }
  }
}

namespace {

bool scale_bias_f32(const NodeView& node) {
  return node.input_dtype(1) == DType::kF32 && node.input_dtype(2) == DType::kF32;
}

// scale and bias must hold one value per channel or group: the kernel reads that many.
Status check_params(const KernelContext& ctx, int64_t expected, const char* per) {
  if (ctx.inputs[0]->rank() < 2) {
    return ctx.node.error(StatusCode::kInvalidArgument, "X has shape " + ctx.inputs[0]->shape().to_string() +
                                                            ", expected rank >= 2 (N, C, ...)");
  }
  for (size_t i : {1, 2}) {
    if (ctx.inputs[i]->numel() != expected) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            std::string(i == 1 ? "scale" : "bias") + " has " + std::to_string(ctx.inputs[i]->numel()) +
                                " values, expected " + std::to_string(expected) + " (one per " + per + ")");
    }
  }
  return ok_status();
}

Status run_group_norm(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const int64_t groups = ctx.node.attr_int("num_groups", 1);
  if (x.rank() < 2 || groups <= 0 || x.dim(1) % groups != 0) {
    return ctx.node.error(StatusCode::kInvalidArgument, "num_groups = " + std::to_string(groups) +
                                                            " does not divide the channels of X " +
                                                            x.shape().to_string());
  }
  const bool per_channel = ctx.node.opset() >= 21;
  FS_RETURN_IF_ERROR(check_params(ctx, per_channel ? x.dim(1) : groups, per_channel ? "channel" : "group"));
  group_norm_f32_ref(x, *ctx.inputs[1], *ctx.inputs[2], groups, per_channel,
                     ctx.node.attr_float("epsilon", 1e-5f), *ctx.outputs[0]);
  return ok_status();
}

Status run_instance_norm(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  FS_RETURN_IF_ERROR(check_params(ctx, x.dim(1), "channel"));
  group_norm_f32_ref(x, *ctx.inputs[1], *ctx.inputs[2], x.dim(1), /*per_channel=*/true,
                     ctx.node.attr_float("epsilon", 1e-5f), *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_group_norm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "group_norm_f32__ref", .op_type = "GroupNormalization", .since_version = 18,
                   .dtype = DType::kF32, .accepts = &scale_bias_f32, .run = &run_group_norm});
  r.add(KernelDesc{.name = "instance_norm_f32__ref", .op_type = "InstanceNormalization", .dtype = DType::kF32,
                   .accepts = &scale_bias_f32, .run = &run_instance_norm});
}

}  // namespace fastserve
