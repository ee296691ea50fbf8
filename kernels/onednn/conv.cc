// conv_f32__onednn: 2-D Conv (any group, depthwise included; strides,
// dilations, pads, auto_pad, optional bias) on oneDNN's convolution
// primitive, FP32, NCHW in and NCHW out.
//
// Layouts. The primitive is created with format_tag::any for weights, src and
// dst, so oneDNN picks its own (blocked, e.g. nChw8c / OIhw8i8o on AVX2)
// layouts. Weights are reordered once per primitive when W is constant; the
// input is reordered into the blocked layout and the output back to NCHW
// inside run(), so neighbouring nodes only ever see NCHW. Asking for nchw
// src/dst instead makes oneDNN fall back to im2col + sgemm ("gemm:jit"),
// which measured 2-4x slower than blocked *including* both reorders (AMD
// EPYC, AVX2, 1 thread, oneDNN 2.6: 16->32 3x3 14x14 batch 64: 3.6 ms vs
// 13.0 ms; 64->64 3x3 56x56: 6.2 vs 18.9 ms; depthwise 128ch 28x28: 0.30 vs
// 1.27 ms; 1->16 3x3 28x28 batch 1: 10 vs 15 us).
//
// ONNX -> oneDNN: weights [M, C/g, kh, kw] are oihw (g = 1) or, viewed as
// [g, M/g, C/g, kh, kw], goihw: the same bytes. oneDNN dilations count the
// gaps (ONNX d - 1). Pads come from graph/window_geometry.h (auto_pad
// included), so they always agree with the output shape inference gave.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/window_geometry.h"
#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

struct ConvEntry {
  Primitive conv;
  ActivationLayout src, weights, dst;    // our NCHW / (g)oihw / NCHW and what the primitive wants
  memory::desc bias;                     // [M]
  std::optional<memory> packed_weights;  // weights.inner, when W is constant
};

struct ConvState {
  WindowAttrs attrs;
  int64_t group = 1;
  bool weights_constant = false;
  PrimitiveCache<ConvEntry> cache;
};

bool accepts_conv(const NodeView& node) {
  if (!node.has_input(1) || node.input_dtype(1) != DType::kF32 || !node.input(1).shape_known) return false;
  const Shape& w = node.input(1).shape;
  if (w.rank() != 4 || !w.is_static()) return false;  // 2-D only: 1-D and 3-D go to our kernels
  if (node.input(0).shape_known && node.input(0).shape.rank() != 4) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  return true;
}

memory::dims to_dims(const std::vector<int64_t>& v) { return memory::dims(v.begin(), v.end()); }

// Builds the primitive for the node's current (static) shapes; packs W when
// it is constant (`w` non-null).
Result<ConvEntry> make_conv_entry(const NodeView& node, const ConvState& st, const Tensor* w) {
  const Shape& xs = node.input(0).shape;
  const Shape& ws = node.input(1).shape;
  const std::vector<int64_t> in(xs.dims().begin() + 2, xs.dims().end());
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, st.attrs, in));
  const int64_t batch = xs[0], channels = xs[1], out_channels = ws[0];
  if (st.group < 1 || channels % st.group != 0 || out_channels % st.group != 0 ||
      ws[1] != channels / st.group) {
    return node.error(StatusCode::kInvalidArgument, "group " + std::to_string(st.group) + " does not fit X " +
                                                        xs.to_string() + " and W " + ws.to_string());
  }
  const memory::desc user_src = plain_f32_desc(xs.dims());
  const memory::desc user_weights =
      st.group == 1 ? plain_f32_desc(ws.dims())
                    : plain_f32_desc({st.group, out_channels / st.group, ws[1], ws[2], ws[3]});
  const memory::desc user_dst = plain_f32_desc({batch, out_channels, g.out[0], g.out[1]});
  ConvEntry e;
  e.bias = plain_f32_desc({out_channels});
  const auto any = memory::format_tag::any;
  const auto f32 = memory::data_type::f32;
  const memory::desc src_any(user_src.dims(), f32, any), w_any(user_weights.dims(), f32, any),
      dst_any(user_dst.dims(), f32, any);
  memory::dims dilation;
  for (int64_t d : g.dilation) dilation.push_back(d - 1);
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto alg = dnnl::algorithm::convolution_direct;
  auto desc =
      node.has_input(2)
          ? dnnl::convolution_forward::desc(prop, alg, src_any, w_any, e.bias, dst_any, to_dims(g.stride),
                                            dilation, to_dims(g.pad_begin), to_dims(g.pad_end))
          : dnnl::convolution_forward::desc(prop, alg, src_any, w_any, dst_any, to_dims(g.stride), dilation,
                                            to_dims(g.pad_begin), to_dims(g.pad_end));
  const dnnl::convolution_forward::primitive_desc pd(desc, onednn_attr(), cpu_engine());
  e.conv = Primitive{dnnl::convolution_forward(pd), pd.scratchpad_desc()};
  e.src = input_layout(user_src, pd.src_desc());
  e.weights = input_layout(user_weights, pd.weights_desc());
  e.dst = output_layout(pd.dst_desc(), user_dst);
  if (w != nullptr && e.weights.reorder) {
    e.packed_weights = memory(e.weights.inner, cpu_engine());
    e.weights.reorder->execute(
        {{DNNL_ARG_FROM, wrap(user_weights, w->data<float>())}, {DNNL_ARG_TO, *e.packed_weights}});
    thread_stream().wait();
  }
  return e;
}

Status prepare_conv(const NodeView& node, PrepareContext& ctx) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<ConvState>();
  const Shape& ws = node.input(1).shape;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, 2, std::vector<int64_t>{ws[2], ws[3]}));
  st->group = node.attr_int("group", 1);
  st->weights_constant = node.input_value(1) != nullptr;
  const std::vector<int64_t> key = shape_key(node);
  if (shape_key_is_static(key)) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "convolution", [&]() -> Status {
      Result<std::shared_ptr<const ConvEntry>> e =
          st->cache.get(key, [&] { return make_conv_entry(node, *st, node.input_value(1)); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_conv(const KernelContext& ctx) {
  const ConvState& st = ctx.state_as<ConvState>();
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "convolution", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const ConvEntry> e, st.cache.get(shape_key(ctx.node), [&] {
      return make_conv_entry(ctx.node, st, st.weights_constant ? &w : nullptr);
    }));
    const memory src = bring_in(e->src, x.data<float>(), ScratchSlot::kSrc);
    const memory weights =
        e->packed_weights ? *e->packed_weights : bring_in(e->weights, w.data<float>(), ScratchSlot::kWeights);
    const memory dst = output_target(e->dst, y.data<float>(), ScratchSlot::kDst);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(e->bias, bias->data<float>()));
    e->conv.execute(std::move(args));
    send_out(e->dst, dst, y.data<float>());
    thread_stream().wait();
    return ok_status();
  });
}

}  // namespace

void register_onednn_conv_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "conv_f32__onednn",
                   .provider = kProviderOneDnn,
                   .op_type = "Conv",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx2,
                   .priority = kOneDnnPriority,
                   .accepts = &accepts_conv,
                   .prepare = &prepare_conv,
                   .run = &run_conv});
}

}  // namespace fastserve::onednn
