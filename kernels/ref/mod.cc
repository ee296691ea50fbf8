// Reference Mod (opset 10+) with numpy multidirectional broadcasting, for
// f32, f64, f16, bf16 (computed in float, compute_type.h) and every integer
// type.
//
// fmod = 0: the remainder takes the divisor's sign, as Python's % and
//   numpy.mod (Mod(-7, 3) = 2, Mod(7, -3) = -2). Floats allow it from opset
//   28 (numpy.mod: a zero remainder takes the divisor's sign, x mod +-inf is
//   x or +-inf); before 28 the spec (and shape inference) reject it.
// fmod = 1: C fmod, the remainder takes the dividend's sign (Mod(-7, 3) = -1).
// Cases C++ leaves undefined are defined here: x mod -1 is 0 (INT_MIN % -1
// traps on x86), and integer division by zero is an kInvalidArgument error
// naming the node, as for Div. Float fmod by 0 is NaN (IEEE).
#include <cmath>
#include <memory>
#include <type_traits>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Mod-28 defines fmod = 0 for floating-point inputs.
constexpr int64_t kFloatFlooredModOpset = 28;

struct ModAttrs {
  bool fmod = false;
};

Status prepare_mod(const NodeView& node, PrepareContext& ctx) {
  const bool fmod = node.attr_int("fmod", 0) != 0;
  const DType dt = node.input_dtype(0);
  if (!fmod && dtype_is_float(dt) && node.opset() < kFloatFlooredModOpset) {
    return node.error(StatusCode::kInvalidArgument, "fmod must be 1 for floating-point inputs");
  }
  ctx.state = std::make_shared<ModAttrs>(ModAttrs{fmod});
  return ok_status();
}

// b != 0 for integers.
template <typename T>
T mod_element(T a, T b, bool fmod) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = static_cast<T>(std::fmod(a, b));
    if (!fmod) {
      if (r != 0 && ((r < 0) != (b < 0))) r += b;  // -3 mod inf = inf, 1 mod -inf = -inf (numpy)
      if (r == 0) r = std::copysign(T{0}, b);
    }
    return r;
  } else {
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;
    }
    const T r = static_cast<T>(a % b);
    if constexpr (std::is_signed_v<T>) {
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) return static_cast<T>(r + b);
    }
    return r;
  }
}

template <typename T>
Status run_mod(const KernelContext& ctx) {
  const bool fmod = ctx.state_as<ModAttrs>().fmod;
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  bool divided_by_zero = false;
  for_each_broadcast(y.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    if constexpr (std::is_integral_v<T>) {
      if (pb[ib] == 0) {
        divided_by_zero = true;
        py[i] = 0;
        return;
      }
    }
    py[i] = from_compute<T>(mod_element(to_compute(pa[ia]), to_compute(pb[ib]), fmod));
  });
  if (divided_by_zero) return ctx.node.error(StatusCode::kInvalidArgument, "integer modulo by zero");
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

}  // namespace

void register_ref_mod_kernels(KernelRegistry& r) {
  for_each_type<RefNumericTypes>([&]<typename T>() {
    r.add({.name = ref_kernel_name("mod", DTypeOf<T>::value),
           .op_type = "Mod",
           .since_version = 10,
           .dtype = DTypeOf<T>::value,
           .accepts = same_input_dtypes,
           .prepare = prepare_mod,
           .run = run_mod<T>});
  });
}

}  // namespace fastserve
