// Storage type -> compute type for the reference kernels.
//
// Half and BFloat16 are bare 16-bit patterns with no arithmetic. A reference
// kernel templated on its element type T loads each element as compute_t<T>
// (float for the two 16-bit floats, T itself for every other type), computes,
// and stores the result back, rounding once to nearest even. For + - * / and
// comparisons this is exactly the 16-bit IEEE result numpy gives (float keeps
// more than 2p + 2 significand bits for both formats, so the double rounding
// f32 -> f16 cannot differ from rounding the exact value); transcendentals
// computed in double and stored through float may, rarely, differ from a
// single rounding by one 16-bit ulp.
//
// One template serves every dtype, so adding a dtype to a kernel is one
// registration line, not a copy of the kernel.
#pragma once

#include <type_traits>

#include "fastserve/dtype.h"

namespace fastserve {

template <typename T>
struct ComputeType {
  using type = T;
};
template <>
struct ComputeType<Half> {
  using type = float;
};
template <>
struct ComputeType<BFloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename ComputeType<T>::type;

// True for float, double, Half and BFloat16.
template <typename T>
inline constexpr bool kIsFloatStorage = std::is_floating_point_v<compute_t<T>>;

template <typename T>
compute_t<T> to_compute(T v) {
  if constexpr (std::is_same_v<T, Half>) {
    return half_to_float(v.bits);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return bf16_to_float(v.bits);
  } else {
    return v;
  }
}

// Stores a compute value (or any arithmetic value convertible to it) as T.
template <typename T, typename V>
T from_compute(V v) {
  if constexpr (std::is_same_v<T, Half>) {
    return Half{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16{float_to_bf16(static_cast<float>(v))};
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace fastserve
