// Reference BitShift with numpy multidirectional broadcasting: X << Y or
// X >> Y by the `direction` attribute ("LEFT" or "RIGHT", required), on u8,
// u16, u32, u64 (opset 11) and i8, i16, i32, i64 (opset 28).
//
// BitShift-28 defines what C++ leaves undefined: a shift by the type's width
// or more, or (signed) by a negative amount, gives what the sign extension
// alone produces: -1 for a right shift of a negative X, else 0. A signed
// right shift is arithmetic (C++20 defines >> so); a signed left shift
// discards the bits pushed past the sign bit, so it is done on the unsigned
// bit pattern.
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ShiftAttrs {
  bool left = true;
};

Status prepare_bitshift(const NodeView& node, PrepareContext& ctx) {
  const std::string direction = node.attr_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return node.error(StatusCode::kInvalidArgument,
                      "attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
  }
  ctx.state = std::make_shared<ShiftAttrs>(ShiftAttrs{direction == "LEFT"});
  return ok_status();
}

template <typename T>
T shift_element(T x, T s, bool left) {
  using U = std::make_unsigned_t<T>;
  constexpr int kBits = static_cast<int>(sizeof(T) * 8);
  bool out_of_range = false;
  if constexpr (std::is_signed_v<T>) out_of_range = s < 0;
  out_of_range = out_of_range || static_cast<U>(s) >= static_cast<U>(kBits);
  if (out_of_range) {
    if constexpr (std::is_signed_v<T>) {
      if (!left && x < 0) return T{-1};
    }
    return T{0};
  }
  const int n = static_cast<int>(s);
  // Integer promotion makes narrow types shift as int: go through U, which
  // the result is truncated back to, and only then reinterpret as T.
  if (left) return static_cast<T>(static_cast<U>(static_cast<U>(x) << n));
  return static_cast<T>(x >> n);  // arithmetic for signed T (C++20)
}

template <typename T>
Status run_bitshift(const KernelContext& ctx) {
  const bool left = ctx.state_as<ShiftAttrs>().left;
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  for_each_broadcast(y.shape(), a.shape(), b.shape(),
                     [&](int64_t i, int64_t ia, int64_t ib) { py[i] = shift_element(pa[ia], pb[ib], left); });
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <typename T>
void add_bitshift(KernelRegistry& r, int since) {
  r.add({.name = ref_kernel_name("bitshift", DTypeOf<T>::value),
         .op_type = "BitShift",
         .since_version = since,
         .dtype = DTypeOf<T>::value,
         .accepts = same_input_dtypes,
         .prepare = prepare_bitshift,
         .run = run_bitshift<T>});
}

}  // namespace

void register_ref_bitshift_kernels(KernelRegistry& r) {
  for_each_type<TypeList<uint8_t, uint16_t, uint32_t, uint64_t>>(
      [&]<typename T>() { add_bitshift<T>(r, 11); });
  for_each_type<TypeList<int8_t, int16_t, int32_t, int64_t>>([&]<typename T>() { add_bitshift<T>(r, 28); });
}

}  // namespace fastserve
