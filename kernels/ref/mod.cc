// Reference Mod (opset 10+) with numpy multidirectional broadcasting, for
// f32, f64 and every integer type.
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
#include "kernels/ref/elementwise_ref.h"
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
  if (!fmod && (dt == DType::kF32 || dt == DType::kF64) && node.opset() < kFloatFlooredModOpset) {
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
    if (std::is_integral_v<T> && pb[ib] == 0) {
      divided_by_zero = true;
      py[i] = 0;
      return;
    }
    py[i] = mod_element(pa[ia], pb[ib], fmod);
  });
  if (divided_by_zero) return ctx.node.error(StatusCode::kInvalidArgument, "integer modulo by zero");
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <typename T>
void add_mod(KernelRegistry& r, const char* name) {
  r.add({.name = name,
         .op_type = "Mod",
         .since_version = 10,
         .dtype = DTypeOf<T>::value,
         .accepts = same_input_dtypes,
         .prepare = prepare_mod,
         .run = run_mod<T>});
}

}  // namespace

void register_ref_mod_kernels(KernelRegistry& r) {
  add_mod<float>(r, "mod_f32__ref");
  add_mod<double>(r, "mod_f64__ref");
  add_mod<int8_t>(r, "mod_i8__ref");
  add_mod<int16_t>(r, "mod_i16__ref");
  add_mod<int32_t>(r, "mod_i32__ref");
  add_mod<int64_t>(r, "mod_i64__ref");
  add_mod<uint8_t>(r, "mod_u8__ref");
  add_mod<uint16_t>(r, "mod_u16__ref");
  add_mod<uint32_t>(r, "mod_u32__ref");
  add_mod<uint64_t>(r, "mod_u64__ref");
}

}  // namespace fastserve
