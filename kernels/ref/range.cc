// Reference Range (opset 11+; f32, f64, i16, i32, i64; f16, bf16 from 27):
// output[i] = start + i * delta for i < max(ceil((limit - start) / delta), 0).
// The length comes from shape inference (resolve_range_length); integers are
// computed in int64 (wrapping, never UB) and f32/f64 in double, then stored
// in the type. f16/bf16 compute in the `stash_type` precision (Range-27:
// 1 = float, the default; 11 = double) and round each element once.
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/shape_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kStashFloat = 1;    // TensorProto.FLOAT
constexpr int64_t kStashDouble = 11;  // TensorProto.DOUBLE

struct RangeAttrs {
  bool stash_double = false;
};

Status prepare_range(const NodeView& node, PrepareContext& ctx) {
  const int64_t stash = node.attr_int("stash_type", kStashFloat);
  if (stash != kStashFloat && stash != kStashDouble) {
    return node.error(
        StatusCode::kInvalidArgument,
        "attribute 'stash_type' must be 1 (float) or 11 (double), got " + std::to_string(stash));
  }
  ctx.state = std::make_shared<RangeAttrs>(RangeAttrs{stash == kStashDouble});
  return ok_status();
}

template <typename T, typename Acc>
void fill_range(const KernelContext& ctx, T* py, int64_t n) {
  const auto s = static_cast<Acc>(ctx.inputs[0]->element_as_double(0));
  const auto d = static_cast<Acc>(ctx.inputs[2]->element_as_double(0));
  for (int64_t i = 0; i < n; ++i) py[i] = from_compute<T>(s + static_cast<Acc>(i) * d);
}

template <typename T>
Status run_range(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  T* py = y.data<T>();
  if constexpr (std::is_integral_v<T>) {
    const int64_t s = ctx.inputs[0]->element_as_int64(0), d = ctx.inputs[2]->element_as_int64(0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      py[i] = static_cast<T>(static_cast<uint64_t>(s) + static_cast<uint64_t>(i) * static_cast<uint64_t>(d));
    }
  } else if constexpr (std::is_same_v<compute_t<T>, T>) {
    fill_range<T, double>(ctx, py, y.numel());
  } else if (ctx.state_as<RangeAttrs>().stash_double) {
    fill_range<T, double>(ctx, py, y.numel());
  } else {
    fill_range<T, float>(ctx, py, y.numel());
  }
  return ok_status();
}

}  // namespace

void register_ref_range_kernels(KernelRegistry& r) {
  for_each_type<TypeList<float, double, int16_t, int32_t, int64_t>>([&]<typename T>() {
    r.add({.name = ref_kernel_name("range", DTypeOf<T>::value),
           .op_type = "Range",
           .since_version = 11,
           .dtype = DTypeOf<T>::value,
           .run = run_range<T>});
  });
  for_each_type<TypeList<Half, BFloat16>>([&]<typename T>() {
    r.add({.name = ref_kernel_name("range", DTypeOf<T>::value),
           .op_type = "Range",
           .since_version = 27,
           .dtype = DTypeOf<T>::value,
           .prepare = prepare_range,
           .run = run_range<T>});
  });
}

}  // namespace fastserve
