// Element types. Storage covers what ONNX models carry; compute is f32 plus
// the integer ops shape arithmetic needs. f16/bf16 are stored as raw 16-bit
// patterns (Half, BFloat16) and converted with the helpers below.
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

}  // namespace fastserve
