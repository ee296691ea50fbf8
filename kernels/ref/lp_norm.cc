// lp_norm_f32__ref, mean_variance_norm_f32__ref: reference LpNormalization
// (y = x / ||x||_p along one axis, p = 1 or 2) and MeanVarianceNormalization
// (y = (x - mean) / (sqrt(var) + 1e-9) over a set of axes, the ONNX
// function body's formula), FP32 with double accumulators. Both walk x as
// kept dims x reduced dims, with offsets from ref_dim_offsets.
#include <algorithm>
#include <cmath>
#include <string>

#include "graph/shape_utils.h"
#include "kernels/ref/norm_ref.h"

namespace fastserve {
namespace {

// Element offsets of x split into the kept dims (one slice each) and the
// reduced dims (the elements of a slice).
struct SliceWalk {
  std::vector<int64_t> slices, elements;

  SliceWalk(const Shape& s, const std::vector<bool>& reduced) {
    const std::vector<int64_t> strides = contiguous_strides(s);
    std::vector<int64_t> kept_dims, kept_strides, red_dims, red_strides;
    for (size_t d = 0; d < s.rank(); ++d) {
      (reduced[d] ? red_dims : kept_dims).push_back(s[d]);
      (reduced[d] ? red_strides : kept_strides).push_back(strides[d]);
    }
    slices = ref_dim_offsets(kept_dims, kept_strides, 0, kept_dims.size());
    elements = ref_dim_offsets(red_dims, red_strides, 0, red_dims.size());
  }
};

}  // namespace

void lp_norm_f32_ref(const Tensor& x, int64_t axis, int64_t p, Tensor& y) {
  std::vector<bool> reduced(x.rank(), false);
  reduced[static_cast<size_t>(axis)] = true;
  const SliceWalk w(x.shape(), reduced);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t s : w.slices) {
    double norm = 0;
    for (int64_t e : w.elements) {
      const double v = px[s + e];
      norm += p == 1 ? std::fabs(v) : v * v;
    }
    if (p == 2) norm = std::sqrt(norm);
    for (int64_t e : w.elements) py[s + e] = norm == 0 ? 0.0f : static_cast<float>(px[s + e] / norm);
  }
}

void mean_variance_norm_f32_ref(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y) {
  std::vector<bool> reduced(x.rank(), false);
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  const SliceWalk w(x.shape(), reduced);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  const auto count = static_cast<double>(w.elements.size());
  for (int64_t s : w.slices) {
    double mu = 0;
    for (int64_t e : w.elements) mu += px[s + e];
    mu /= count;
    double var = 0;
    for (int64_t e : w.elements) var += (px[s + e] - mu) * (px[s + e] - mu);
    var /= count;
    const double denom = std::sqrt(var) + 1e-9;
    for (int64_t e : w.elements) py[s + e] = static_cast<float>((px[s + e] - mu) / denom);
  }
}

namespace {

Result<int64_t> normalized_axis(const NodeView& node, int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    return node.error(StatusCode::kInvalidArgument,
                      "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  }
  return axis < 0 ? axis + r : axis;
}

Status run_lp_norm(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  FS_ASSIGN_OR_RETURN(const int64_t axis, normalized_axis(ctx.node, ctx.node.attr_int("axis", -1), x.rank()));
  const int64_t p = ctx.node.attr_int("p", 2);
  if (p != 1 && p != 2) {
    return ctx.node.error(StatusCode::kInvalidArgument, "attribute p = " + std::to_string(p) + " must be 1 or 2");
  }
  lp_norm_f32_ref(x, axis, p, *ctx.outputs[0]);
  return ok_status();
}

Status run_mean_variance_norm(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  std::vector<int64_t> axes;
  for (int64_t a : ctx.node.attr_ints("axes", {0, 2, 3})) {
    FS_ASSIGN_OR_RETURN(const int64_t axis, normalized_axis(ctx.node, a, x.rank()));
    axes.push_back(axis);
  }
  mean_variance_norm_f32_ref(x, axes, *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_lp_norm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "lp_norm_f32__ref", .op_type = "LpNormalization", .dtype = DType::kF32,
                   .run = &run_lp_norm});
  r.add(KernelDesc{.name = "mean_variance_norm_f32__ref", .op_type = "MeanVarianceNormalization",
                   .dtype = DType::kF32, .run = &run_mean_variance_norm});
}

}  // namespace fastserve
