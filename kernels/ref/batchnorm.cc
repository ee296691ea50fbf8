// Reference BatchNormalization, FP32, x [N, C, ...]:
//   batchnorm_f32__ref, inference: y = (x - mean) / sqrt(var + epsilon) * scale + B
//     with the given mean and var;
//   batchnorm_f32_training__ref, training_mode = 1 (opset 14+): the same with
//     the batch's own per-channel mean and population variance (over N and
//     the spatial dims), and the optional outputs running_mean =
//     input_mean * momentum + mean * (1 - momentum), running_var likewise
//     (momentum default 0.9), as the ONNX spec and its reference define them.
// The pre-14 training form (extra outputs without training_mode, whose
// saved_mean / saved_var the spec leaves loosely defined) is not supported.
#include <cmath>
#include <vector>

#include "kernels/ref/nn_ref.h"

namespace fastserve {

namespace {

// y = (x - mean[c]) * inv_std[c] * scale[c] + bias[c], the statistics in double.
void normalize(const Tensor& x, const Tensor& scale, const Tensor& bias, const std::vector<double>& mean,
               const std::vector<double>& inv_std, Tensor& y) {
  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const auto ci = static_cast<size_t>(c);
      const double s = scale.data<float>()[c], b = bias.data<float>()[c];
      const int64_t base = (n * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) {
        yd[base + i] = static_cast<float>((xd[base + i] - mean[ci]) * inv_std[ci] * s + b);
      }
    }
  }
}

}  // namespace

void batchnorm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor& bias, const Tensor& mean,
                       const Tensor& var, float epsilon, Tensor& y) {
  const auto channels = static_cast<size_t>(x.dim(1));
  std::vector<double> mu(channels), inv_std(channels);
  for (size_t c = 0; c < channels; ++c) {
    mu[c] = mean.data<float>()[c];
    inv_std[c] = 1.0 / std::sqrt(static_cast<double>(var.data<float>()[c]) + epsilon);
  }
  normalize(x, scale, bias, mu, inv_std, y);
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

// training_mode = 1 exists from opset 14.
constexpr int kTrainingModeOpset = 14;

bool accepts_training(const NodeView& node) {
  return node.attr_int("training_mode", 0) != 0 && node.num_inputs() >= 5 && node.num_outputs() <= 3;
}

Status run_batchnorm_training_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const int64_t count = batch * plane;
  if (count == 0)
    return ctx.node.error(StatusCode::kInvalidArgument, "training mode needs a non-empty batch");
  const float* xd = x.data<float>();
  const auto nc = static_cast<size_t>(channels);
  // Two passes: the mean, then the mean squared deviation (population variance).
  std::vector<double> mean(nc, 0.0), var(nc, 0.0), inv_std(nc);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < plane; ++i) mean[static_cast<size_t>(c)] += xd[(n * channels + c) * plane + i];
    }
  }
  for (double& m : mean) m /= static_cast<double>(count);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < plane; ++i) {
        const double d = xd[(n * channels + c) * plane + i] - mean[static_cast<size_t>(c)];
        var[static_cast<size_t>(c)] += d * d;
      }
    }
  }
  const double epsilon = ctx.node.attr_float("epsilon", 1e-5f);
  for (size_t c = 0; c < nc; ++c) {
    var[c] /= static_cast<double>(count);
    inv_std[c] = 1.0 / std::sqrt(var[c] + epsilon);
  }
  normalize(x, *ctx.inputs[1], *ctx.inputs[2], mean, inv_std, *ctx.outputs[0]);
  const double momentum = ctx.node.attr_float("momentum", 0.9f);
  // running = input * momentum + batch statistic * (1 - momentum)
  const auto running = [&](size_t out, const Tensor& input, const std::vector<double>& stat) {
    if (ctx.outputs.size() <= out || ctx.outputs[out] == nullptr) return;
    float* r = ctx.outputs[out]->data<float>();
    for (size_t c = 0; c < nc; ++c) {
      r[c] = static_cast<float>(input.data<float>()[c] * momentum + stat[c] * (1 - momentum));
    }
  };
  running(1, *ctx.inputs[3], mean);
  running(2, *ctx.inputs[4], var);
  return ok_status();
}

}  // namespace

void register_ref_batchnorm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "batchnorm_f32__ref", .op_type = "BatchNormalization", .dtype = DType::kF32,
                   .accepts = &accepts_inference, .run = &run_batchnorm_ref});
  r.add(KernelDesc{.name = "batchnorm_f32_training__ref",
                   .op_type = "BatchNormalization",
                   .since_version = kTrainingModeOpset,
                   .dtype = DType::kF32,
                   .accepts = &accepts_training,
                   .run = &run_batchnorm_training_ref});
}

}  // namespace fastserve
