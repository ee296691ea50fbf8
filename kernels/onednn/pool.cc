// Pooling on oneDNN's pooling_v2 primitive (dilations included), FP32, NCHW
// in and out, computed in oneDNN's channel-blocked layout (nChw8c at AVX2)
// with a reorder on each side: its plain-layout path ("simple_nchw") measured
// 6x slower than blocked + both reorders (MaxPool 2x2 on 32x14x14, batch 64,
// 1 thread: 8.9 ms vs 1.4 ms):
//   max_pool_f32__onednn              MaxPool 2-D (no Indices output)
//   average_pool_f32__onednn          AveragePool 2-D
//   global_average_pool_f32__onednn   GlobalAveragePool, 1-D to 3-D spatial
//
// Geometry (strides, dilations, pads, auto_pad, ceil_mode) comes from
// graph/window_geometry.h. oneDNN wants the right pad that makes its floor
// formula give our output size, so with ceil_mode the right pad grows to
// cover the last window; the extra positions are padding, which max pooling
// and count_include_pad = 0 ignore. count_include_pad = 1 would count them
// (ONNX does not), so AveragePool with both is left to our kernels.
#include <algorithm>
#include <memory>
#include <vector>

#include "graph/window_geometry.h"
#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

struct PoolEntry {
  Primitive pool;
  ActivationLayout src, dst;  // NCHW <-> oneDNN's channel-blocked layout
};

struct PoolState {
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  bool global = false;
  WindowAttrs attrs;  // not used for global pooling
  PrimitiveCache<PoolEntry> cache;
};

bool accepts_pool_2d(const NodeView& node) {
  if (node.num_outputs() > 1 && node.output(1).present) return false;  // Indices: our kernels
  if (node.attr_ints("kernel_shape").size() != 2) return false;
  if (node.input(0).shape_known && node.input(0).shape.rank() != 4) return false;
  if (node.op_type() == "AveragePool" && node.attr_int("count_include_pad", 0) != 0 &&
      node.attr_int("ceil_mode", 0) != 0) {
    return false;
  }
  return true;
}

bool accepts_global_pool(const NodeView& node) {
  if (!node.input(0).shape_known) return false;
  const size_t rank = node.input(0).shape.rank();
  return rank >= 3 && rank <= 5;
}

memory::dims to_dims(const std::vector<int64_t>& v) { return memory::dims(v.begin(), v.end()); }

Result<PoolEntry> make_pool_entry(const NodeView& node, const PoolState& st) {
  const Shape& xs = node.input(0).shape;
  const std::vector<int64_t> in(xs.dims().begin() + 2, xs.dims().end());
  const size_t nd = in.size();
  memory::dims kernel, stride, dilation, pad_l, pad_r, out;
  if (st.global) {
    kernel = to_dims(in);
    stride.assign(nd, 1);
    dilation.assign(nd, 0);
    pad_l.assign(nd, 0);
    pad_r.assign(nd, 0);
    out.assign(nd, 1);
  } else {
    FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, st.attrs, in));
    for (size_t i = 0; i < nd; ++i) {
      const int64_t extent = (g.kernel[i] - 1) * g.dilation[i] + 1;
      kernel.push_back(g.kernel[i]);
      stride.push_back(g.stride[i]);
      dilation.push_back(g.dilation[i] - 1);
      pad_l.push_back(g.pad_begin[i]);
      pad_r.push_back(
          std::max(g.pad_end[i], (g.out[i] - 1) * g.stride[i] + extent - g.in[i] - g.pad_begin[i]));
      out.push_back(g.out[i]);
    }
  }
  std::vector<int64_t> ys = {xs[0], xs[1]};
  ys.insert(ys.end(), out.begin(), out.end());
  const memory::desc user_src = plain_f32_desc(xs.dims()), user_dst = plain_f32_desc(ys);
  const memory::desc dst_any(memory::dims(ys.begin(), ys.end()), memory::data_type::f32,
                             memory::format_tag::any);
  const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, st.algorithm,
                                            blocked_f32_desc(xs.dims()), dst_any, stride, kernel, dilation,
                                            pad_l, pad_r);
  const dnnl::pooling_v2_forward::primitive_desc pd(desc, onednn_attr(), cpu_engine());
  PoolEntry e;
  e.pool = Primitive{dnnl::pooling_v2_forward(pd), pd.scratchpad_desc()};
  e.src = input_layout(user_src, pd.src_desc());
  e.dst = output_layout(pd.dst_desc(), user_dst);
  return e;
}

Status prepare_pool(const NodeView& node, PrepareContext& ctx, dnnl::algorithm algorithm, bool global) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<PoolState>();
  st->algorithm = algorithm;
  st->global = global;
  if (!global) {
    FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, 2));
  }
  const std::vector<int64_t> key = shape_key(node);
  if (shape_key_is_static(key)) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "pooling", [&]() -> Status {
      auto e = st->cache.get(key, [&] { return make_pool_entry(node, *st); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status prepare_max_pool(const NodeView& node, PrepareContext& ctx) {
  return prepare_pool(node, ctx, dnnl::algorithm::pooling_max, false);
}

Status prepare_average_pool(const NodeView& node, PrepareContext& ctx) {
  const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
  return prepare_pool(node, ctx,
                      include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                  : dnnl::algorithm::pooling_avg_exclude_padding,
                      false);
}

Status prepare_global_average_pool(const NodeView& node, PrepareContext& ctx) {
  return prepare_pool(node, ctx, dnnl::algorithm::pooling_avg_exclude_padding, true);
}

Status run_pool(const KernelContext& ctx) {
  const PoolState& st = ctx.state_as<PoolState>();
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "pooling", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const PoolEntry> e,
                        st.cache.get(shape_key(ctx.node), [&] { return make_pool_entry(ctx.node, st); }));
    const memory src = bring_in(e->src, x.data<float>(), ScratchSlot::kSrc);
    const memory dst = output_target(e->dst, y.data<float>(), ScratchSlot::kDst);
    e->pool.execute({{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    send_out(e->dst, dst, y.data<float>());
    thread_stream().wait();
    return ok_status();
  });
}

KernelDesc pool_desc(const char* name, const char* op, AcceptsFn accepts, PrepareFn prepare) {
  return KernelDesc{.name = name,
                    .provider = kProviderOneDnn,
                    .op_type = op,
                    .dtype = DType::kF32,
                    .required_isa = Isa::kAvx2,
                    .priority = kOneDnnPriority,
                    .accepts = accepts,
                    .prepare = prepare,
                    .run = &run_pool};
}

}  // namespace

void register_onednn_pool_kernels(KernelRegistry& r) {
  r.add(pool_desc("max_pool_f32__onednn", "MaxPool", &accepts_pool_2d, &prepare_max_pool));
  r.add(pool_desc("average_pool_f32__onednn", "AveragePool", &accepts_pool_2d, &prepare_average_pool));
  r.add(pool_desc("global_average_pool_f32__onednn", "GlobalAveragePool", &accepts_global_pool,
                  &prepare_global_average_pool));
}

}  // namespace fastserve::onednn
