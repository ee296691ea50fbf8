// Reference Softmax and LogSoftmax (f32) for ONNX opsets 11-28.
//
// The input is viewed as [outer, axis_len, inner] (see softmax_geometry in
// elementwise_ref.h for the opset 11-12 vs 13+ difference) and each of the
// outer*inner slices of axis_len strided elements is normalized:
//   softmax:    y = exp(x - max) / sum(exp(x - max))
//   logsoftmax: y = (x - max) - log(sum(exp(x - max)))
// Subtracting the max keeps exp from overflowing. Sums and exps are in double.
#include <cmath>
#include <string>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

SoftmaxAxis softmax_axis(const NodeView& node) {
  const bool coerce_2d = node.opset() < 13;
  return {node.attr_int("axis", coerce_2d ? 1 : -1), coerce_2d};
}

Result<SoftmaxGeometry> softmax_geometry(const SoftmaxAxis& sa, const Shape& shape) {
  const auto rank = static_cast<int64_t>(shape.rank());
  int64_t axis = sa.axis;
  if (axis < -rank || axis >= rank) {
    return invalid_argument("axis " + std::to_string(axis) + " is out of range for rank " +
                            std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  SoftmaxGeometry g;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t dim = shape[static_cast<size_t>(d)];
    if (d < axis) {
      g.outer *= dim;
    } else if (d == axis || sa.coerce_2d) {
      g.axis_len *= dim;
    } else {
      g.inner *= dim;
    }
  }
  return g;
}

namespace {

template <bool kLog>
Status run_softmax(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  Result<SoftmaxGeometry> geometry = softmax_geometry(softmax_axis(ctx.node), x.shape());
  if (!geometry.ok()) return geometry.status().with_context(ctx.node.describe());
  const SoftmaxGeometry g = geometry.value();
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t base = o * g.axis_len * g.inner + i;
      auto at = [&](int64_t a) { return base + a * g.inner; };
      float max = -INFINITY;
      for (int64_t a = 0; a < g.axis_len; ++a) max = std::fmax(max, px[at(a)]);
      double sum = 0.0;
      for (int64_t a = 0; a < g.axis_len; ++a) sum += std::exp(static_cast<double>(px[at(a)]) - max);
      const double log_sum = std::log(sum);
      for (int64_t a = 0; a < g.axis_len; ++a) {
        const double shifted = static_cast<double>(px[at(a)]) - max;
        py[at(a)] = static_cast<float>(kLog ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_softmax_kernels(KernelRegistry& r) {
  r.add({.name = "softmax_f32__ref", .op_type = "Softmax", .dtype = DType::kF32, .run = run_softmax<false>});
  r.add({.name = "log_softmax_f32__ref",
         .op_type = "LogSoftmax",
         .dtype = DType::kF32,
         .run = run_softmax<true>});
}

}  // namespace fastserve
