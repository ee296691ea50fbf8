// batchnorm_f32__portable: BatchNormalization in inference form, FP32,
// x [N, C, ...]: y = x * s[c] + t[c] with s = scale / sqrt(var + epsilon) and
// t = B - mean * s. s and t are folded at prepare() when the four
// parameter tensors are constants (the usual case), else per plane at run.
// Threaded over the N*C planes; the inner loop is a vectorizable axpby.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct BatchNormState {
  float epsilon = 1e-5f;
  std::vector<float> s, t;  // folded per channel, empty when the parameters are not constant
};

bool accepts_batchnorm(const NodeView& node) {
  if (node.attr_int("training_mode", 0) != 0 || node.num_inputs() < 5) return false;
  for (size_t i = 1; i < node.num_outputs(); ++i) {
    if (node.output(i).present) return false;
  }
  for (size_t i = 1; i < 5; ++i) {
    if (node.input_dtype(i) != DType::kF32) return false;
  }
  return true;
}

void fold(const float* scale, const float* bias, const float* mean, const float* var, float epsilon, int64_t c,
          float& s, float& t) {
  s = scale[c] / std::sqrt(var[c] + epsilon);
  t = bias[c] - mean[c] * s;
}

Status prepare_batchnorm(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<BatchNormState>();
  st->epsilon = node.attr_float("epsilon", 1e-5f);
  const Tensor* scale = node.input_value(1);
  const Tensor* bias = node.input_value(2);
  const Tensor* mean = node.input_value(3);
  const Tensor* var = node.input_value(4);
  if (scale != nullptr && bias != nullptr && mean != nullptr && var != nullptr) {
    const int64_t channels = scale->numel();
    st->s.resize(static_cast<size_t>(channels));
    st->t.resize(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      fold(scale->data<float>(), bias->data<float>(), mean->data<float>(), var->data<float>(), st->epsilon, c,
           st->s[static_cast<size_t>(c)], st->t[static_cast<size_t>(c)]);
    }
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_batchnorm(const KernelContext& ctx) {
  const BatchNormState& st = ctx.state_as<BatchNormState>();
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t channels = x.dim(1);
  const int64_t planes = x.dim(0) * channels;
  if (planes == 0) return ok_status();
  const int64_t size = x.numel() / planes;
  const bool folded = static_cast<int64_t>(st.s.size()) == channels;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  ctx.pool->parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)),
                         [&](int64_t begin, int64_t end) {
                           for (int64_t pl = begin; pl < end; ++pl) {
                             const int64_t c = pl % channels;
                             float s, t;
                             if (folded) {
                               s = st.s[static_cast<size_t>(c)];
                               t = st.t[static_cast<size_t>(c)];
                             } else {
                               fold(ctx.inputs[1]->data<float>(), ctx.inputs[2]->data<float>(),
                                    ctx.inputs[3]->data<float>(), ctx.inputs[4]->data<float>(), st.epsilon, c, s, t);
                             }
                             const float* xp = xd + pl * size;
                             float* yp = yd + pl * size;
                             for (int64_t i = 0; i < size; ++i) yp[i] = xp[i] * s + t;
                           }
                         });
  return ok_status();
}

}  // namespace

void register_cpu_batchnorm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "batchnorm_f32__portable", .op_type = "BatchNormalization", .dtype = DType::kF32,
                   .priority = 10, .accepts = &accepts_batchnorm, .prepare = &prepare_batchnorm,
                   .run = &run_batchnorm});
}

}  // namespace fastserve
