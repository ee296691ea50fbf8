// layer_norm_f32__ref, rms_norm_f32__ref: reference LayerNormalization
// (opset 17; also fastserve.FusedLayerNorm) and RMSNormalization (opset 23), FP32. x is viewed as
// [outer, inner] with inner = prod(dims[axis:]); each row is normalized with
// double statistics; scale and bias broadcast numpy-style to x.
#include <cmath>
#include <string>

#include "graph/shape_utils.h"
#include "kernels/ref/norm_ref.h"

namespace fastserve {

std::vector<int64_t> ref_dim_offsets(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides,
                                     size_t begin, size_t end) {
  std::vector<int64_t> offsets = {0};
  for (size_t d = begin; d < end; ++d) {
    std::vector<int64_t> next;
    next.reserve(offsets.size() * static_cast<size_t>(dims[d]));
    for (int64_t base : offsets) {
      for (int64_t i = 0; i < dims[d]; ++i) next.push_back(base + i * strides[d]);
    }
    offsets = std::move(next);
  }
  return offsets;
}

namespace {

// An operand broadcast to x, split at `axis` into row and column offsets.
struct BroadcastOperand {
  const float* data = nullptr;
  std::vector<int64_t> row, col;

  BroadcastOperand(const Tensor* t, const Shape& x, size_t axis) {
    if (t == nullptr) return;
    data = t->data<float>();
    const std::vector<int64_t> strides = broadcast_strides(t->shape(), x);
    row = ref_dim_offsets(x.dims(), strides, 0, axis);
    col = ref_dim_offsets(x.dims(), strides, axis, x.rank());
  }
  double at(size_t r, size_t c, double none) const { return data == nullptr ? none : data[row[r] + col[c]]; }
};

// Rows and row length of x viewed as [outer, inner] at axis.
void split_at(const Shape& s, size_t axis, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (size_t d = 0; d < s.rank(); ++d) (d < axis ? outer : inner) *= s[d];
}

}  // namespace

void layer_norm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor* bias, int64_t axis, float epsilon,
                        Tensor& y, Tensor* mean, Tensor* inv_std_dev) {
  const auto ax = static_cast<size_t>(axis);
  int64_t outer = 0, inner = 0;
  split_at(x.shape(), ax, outer, inner);
  const BroadcastOperand s(&scale, x.shape(), ax), b(bias, x.shape(), ax);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = px + o * inner;
    double mu = 0;
    for (int64_t i = 0; i < inner; ++i) mu += row[i];
    mu = inner == 0 ? 0 : mu / static_cast<double>(inner);
    double var = 0;
    for (int64_t i = 0; i < inner; ++i) var += (row[i] - mu) * (row[i] - mu);
    var = inner == 0 ? 0 : var / static_cast<double>(inner);
    const double inv_std = 1.0 / std::sqrt(var + epsilon);
    for (int64_t i = 0; i < inner; ++i) {
      const auto r = static_cast<size_t>(o), c = static_cast<size_t>(i);
      py[o * inner + i] = static_cast<float>((row[i] - mu) * inv_std * s.at(r, c, 1.0) + b.at(r, c, 0.0));
    }
    if (mean != nullptr) mean->data<float>()[o] = static_cast<float>(mu);
    if (inv_std_dev != nullptr) inv_std_dev->data<float>()[o] = static_cast<float>(inv_std);
  }
}

void rms_norm_f32_ref(const Tensor& x, const Tensor& scale, int64_t axis, float epsilon, Tensor& y) {
  const auto ax = static_cast<size_t>(axis);
  int64_t outer = 0, inner = 0;
  split_at(x.shape(), ax, outer, inner);
  const BroadcastOperand s(&scale, x.shape(), ax);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = px + o * inner;
    double sq = 0;
    for (int64_t i = 0; i < inner; ++i) sq += static_cast<double>(row[i]) * row[i];
    const double inv_rms = 1.0 / std::sqrt((inner == 0 ? 0 : sq / static_cast<double>(inner)) + epsilon);
    for (int64_t i = 0; i < inner; ++i) {
      py[o * inner + i] =
          static_cast<float>(row[i] * inv_rms * s.at(static_cast<size_t>(o), static_cast<size_t>(i), 1.0));
    }
  }
}

namespace {

Result<int64_t> axis_of(const KernelContext& ctx) {
  const int64_t axis = ctx.node.attr_int("axis", -1);
  const auto rank = static_cast<int64_t>(ctx.inputs[0]->rank());
  if (axis < -rank || axis >= rank) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "attribute axis = " + std::to_string(axis) + " is out of range for rank " +
                              std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// The optional statistics outputs are computed in FP32 (stash_type 1, the default).
Tensor* stat_output(const KernelContext& ctx, size_t i) {
  return i < ctx.outputs.size() && ctx.outputs[i] != nullptr ? ctx.outputs[i] : nullptr;
}

bool accepts_layer_norm(const NodeView& node) {
  for (size_t i = 1; i < node.num_outputs(); ++i) {
    if (node.output(i).present && node.output(i).dtype != DType::kF32) return false;
  }
  return node.input_dtype(1) == DType::kF32 && (!node.has_input(2) || node.input_dtype(2) == DType::kF32);
}

Status run_layer_norm(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(const int64_t axis, axis_of(ctx));
  layer_norm_f32_ref(*ctx.inputs[0], *ctx.inputs[1], ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr, axis,
                     ctx.node.attr_float("epsilon", 1e-5f), *ctx.outputs[0], stat_output(ctx, 1),
                     stat_output(ctx, 2));
  return ok_status();
}

bool accepts_rms_norm(const NodeView& node) { return node.input_dtype(1) == DType::kF32; }

Status run_rms_norm(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(const int64_t axis, axis_of(ctx));
  rms_norm_f32_ref(*ctx.inputs[0], *ctx.inputs[1], axis, ctx.node.attr_float("epsilon", 1e-5f), *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_layer_norm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "layer_norm_f32__ref", .op_type = "LayerNormalization", .since_version = 17,
                   .dtype = DType::kF32, .accepts = &accepts_layer_norm, .run = &run_layer_norm});
  // fastserve.FusedLayerNorm (passes/fuse_layer_norm.cc): LayerNormalization for older opsets.
  r.add(KernelDesc{.name = "fused_layer_norm_f32__ref", .op_type = "FusedLayerNorm", .domain = "fastserve",
                   .dtype = DType::kF32, .accepts = &accepts_layer_norm, .run = &run_layer_norm});
  r.add(KernelDesc{.name = "rms_norm_f32__ref", .op_type = "RMSNormalization", .since_version = 23,
                   .dtype = DType::kF32, .accepts = &accepts_rms_norm, .run = &run_rms_norm});
}

}  // namespace fastserve
