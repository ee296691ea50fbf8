// relu_f32__onednn: Relu on oneDNN's eltwise primitive, FP32, any shape.
// An element-wise op does not care about dims, so the tensor is described
// as one flat run of numel floats and the primitive is cached per size.
// Unlike ONNX (and our kernels), oneDNN's Relu maps NaN to 0.
#include <memory>
#include <vector>

#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

struct EltwiseEntry {
  Primitive eltwise;
  memory::desc data;
};

struct EltwiseState {
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu;
  float alpha = 0.f;
  PrimitiveCache<EltwiseEntry> cache;
};

Result<EltwiseEntry> make_eltwise_entry(const EltwiseState& st, int64_t numel) {
  EltwiseEntry e;
  e.data = plain_f32_desc({numel});
  const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, st.algorithm, e.data, st.alpha,
                                         0.f);
  const dnnl::eltwise_forward::primitive_desc pd(desc, onednn_attr(), cpu_engine());
  e.eltwise = Primitive{dnnl::eltwise_forward(pd), pd.scratchpad_desc()};
  return e;
}

Status prepare_relu(const NodeView& node, PrepareContext& ctx) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<EltwiseState>();
  const TensorInfo& x = node.input(0);
  if (x.shape_known && x.shape.is_static() && x.shape.numel() > 0) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "eltwise", [&]() -> Status {
      auto e = st->cache.get({x.shape.numel()}, [&] { return make_eltwise_entry(*st, x.shape.numel()); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_eltwise(const KernelContext& ctx) {
  const EltwiseState& st = ctx.state_as<EltwiseState>();
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t n = y.numel();
  if (n == 0) return ok_status();
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "eltwise", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const EltwiseEntry> e,
                        st.cache.get({n}, [&] { return make_eltwise_entry(st, n); }));
    e->eltwise.execute(
        {{DNNL_ARG_SRC, wrap(e->data, x.data<float>())}, {DNNL_ARG_DST, wrap(e->data, y.data<float>())}});
    thread_stream().wait();
    return ok_status();
  });
}

}  // namespace

void register_onednn_eltwise_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "relu_f32__onednn",
                   .provider = kProviderOneDnn,
                   .op_type = "Relu",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx2,
                   .priority = kOneDnnPriority,
                   .prepare = &prepare_relu,
                   .run = &run_eltwise});
}

}  // namespace fastserve::onednn
