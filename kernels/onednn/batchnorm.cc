// batchnorm_f32__onednn: BatchNormalization in inference form on oneDNN's
// batch_normalization primitive with global statistics, FP32, x [N, C, ...]
// of rank 2 to 5, NCHW in and out but computed in oneDNN's channel-blocked
// layout (its plain "ncsp" kernel measured 4-20x slower than the blocked one):
// y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c].
// scale, B, mean and var are handed to oneDNN as they are (no copy), so
// they may be constants or run-time values alike.
#include <memory>
#include <vector>

#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

struct BatchNormEntry {
  Primitive bnorm;
  ActivationLayout src, dst;  // NCHW <-> oneDNN's channel-blocked layout
  memory::desc channel;       // [C]
};

struct BatchNormState {
  float epsilon = 1e-5f;
  PrimitiveCache<BatchNormEntry> cache;
};

bool accepts_batchnorm(const NodeView& node) {
  if (node.attr_int("training_mode", 0) != 0 || node.num_inputs() < 5) return false;
  for (size_t i = 1; i < node.num_outputs(); ++i) {
    if (node.output(i).present) return false;  // running statistics: training only
  }
  for (size_t i = 1; i < 5; ++i) {
    if (node.input_dtype(i) != DType::kF32) return false;
  }
  if (!node.input(0).shape_known) return false;
  const size_t rank = node.input(0).shape.rank();
  return rank >= 2 && rank <= 5;
}

Result<BatchNormEntry> make_batchnorm_entry(const NodeView& node, const BatchNormState& st) {
  const Shape& xs = node.input(0).shape;
  for (size_t i = 1; i < 5; ++i) {
    const TensorInfo& p = node.input(i);
    if (!p.shape_known || p.shape.rank() != 1 || p.shape[0] != xs[1]) {
      return node.error(StatusCode::kInvalidArgument, "input " + std::to_string(i) + " must be [" +
                                                          std::to_string(xs[1]) + "], got " +
                                                          p.shape.to_string());
    }
  }
  BatchNormEntry e;
  const memory::desc user = plain_f32_desc(xs.dims()), inner = blocked_f32_desc(xs.dims());
  e.channel = plain_f32_desc({xs[1]});
  const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                     dnnl::normalization_flags::use_shift;
  const dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, inner, st.epsilon,
                                                     flags);
  const dnnl::batch_normalization_forward::primitive_desc pd(desc, onednn_attr(), cpu_engine());
  e.bnorm = Primitive{dnnl::batch_normalization_forward(pd), pd.scratchpad_desc()};
  e.src = input_layout(user, pd.src_desc());
  e.dst = output_layout(pd.dst_desc(), user);
  return e;
}

Status prepare_batchnorm(const NodeView& node, PrepareContext& ctx) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<BatchNormState>();
  st->epsilon = node.attr_float("epsilon", 1e-5f);
  const std::vector<int64_t> key = shape_key(node);
  if (shape_key_is_static(key)) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "batch normalization", [&]() -> Status {
      auto e = st->cache.get(key, [&] { return make_batchnorm_entry(node, *st); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_batchnorm(const KernelContext& ctx) {
  const BatchNormState& st = ctx.state_as<BatchNormState>();
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "batch normalization", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const BatchNormEntry> e, st.cache.get(shape_key(ctx.node), [&] {
      return make_batchnorm_entry(ctx.node, st);
    }));
    auto channel = [&](size_t i) { return wrap(e->channel, ctx.inputs[i]->data<float>()); };
    const memory src = bring_in(e->src, ctx.inputs[0]->data<float>(), ScratchSlot::kSrc);
    const memory dst = output_target(e->dst, y.data<float>(), ScratchSlot::kDst);
    e->bnorm.execute({{DNNL_ARG_SRC, src},
                      {DNNL_ARG_SCALE, channel(1)},
                      {DNNL_ARG_SHIFT, channel(2)},
                      {DNNL_ARG_MEAN, channel(3)},
                      {DNNL_ARG_VARIANCE, channel(4)},
                      {DNNL_ARG_DST, dst}});
    send_out(e->dst, dst, y.data<float>());
    thread_stream().wait();
    return ok_status();
  });
}

}  // namespace

void register_onednn_batchnorm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "batchnorm_f32__onednn",
                   .provider = kProviderOneDnn,
                   .op_type = "BatchNormalization",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx2,
                   .priority = kOneDnnPriority,
                   .accepts = &accepts_batchnorm,
                   .prepare = &prepare_batchnorm,
                   .run = &run_batchnorm});
}

}  // namespace fastserve::onednn
