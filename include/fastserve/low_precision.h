// Conversions for the ONNX low-precision storage types (dtype.h): float8
// (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0), float4 E2M1, int4/uint4,
// int2/uint2, and the packing of sub-byte types at the ONNX boundary.
//
// Rules are those of ONNX Cast (opsets 19-25 spec text; onnx.reference and
// the backend node tests where the text is silent or differs, as noted):
//
// float -> float8 E4M3FN / E4M3FNUZ / E5M2 / E5M2FNUZ: round to nearest even
//   at the target's mantissa width (subnormals included). `saturate` (Cast's
//   attribute, default true) decides what happens when the *rounded* value
//   lies beyond the largest finite value, and for infinities:
//     saturate:      +-max finite (448, 240, 57344, 57344)
//     not saturate:  E4M3FN NaN (sign kept), E5M2 +-inf, FNUZ types NaN (0x80)
//   NaN stays NaN (E4M3FN and E5M2 keep the sign; FNUZ have one NaN, 0x80).
//   FNUZ types have no -0: -0 and negative values rounding to zero give 0.
//
// float -> float4 E2M1: round to nearest even, always saturating to +-6
//   (infinities too; ONNX's float4 page). E2M1 has no NaN: ONNX's float4
//   page says NaN -> 6, but the reference implementation (and so the node
//   tests, which compare the bits) gives a zero whose sign bit is the
//   opposite of the NaN's. We follow the reference: +NaN -> -0, -NaN -> +0.
//
// float -> float8 E8M0 (value 2^(code-127), 0xFF NaN, no zero, no sign):
//   the magnitude's exponent, rounded by `round_mode` (kUp: to the next power
//   of two unless exact, the default; kDown: truncate; kNearest: up when the
//   value is at least 1.5 times its power of two, ties up, as the reference).
//   A rounded exponent beyond [-127, 127], zero or an infinity saturates to
//   the nearest end (code 0 / 0xFE) when `saturate`, else is NaN (the spec's
//   table). NaN -> NaN. The sign is ignored (negative input is unspecified
//   in ONNX; the reference also reads only the exponent).
//
// float -> int4/uint4/int2/uint2: truncate toward zero (NaN -> 0, beyond the
//   int64 range saturating there), then keep the low 4 or 2 bits (two's
//   complement). ONNX leaves float -> integer out of range undefined; its
//   reference and node tests wrap (-9.0 -> int4 7), so these targets wrap
//   where the 8-bit-and-wider integer targets of Cast saturate.
// integer -> int4/...: keep the low bits (ONNX's rule for integer narrowing).
//
// Every decoding (code -> float) is exact. Codes passed to the decoders may
// hold anything in their unused high bits; they are masked.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fastserve/dtype.h"

namespace fastserve {

// float8 codes -> value.
float f8e4m3fn_to_float(uint8_t code);
float f8e4m3fnuz_to_float(uint8_t code);
float f8e5m2_to_float(uint8_t code);
float f8e5m2fnuz_to_float(uint8_t code);
// value -> float8 code, with Cast's `saturate` rule (see above).
uint8_t float_to_f8e4m3fn(float f, bool saturate = true);
uint8_t float_to_f8e4m3fnuz(float f, bool saturate = true);
uint8_t float_to_f8e5m2(float f, bool saturate = true);
uint8_t float_to_f8e5m2fnuz(float f, bool saturate = true);

// float4 E2M1: the code is the low nibble.
float f4e2m1_to_float(uint8_t code);
uint8_t float_to_f4e2m1(float f);

// float8 E8M0 (Cast opset 24+ `round_mode`: "up", "down", "nearest").
enum class E8M0Rounding { kUp, kDown, kNearest };
float f8e8m0_to_float(uint8_t code);
uint8_t float_to_f8e8m0(float f, bool saturate = true, E8M0Rounding mode = E8M0Rounding::kUp);

// Sub-byte integers: the low bits of v, as the stored (unpacked) byte.
inline int8_t wrap_to_int4(int64_t v) { return static_cast<int8_t>(((v & 0xF) ^ 0x8) - 0x8); }
inline uint8_t wrap_to_uint4(int64_t v) { return static_cast<uint8_t>(v & 0xF); }
inline int8_t wrap_to_int2(int64_t v) { return static_cast<int8_t>(((v & 0x3) ^ 0x2) - 0x2); }
inline uint8_t wrap_to_uint2(int64_t v) { return static_cast<uint8_t>(v & 0x3); }

// The value of a stored element of a low-precision dtype, as a double (exact).
// `t` must be dtype_is_low_precision.
double low_precision_to_double(DType t, uint8_t stored);

// ONNX packing of sub-byte types (onnx.proto, TensorProto.raw_data): element
// i sits in byte i * bits / 8 at bit (i * bits) % 8, so the first element is
// in the low bits; unused bits of the last byte are zero when written and
// ignored when read. `t` must have dtype_packed_bits(t) != 0.
size_t packed_byte_count(DType t, int64_t numel);
// Expands `numel` elements from `packed` into one byte each (the stored form
// of dtype.h: signed types sign-extended).
void unpack_sub_byte(DType t, const uint8_t* packed, int64_t numel, uint8_t* out);
// The inverse: `unpacked` holds one stored byte per element.
void pack_sub_byte(DType t, const uint8_t* unpacked, int64_t numel, uint8_t* packed);

}  // namespace fastserve
