// layer_norm_f32__{avx512,avx2,portable}: LayerNormalization (opset 17+)
// and fastserve.FusedLayerNorm (fused_layer_norm_f32__*),
// FP32, over the last dims from `axis` with scale (and bias) of exactly
// those dims (what every exporter writes); other broadcasts go to the
// reference. Rows are split over the pool; each row is one call of the
// ISA's row function (layer_norm_rows.h). The optional Mean and InvStdDev
// outputs are written when present (stash_type 1, float32).
#include <algorithm>
#include <memory>
#include <string>

#include "kernels/cpu/layer_norm/layer_norm_ukernels.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kMinTaskElems = 16384;

struct LayerNormState {
  int64_t axis = -1;
  float epsilon = 1e-5f;
};

// Normalized dims of x at the (normalized) axis, or -1 when unknown.
int64_t normalized_size(const Shape& x, int64_t axis) {
  int64_t n = 1;
  for (size_t d = static_cast<size_t>(axis); d < x.rank(); ++d) {
    if (x[d] == kUnknownDim) return -1;
    n *= x[d];
  }
  return n;
}

// Scale/bias of exactly x.shape[axis:] (leading 1s allowed): one value per row element.
bool is_row_operand(const Shape& t, const Shape& x, int64_t axis) {
  const size_t tail = x.rank() - static_cast<size_t>(axis);
  if (t.rank() > x.rank()) return false;
  for (size_t i = 0; i < t.rank(); ++i) {
    const size_t td = t.rank() - 1 - i;
    if (i < tail) {
      if (t[td] != x[x.rank() - 1 - i]) return false;
    } else if (t[td] != 1) {
      return false;
    }
  }
  return true;
}

bool accepts(const NodeView& node) {
  if (node.input_dtype(0) != DType::kF32 || node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2) && node.input_dtype(2) != DType::kF32) return false;
  if (node.attr_int("stash_type", 1) != 1) return false;
  for (size_t i = 1; i < node.num_outputs(); ++i) {
    if (node.output(i).present && node.output(i).dtype != DType::kF32) return false;
  }
  const TensorInfo& x = node.input(0);
  if (!x.shape_known || x.shape.rank() == 0) return false;
  const auto rank = static_cast<int64_t>(x.shape.rank());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) return false;  // the reference reports it
  if (axis < 0) axis += rank;
  if (normalized_size(x.shape, axis) < 0) return false;
  for (size_t i = 1; i < 3; ++i) {
    if (!node.has_input(i)) continue;
    if (!node.input(i).shape_known || !is_row_operand(node.input(i).shape, x.shape, axis)) return false;
  }
  return true;
}

Status prepare(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<LayerNormState>();
  const auto rank = static_cast<int64_t>(node.input(0).shape.rank());
  st->axis = node.attr_int("axis", -1);
  if (st->axis < 0) st->axis += rank;
  st->epsilon = node.attr_float("epsilon", 1e-5f);
  ctx.state = std::move(st);
  return ok_status();
}

Tensor* output_or_null(const KernelContext& ctx, size_t i) {
  return i < ctx.outputs.size() ? ctx.outputs[i] : nullptr;
}

template <Isa kIsa>
Status run(const KernelContext& ctx) {
  const LayerNormState& st = ctx.state_as<LayerNormState>();
  const Tensor& x = *ctx.inputs[0];
  const int64_t n = normalized_size(x.shape(), st.axis);
  if (n <= 0 || x.numel() == 0) return ok_status();
  const int64_t rows = x.numel() / n;
  const Tensor& scale = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  if (scale.numel() != n || (bias != nullptr && bias->numel() != n)) {
    return ctx.node.error(StatusCode::kInvalidArgument, "scale " + scale.shape().to_string() +
                                                            " does not match the normalized dims of X " +
                                                            x.shape().to_string());
  }
  LayerNormRowFn fn = kLayerNormRowScalar;
  if constexpr (kIsa == Isa::kAvx512) fn = kLayerNormRowAvx512;
  if constexpr (kIsa == Isa::kAvx2) fn = kLayerNormRowAvx2;
  const float* xd = x.data<float>();
  float* yd = ctx.outputs[0]->data<float>();
  const float* sd = scale.data<float>();
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  Tensor* mean = output_or_null(ctx, 1);
  Tensor* inv_std = output_or_null(ctx, 2);
  float* md = mean != nullptr ? mean->data<float>() : nullptr;
  float* id = inv_std != nullptr ? inv_std->data<float>() : nullptr;
  ctx.pool->parallel_for(rows, std::max<int64_t>(1, kMinTaskElems / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      fn(xd + r * n, yd + r * n, n, sd, bd, st.epsilon, md != nullptr ? md + r : nullptr,
         id != nullptr ? id + r : nullptr);
    }
  });
  return ok_status();
}

KernelDesc desc(const char* name, Isa isa, int priority, RunFn fn) {
  return KernelDesc{.name = name, .op_type = "LayerNormalization", .since_version = 17, .dtype = DType::kF32,
                    .required_isa = isa, .priority = priority, .accepts = &accepts, .prepare = &prepare, .run = fn};
}

// fastserve.FusedLayerNorm (passes/fuse_layer_norm.cc): the same op for
// models older than opset 17, so the same kernels.
KernelDesc fused_desc(const char* name, Isa isa, int priority, RunFn fn) {
  KernelDesc d = desc(name, isa, priority, fn);
  d.op_type = "FusedLayerNorm";
  d.domain = "fastserve";
  d.since_version = 1;
  return d;
}

}  // namespace

void register_cpu_layer_norm_kernels(KernelRegistry& r) {
  r.add(desc("layer_norm_f32__avx512", Isa::kAvx512, 30, &run<Isa::kAvx512>));
  r.add(desc("layer_norm_f32__avx2", Isa::kAvx2, 20, &run<Isa::kAvx2>));
  r.add(desc("layer_norm_f32__portable", Isa::kScalar, 10, &run<Isa::kScalar>));
  r.add(fused_desc("fused_layer_norm_f32__avx512", Isa::kAvx512, 30, &run<Isa::kAvx512>));
  r.add(fused_desc("fused_layer_norm_f32__avx2", Isa::kAvx2, 20, &run<Isa::kAvx2>));
  r.add(fused_desc("fused_layer_norm_f32__portable", Isa::kScalar, 10, &run<Isa::kScalar>));
}

}  // namespace fastserve
