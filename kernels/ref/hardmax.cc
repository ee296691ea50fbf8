// hardmax_f32__ref: reference Hardmax, FP32. Like Softmax, the input is
// viewed as [outer, axis_len, inner] (softmax_geometry: opsets 11-12 coerce
// to 2-D at axis, default 1; opset 13+ use the single axis, default -1), and
// each slice gets 1 at the first occurrence of its maximum and 0 elsewhere.
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_hardmax(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Result<SoftmaxGeometry> geometry = softmax_geometry(softmax_axis(ctx.node), x.shape());
  if (!geometry.ok()) return geometry.status().with_context(ctx.node.describe());
  const SoftmaxGeometry g = geometry.value();
  const float* px = x.data<float>();
  float* py = ctx.outputs[0]->data<float>();
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t base = o * g.axis_len * g.inner + i;
      int64_t best = 0;
      for (int64_t a = 0; a < g.axis_len; ++a) {
        py[base + a * g.inner] = 0.0f;
        if (px[base + a * g.inner] > px[base + best * g.inner]) best = a;
      }
      if (g.axis_len > 0) py[base + best * g.inner] = 1.0f;
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_hardmax_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "hardmax_f32__ref", .op_type = "Hardmax", .since_version = 11, .dtype = DType::kF32,
                   .run = &run_hardmax});
}

}  // namespace fastserve
