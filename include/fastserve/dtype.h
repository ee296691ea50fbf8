// Element types. Storage covers what ONNX models carry; compute is f32 plus
// the integer ops shape arithmetic needs. f16/bf16 are stored as raw 16-bit
// patterns (Half, BFloat16) and converted with the helpers below.
//
// The low-precision types (ONNX 17-26: float8 x5, float4, int4/uint4,
// int2/uint2) are storage types: graph inputs, outputs and initializers may
// have them, data-movement ops carry them, and Cast/CastLike convert them
// (fastserve/low_precision.h). Sub-byte types are stored UNPACKED, one
// element per byte, so every tensor keeps one byte address per element and
// indexing, slicing and element sizes need no special case; ONNX's packed
// form (two 4-bit or four 2-bit elements per byte, first element in the low
// bits) exists only at the boundary, where the TensorProto reader unpacks
// (src/onnx/onnx_tensor_reader.cc). Byte contents, kept in range by whoever
// writes them: int4/int2 the sign-extended value (an int8), uint4/uint2 the
// value (a uint8), float4e2m1 its 4-bit code in the low nibble, float8 types
// their 8-bit code.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace fastserve {

// Values equal ONNX's TensorProto.DataType so conversion is a cast after a range check.
enum class DType : int32_t {
  kUndefined = 0,
  kF32 = 1,
  kU8 = 2,
  kI8 = 3,
  kU16 = 4,
  kI16 = 5,
  kI32 = 6,
  kI64 = 7,
  kString = 8,  // recognised so the reader can name it; not supported as data
  kBool = 9,
  kF16 = 10,
  kF64 = 11,
  kU32 = 12,
  kU64 = 13,
  kBF16 = 16,
  kF8E4M3FN = 17,    // 1-4-3, bias 7, no infinities, NaN S.1111.111
  kF8E4M3FNUZ = 18,  // 1-4-3, bias 8, no infinities, no -0, NaN 0x80
  kF8E5M2 = 19,      // 1-5-2, bias 15, IEEE-like (infinities and NaNs)
  kF8E5M2FNUZ = 20,  // 1-5-2, bias 16, no infinities, no -0, NaN 0x80
  kU4 = 21,          // stored unpacked: one element per byte (see above)
  kI4 = 22,
  kF4E2M1 = 23,      // 1-2-1, bias 1, no infinities or NaN; unpacked
  kF8E8M0 = 24,      // 8-bit exponent only: 2^(e-127), 0xFF NaN (MX scales)
  kU2 = 25,
  kI2 = 26,
};

// Size of one element in bytes; 0 for kUndefined/kString.
size_t dtype_size(DType t);
// "float32", "float16", "int64", ... (numpy-style names, used in messages and JSON).
const char* dtype_name(DType t);
// Triton/KServe v2 names: "FP32", "INT64", "BOOL", ...
const char* dtype_v2_name(DType t);
// Parses a v2 name ("FP32", ..., "BYTES" -> kString); kUndefined when unknown.
DType dtype_from_v2_name(std::string_view name);
// Parses an ONNX TensorProto.DataType value; kUndefined when unknown.
DType dtype_from_onnx(int32_t onnx_type);
// Whether tensors of this type can be stored and moved (all fixed-size types).
bool dtype_is_storable(DType t);
bool dtype_is_float(DType t);     // f16, bf16, f32, f64
bool dtype_is_integer(DType t);   // signed and unsigned ints (not bool)
// The ONNX 17-26 storage types above (float8, float4, int4, int2 families);
// neither dtype_is_float nor dtype_is_integer holds for them.
bool dtype_is_low_precision(DType t);
// Bits per element in ONNX's packed form: 4 or 2 for sub-byte types, else 0.
int dtype_packed_bits(DType t);

// 16-bit float bit patterns. Round-to-nearest-even on the way down.
struct Half { uint16_t bits; };
struct BFloat16 { uint16_t bits; };

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
inline float bf16_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t float_to_bf16(float f);

// Storage types of the low-precision dtypes (one byte each; see above).
struct Float8E4M3FN { uint8_t bits; };
struct Float8E4M3FNUZ { uint8_t bits; };
struct Float8E5M2 { uint8_t bits; };
struct Float8E5M2FNUZ { uint8_t bits; };
struct Float8E8M0 { uint8_t bits; };
struct Float4E2M1 { uint8_t bits; };  // low nibble
struct Int4 { int8_t value; };        // -8..7
struct UInt4 { uint8_t value; };      // 0..15
struct Int2 { int8_t value; };        // -2..1
struct UInt2 { uint8_t value; };      // 0..3

// Maps a C++ element type to its DType (for typed Tensor accessors).
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kF64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kU8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kI8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kU16; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kI16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kI32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kI64; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kU32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kU64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kF16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBF16; };
template <> struct DTypeOf<Float8E4M3FN> { static constexpr DType value = DType::kF8E4M3FN; };
template <> struct DTypeOf<Float8E4M3FNUZ> { static constexpr DType value = DType::kF8E4M3FNUZ; };
template <> struct DTypeOf<Float8E5M2> { static constexpr DType value = DType::kF8E5M2; };
template <> struct DTypeOf<Float8E5M2FNUZ> { static constexpr DType value = DType::kF8E5M2FNUZ; };
template <> struct DTypeOf<Float8E8M0> { static constexpr DType value = DType::kF8E8M0; };
template <> struct DTypeOf<Float4E2M1> { static constexpr DType value = DType::kF4E2M1; };
template <> struct DTypeOf<Int4> { static constexpr DType value = DType::kI4; };
template <> struct DTypeOf<UInt4> { static constexpr DType value = DType::kU4; };
template <> struct DTypeOf<Int2> { static constexpr DType value = DType::kI2; };
template <> struct DTypeOf<UInt2> { static constexpr DType value = DType::kU2; };

}  // namespace fastserve
