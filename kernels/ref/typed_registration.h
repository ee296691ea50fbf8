// Registering one templated reference kernel for many element types.
//
// A reference kernel is written once as a template on its element type; this
// header lets its file register it for a list of types without a line (and a
// hand-written name) per type:
//
//   for_each_type<kRefIntTypes>([&]<typename T>() {
//     r.add({.name = ref_kernel_name("add", DTypeOf<T>::value), ..., .run = run_add<T>});
//   });
//
// and dispatch at run time on a second input's dtype (Pow's exponent):
//
//   return visit_dtype<kRefNumericTypes>(dt, [&]<typename E>() { return run<T, E>(ctx); }, unsupported);
#pragma once

#include <cstdint>
#include <string_view>

#include "fastserve/dtype.h"

namespace fastserve {

template <typename... Ts>
struct TypeList {};

using RefIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using RefFloatTypes = TypeList<float, double, Half, BFloat16>;
using RefNumericTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                                 uint16_t, uint32_t, uint64_t>;

// Calls fn.template operator()<T>() for each T of the list, in order.
template <typename List, typename Fn>
void for_each_type(Fn&& fn) {
  [&]<typename... Ts>(TypeList<Ts...>) { (fn.template operator()<Ts>(), ...); }(List{});
}

// fn.template operator()<T>() for the T of the list whose DType is `dt`, or
// otherwise() when none is.
template <typename List, typename Fn, typename Otherwise>
auto visit_dtype(DType dt, Fn&& fn, Otherwise&& otherwise) {
  using R = decltype(otherwise());
  R result{};
  bool found = false;
  [&]<typename... Ts>(TypeList<Ts...>) {
    ((!found && DTypeOf<Ts>::value == dt ? (result = fn.template operator()<Ts>(), found = true) : false),
     ...);
  }(List{});
  return found ? result : otherwise();
}

// The dtype's tag in kernel names (docs/naming.md): f32, f64, f16, bf16, i8 ..
// i64, u8 .. u64, bool; "any" for kUndefined.
const char* dtype_tag(DType dt);

// "<stem>_<dtype tag>__ref", e.g. ref_kernel_name("add", DType::kU8) is
// "add_u8__ref". The string lives as long as the program (KernelDesc::name is
// a plain pointer); asking twice gives the same pointer.
const char* ref_kernel_name(std::string_view stem, DType dt);

}  // namespace fastserve
