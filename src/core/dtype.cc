// DType tables and the f16/bf16 <-> f32 bit conversions.
//
// The conversions are written on bit patterns (IEEE 754-2008 binary16 /
// bfloat16) so they are exact for every input, including subnormals, and do
// not depend on F16C (this file is compiled for baseline x86-64).
#include "fastserve/dtype.h"

namespace fastserve {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kU8: return 1;
    case DType::kI8: return 1;
    case DType::kU16: return 2;
    case DType::kI16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kBool: return 1;
    case DType::kF16: return 2;
    case DType::kF64: return 8;
    case DType::kU32: return 4;
    case DType::kU64: return 8;
    case DType::kBF16: return 2;
    // Low-precision types: one byte per element, sub-byte ones unpacked (dtype.h).
    case DType::kF8E4M3FN: case DType::kF8E4M3FNUZ: case DType::kF8E5M2: case DType::kF8E5M2FNUZ:
    case DType::kF8E8M0: case DType::kF4E2M1: case DType::kI4: case DType::kU4: case DType::kI2:
    case DType::kU2: return 1;
    case DType::kString:
    case DType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "float32";
    case DType::kU8: return "uint8";
    case DType::kI8: return "int8";
    case DType::kU16: return "uint16";
    case DType::kI16: return "int16";
    case DType::kI32: return "int32";
    case DType::kI64: return "int64";
    case DType::kString: return "string";
    case DType::kBool: return "bool";
    case DType::kF16: return "float16";
    case DType::kF64: return "float64";
    case DType::kU32: return "uint32";
    case DType::kU64: return "uint64";
    case DType::kBF16: return "bfloat16";
    // ml_dtypes' names, which numpy users see for these types.
    case DType::kF8E4M3FN: return "float8_e4m3fn";
    case DType::kF8E4M3FNUZ: return "float8_e4m3fnuz";
    case DType::kF8E5M2: return "float8_e5m2";
    case DType::kF8E5M2FNUZ: return "float8_e5m2fnuz";
    case DType::kF8E8M0: return "float8_e8m0fnu";
    case DType::kF4E2M1: return "float4_e2m1fn";
    case DType::kI4: return "int4";
    case DType::kU4: return "uint4";
    case DType::kI2: return "int2";
    case DType::kU2: return "uint2";
    case DType::kUndefined: return "undefined";
  }
  return "undefined";
}

const char* dtype_v2_name(DType t) {
  // KServe v2 / Triton datatype names.
  switch (t) {
    case DType::kF32: return "FP32";
    case DType::kU8: return "UINT8";
    case DType::kI8: return "INT8";
    case DType::kU16: return "UINT16";
    case DType::kI16: return "INT16";
    case DType::kI32: return "INT32";
    case DType::kI64: return "INT64";
    case DType::kString: return "BYTES";
    case DType::kBool: return "BOOL";
    case DType::kF16: return "FP16";
    case DType::kF64: return "FP64";
    case DType::kU32: return "UINT32";
    case DType::kU64: return "UINT64";
    case DType::kBF16: return "BF16";
    case DType::kUndefined: return "INVALID";
    default: return "INVALID";  // the v2 protocol has no names for the low-precision types
  }
  return "INVALID";
}

DType dtype_from_v2_name(std::string_view name) {
  for (DType t : {DType::kF32, DType::kI64, DType::kI32, DType::kU8, DType::kI8, DType::kBool, DType::kF16,
                  DType::kBF16, DType::kF64, DType::kI16, DType::kU16, DType::kU32, DType::kU64, DType::kString})
    if (name == dtype_v2_name(t)) return t;
  return DType::kUndefined;
}

DType dtype_from_onnx(int32_t onnx_type) {
  switch (onnx_type) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
    case 10: case 11: case 12: case 13: case 16:
    case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 24: case 25: case 26:
      return static_cast<DType>(onnx_type);
    default:
      // 14/15 are complex, 27+ (float6, ...): not representable here.
      return DType::kUndefined;
  }
}

bool dtype_is_storable(DType t) { return dtype_size(t) != 0; }

bool dtype_is_float(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

bool dtype_is_integer(DType t) {
  switch (t) {
    case DType::kU8: case DType::kI8: case DType::kU16: case DType::kI16:
    case DType::kI32: case DType::kI64: case DType::kU32: case DType::kU64:
      return true;
    default:
      return false;
  }
}

bool dtype_is_low_precision(DType t) {
  const int32_t v = static_cast<int32_t>(t);
  return v >= static_cast<int32_t>(DType::kF8E4M3FN) && v <= static_cast<int32_t>(DType::kI2);
}

int dtype_packed_bits(DType t) {
  switch (t) {
    case DType::kI4: case DType::kU4: case DType::kF4E2M1: return 4;
    case DType::kI2: case DType::kU2: return 2;
    default: return 0;
  }
}

namespace {
uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  int32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000u | (man << 13));  // inf / NaN (payload kept)
  if (exp == 0) {
    if (man == 0) return bits_float(sign);  // +-0
    // Subnormal: normalize so the implicit bit is set; each shift lowers the exponent.
    exp = 1;
    while ((man & 0x400u) == 0) {
      man <<= 1;
      --exp;
    }
    man &= 0x3ffu;
  }
  // Rebias 15 -> 127.
  return bits_float(sign | (static_cast<uint32_t>(exp + 112) << 23) | (man << 13));
}

uint16_t float_to_half(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) {
    // NaN: keep it quiet and keep the top payload bits.
    return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  }
  // 65520 (0x477ff000) is halfway between the largest half (65504) and 2^16;
  // ties-to-even rounds it up, so everything from there on is infinity.
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (ax < 0x38800000u) {
    // Result is a half subnormal (or zero): units of 2^-24.
    const uint32_t e = ax >> 23;
    if (e < 102) return sign;  // below 2^-25: rounds to zero
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // in [14, 24]
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;  // may carry into the smallest normal
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias 127 -> 15 and drop 13 mantissa bits with round-to-nearest-even.
  uint32_t h = (ax - 0x38000000u) >> 13;
  const uint32_t rem = ax & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent
  return static_cast<uint16_t>(sign | h);
}

uint16_t float_to_bf16(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    // NaN: truncation could clear every payload bit left and make an infinity.
    return static_cast<uint16_t>((x >> 16) | 0x0040u);
  }
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

}  // namespace fastserve
