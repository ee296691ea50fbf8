// Reference Cast and CastLike (opset 15+; the target type is input 1's)
// between every pair of f32, f16, bf16, f64, i8, u8, i16, u16,
// i32, i64, u32, u64 and bool (ONNX opsets 11-28; the opset 19 `saturate`
// attribute only concerns float8 types, which are not supported).
//
// Semantics, element by element (dense layout, one output per input):
//   int/bool -> int:   C++ static_cast (two's complement wrap, as ORT).
//   float -> int:      truncation toward zero. Undefined in C++ for NaN and
//                      out-of-range values, so defined here: NaN -> 0, out of
//                      range saturates to the type's min/max
//                      (saturating_float_to_int in elementwise_ref.h).
//   any -> bool:       x != 0 (NaN -> true, -0.0 -> false).
//   bool -> any:       0 or 1.
//   -> f16/bf16:       through f32, round to nearest even (f64 and 64-bit
//                      integer sources therefore round twice; ORT does too).
//   f16/bf16 ->:       exact widening to f32 first.
#include <cstring>
#include <type_traits>

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
    default:
      return false;
  }
}

// The value of a stored element in a C++ arithmetic type: 16-bit floats widen
// to float, everything else is itself.
template <typename S>
auto load(S v) {
  return v;
}
float load(Half v) { return half_to_float(v.bits); }
float load(BFloat16 v) { return bf16_to_float(v.bits); }

template <typename D, typename V>
D convert(V v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != V{0};
  } else if constexpr (std::is_same_v<D, Half>) {
    return Half{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, BFloat16>) {
    return BFloat16{float_to_bf16(static_cast<float>(v))};
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point_v<V>) {
    return saturating_float_to_int<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v);
  }
}

template <typename S, typename D>
void cast_loop(const S* src, D* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = convert<D>(load(src[i]));
}

Status run_cast(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.dtype() == y.dtype()) {
    if (x.nbytes() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
    return ok_status();
  }
  const int64_t n = x.numel();
  bool dst_ok = false;
  const bool src_ok = visit_castable(x.dtype(), [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    dst_ok = visit_castable(y.dtype(), [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      cast_loop(static_cast<const S*>(x.raw_data()), static_cast<D*>(y.raw_data()), n);
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
         .run = run_cast});
  // run_cast converts to the output's dtype, which inference took from input 1.
  r.add({.name = "cast_like__ref",
         .op_type = "CastLike",
         .since_version = 15,
         .dtype = DType::kUndefined,
         .accepts = cast_like_types_supported,
         .run = run_cast});
}

}  // namespace fastserve
