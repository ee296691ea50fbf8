// Reference Cast and CastLike (opset 15+; the target type is input 1's)
// between every pair of f32, f16, bf16, f64, i8, u8, i16, u16, i32, i64,
// u32, u64, bool and the low-precision storage types float8 (E4M3FN,
// E4M3FNUZ, E5M2, E5M2FNUZ, E8M0), float4 E2M1, int4, uint4, int2, uint2
// (ONNX opsets 11-28).
//
// Semantics, element by element (dense layout, one output per input):
//   int/bool -> int:   C++ static_cast (two's complement wrap, as ORT).
//   float -> int:      truncation toward zero. Undefined in C++ for NaN and
//                      out-of-range values, so defined here: NaN -> 0, out of
//                      range saturates to the type's min/max
//                      (saturating_float_to_int in elementwise_ref.h).
//   float -> int4/int2 (and unsigned): truncation, then the low bits
//                      (fastserve/low_precision.h: ONNX's reference wraps).
//   any -> bool:       x != 0 (NaN -> true, -0.0 -> false).
//   bool -> any:       0 or 1.
//   -> f16/bf16:       through f32, round to nearest even (f64 and 64-bit
//                      integer sources therefore round twice; ORT does too).
//   -> float8/float4:  through f32 the same way, then low_precision.h's
//                      rounding; the `saturate` attribute (opset 19+,
//                      default 1) and `round_mode` (opset 24+, "up" default;
//                      E8M0 only) are read at prepare.
//   f16/bf16/float8/float4 ->: exact widening to f32 first.
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "fastserve/low_precision.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

template <typename T>
struct Tag {
  using type = T;
};

// Calls fn(Tag<T>{}) for the storage type of `t`; false when `t` is not castable.
template <typename Fn>
bool visit_castable(DType t, Fn&& fn) {
  switch (t) {
    case DType::kF32:
      fn(Tag<float>{});
      return true;
    case DType::kF64:
      fn(Tag<double>{});
      return true;
    case DType::kF16:
      fn(Tag<Half>{});
      return true;
    case DType::kBF16:
      fn(Tag<BFloat16>{});
      return true;
    case DType::kI8:
      fn(Tag<int8_t>{});
      return true;
    case DType::kU8:
      fn(Tag<uint8_t>{});
      return true;
    case DType::kI16:
      fn(Tag<int16_t>{});
      return true;
    case DType::kU16:
      fn(Tag<uint16_t>{});
      return true;
    case DType::kI32:
      fn(Tag<int32_t>{});
      return true;
    case DType::kI64:
      fn(Tag<int64_t>{});
      return true;
    case DType::kU32:
      fn(Tag<uint32_t>{});
      return true;
    case DType::kU64:
      fn(Tag<uint64_t>{});
      return true;
    case DType::kBool:
      fn(Tag<bool>{});
      return true;
    case DType::kF8E4M3FN:
      fn(Tag<Float8E4M3FN>{});
      return true;
    case DType::kF8E4M3FNUZ:
      fn(Tag<Float8E4M3FNUZ>{});
      return true;
    case DType::kF8E5M2:
      fn(Tag<Float8E5M2>{});
      return true;
    case DType::kF8E5M2FNUZ:
      fn(Tag<Float8E5M2FNUZ>{});
      return true;
    case DType::kF8E8M0:
      fn(Tag<Float8E8M0>{});
      return true;
    case DType::kF4E2M1:
      fn(Tag<Float4E2M1>{});
      return true;
    case DType::kI4:
      fn(Tag<Int4>{});
      return true;
    case DType::kU4:
      fn(Tag<UInt4>{});
      return true;
    case DType::kI2:
      fn(Tag<Int2>{});
      return true;
    case DType::kU2:
      fn(Tag<UInt2>{});
      return true;
    default:
      return false;
  }
}

// The value of a stored element in a C++ arithmetic type: 16-bit and
// smaller floats widen to float (exactly), sub-byte integers to their value,
// everything else is itself. Sub-byte integers are re-extended from their
// low bits, so any stored byte reads as an in-range value.
template <typename S>
auto load(S v) {
  return v;
}
float load(Half v) { return half_to_float(v.bits); }
float load(BFloat16 v) { return bf16_to_float(v.bits); }
float load(Float8E4M3FN v) { return f8e4m3fn_to_float(v.bits); }
float load(Float8E4M3FNUZ v) { return f8e4m3fnuz_to_float(v.bits); }
float load(Float8E5M2 v) { return f8e5m2_to_float(v.bits); }
float load(Float8E5M2FNUZ v) { return f8e5m2fnuz_to_float(v.bits); }
float load(Float8E8M0 v) { return f8e8m0_to_float(v.bits); }
float load(Float4E2M1 v) { return f4e2m1_to_float(v.bits); }
int8_t load(Int4 v) { return wrap_to_int4(v.value); }
uint8_t load(UInt4 v) { return wrap_to_uint4(v.value); }
int8_t load(Int2 v) { return wrap_to_int2(v.value); }
uint8_t load(UInt2 v) { return wrap_to_uint2(v.value); }

// Attributes that shape the conversion (float8 targets only).
struct CastAttrs {
  bool saturate = true;
  E8M0Rounding round_mode = E8M0Rounding::kUp;
};

// The integer a value becomes before a sub-byte target keeps its low bits.
template <typename V>
int64_t integer_value(V v) {
  if constexpr (std::is_same_v<V, bool>) {
    return v ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<V>) {
    return saturating_float_to_int<int64_t>(static_cast<double>(v));
  } else {
    return static_cast<int64_t>(v);  // uint64 beyond int64 wraps; the low bits are kept either way
  }
}

template <typename D, typename V>
D convert(V v, const CastAttrs& a) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != V{0};
  } else if constexpr (std::is_same_v<D, Half>) {
    return Half{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, BFloat16>) {
    return BFloat16{float_to_bf16(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, Float8E4M3FN>) {
    return D{float_to_f8e4m3fn(static_cast<float>(v), a.saturate)};
  } else if constexpr (std::is_same_v<D, Float8E4M3FNUZ>) {
    return D{float_to_f8e4m3fnuz(static_cast<float>(v), a.saturate)};
  } else if constexpr (std::is_same_v<D, Float8E5M2>) {
    return D{float_to_f8e5m2(static_cast<float>(v), a.saturate)};
  } else if constexpr (std::is_same_v<D, Float8E5M2FNUZ>) {
    return D{float_to_f8e5m2fnuz(static_cast<float>(v), a.saturate)};
  } else if constexpr (std::is_same_v<D, Float8E8M0>) {
    return D{float_to_f8e8m0(static_cast<float>(v), a.saturate, a.round_mode)};
  } else if constexpr (std::is_same_v<D, Float4E2M1>) {
    return D{float_to_f4e2m1(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, Int4>) {
    return D{wrap_to_int4(integer_value(v))};
  } else if constexpr (std::is_same_v<D, UInt4>) {
    return D{wrap_to_uint4(integer_value(v))};
  } else if constexpr (std::is_same_v<D, Int2>) {
    return D{wrap_to_int2(integer_value(v))};
  } else if constexpr (std::is_same_v<D, UInt2>) {
    return D{wrap_to_uint2(integer_value(v))};
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point_v<V>) {
    return saturating_float_to_int<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v);
  }
}

template <typename S, typename D>
void cast_loop(const S* src, D* dst, int64_t n, const CastAttrs& a) {
  for (int64_t i = 0; i < n; ++i) dst[i] = convert<D>(load(src[i]), a);
}

Status prepare_cast(const NodeView& node, PrepareContext& ctx) {
  CastAttrs a;
  a.saturate = node.attr_int("saturate", 1) != 0;
  const std::string mode = node.attr_string("round_mode", "up");
  if (mode == "up") {
    a.round_mode = E8M0Rounding::kUp;
  } else if (mode == "down") {
    a.round_mode = E8M0Rounding::kDown;
  } else if (mode == "nearest") {
    a.round_mode = E8M0Rounding::kNearest;
  } else {
    return node.error(StatusCode::kInvalidModel,
                      "round_mode '" + mode.substr(0, 40) + "' is not one of 'up', 'down', 'nearest'");
  }
  ctx.state = std::make_shared<CastAttrs>(a);
  return ok_status();
}

Status run_cast(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.dtype() == y.dtype()) {
    if (x.nbytes() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
    return ok_status();
  }
  const int64_t n = x.numel();
  const CastAttrs& attrs = ctx.state_as<CastAttrs>();
  bool dst_ok = false;
  const bool src_ok = visit_castable(x.dtype(), [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    dst_ok = visit_castable(y.dtype(), [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      cast_loop(static_cast<const S*>(x.raw_data()), static_cast<D*>(y.raw_data()), n, attrs);
    });
  });
  if (!src_ok || !dst_ok) {
    return ctx.node.error(StatusCode::kUnsupported, std::string("cast from ") + dtype_name(x.dtype()) +
                                                        " to " + dtype_name(y.dtype()) + " is not supported");
  }
  return ok_status();
}

bool cast_types_supported(const NodeView& node) {
  const auto noop = [](auto) {};
  const Attribute* to = node.attr("to");
  return to != nullptr && visit_castable(node.input_dtype(0), noop) &&
         visit_castable(dtype_from_onnx(static_cast<int32_t>(to->i)), noop);
}

// CastLike: the target is the second input's dtype; its values are unused.
bool cast_like_types_supported(const NodeView& node) {
  const auto noop = [](auto) {};
  return node.has_input(1) && visit_castable(node.input_dtype(0), noop) &&
         visit_castable(node.input_dtype(1), noop);
}

}  // namespace

void register_ref_cast_kernels(KernelRegistry& r) {
  r.add({.name = "cast__ref",
         .op_type = "Cast",
         .dtype = DType::kUndefined,
         .accepts = cast_types_supported,
         .prepare = prepare_cast,
         .run = run_cast});
  // run_cast converts to the output's dtype, which inference took from input 1.
  r.add({.name = "cast_like__ref",
         .op_type = "CastLike",
         .since_version = 15,
         .dtype = DType::kUndefined,
         .accepts = cast_like_types_supported,
         .prepare = prepare_cast,
         .run = run_cast});
}

}  // namespace fastserve
