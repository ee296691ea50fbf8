// Widen f16/bf16 tensors to f32, run an f32 kernel, round back (run_via_f32.h).
#include "kernels/ref/run_via_f32.h"

#include <optional>
#include <vector>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/typed_registration.h"

namespace fastserve {
namespace {

bool is_16bit_float(DType dt) { return dt == DType::kF16 || dt == DType::kBF16; }

Tensor widen(const Tensor& t) {
  Tensor w = Tensor::empty(DType::kF32, t.shape());
  float* d = w.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = static_cast<float>(t.element_as_double(i));
  return w;
}

void narrow_into(const Tensor& f32, Tensor& out) {
  const float* s = f32.data<float>();
  for_each_type<TypeList<Half, BFloat16>>([&]<typename T>() {
    if (out.dtype() != DTypeOf<T>::value) return;
    T* d = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) d[i] = from_compute<T>(s[i]);
  });
}

}  // namespace

Status run_via_f32(const KernelContext& ctx, RunFn f32_run) {
  std::vector<std::optional<Tensor>> wide_in(ctx.inputs.size()), wide_out(ctx.outputs.size());
  std::vector<const Tensor*> ins(ctx.inputs.begin(), ctx.inputs.end());
  std::vector<Tensor*> outs(ctx.outputs.begin(), ctx.outputs.end());
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i] != nullptr && is_16bit_float(ins[i]->dtype())) ins[i] = &wide_in[i].emplace(widen(*ins[i]));
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    if (outs[i] != nullptr && is_16bit_float(outs[i]->dtype())) {
      outs[i] = &wide_out[i].emplace(Tensor::empty(DType::kF32, outs[i]->shape()));
    }
  }
  const KernelContext wide{ctx.node, ins, outs, ctx.state, ctx.pool};
  FS_RETURN_IF_ERROR(f32_run(wide));
  for (size_t i = 0; i < outs.size(); ++i) {
    if (wide_out[i]) narrow_into(*wide_out[i], *ctx.outputs[i]);
  }
  return ok_status();
}

}  // namespace fastserve
