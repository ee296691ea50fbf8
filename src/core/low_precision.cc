// float <-> float8 / float4 / E8M0 conversions and sub-byte packing (rules in
// fastserve/low_precision.h).
//
// The four float8 formats and float4 are one parameterized minifloat: sign,
// E exponent bits with a bias, M mantissa bits, subnormals at exponent 0,
// and one of three conventions for the top codes (IEEE infinities/NaNs; "FN":
// no infinity, all-ones is NaN; "FNUZ": no infinity, no -0, 0x80 is NaN)
// or none (E2M1). Encoding works on the float32 bit pattern with integer
// arithmetic only, so rounding is exact for every input; formats after
// "FP8 Formats for Deep Learning" (Micikevicius et al., 2022) and the OCP MX
// spec v1.0 (E2M1, E8M0).
#include "fastserve/low_precision.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace fastserve {
namespace {

enum class Specials { kIeee, kFn, kFnuz, kNone };

struct MiniFloat {
  int exp_bits;
  int man_bits;
  int bias;
  Specials specials;
  uint32_t max_code;  // largest finite magnitude code (sign bit clear)
};

constexpr MiniFloat kE4M3FN{4, 3, 7, Specials::kFn, 0x7E};
constexpr MiniFloat kE4M3FNUZ{4, 3, 8, Specials::kFnuz, 0x7F};
constexpr MiniFloat kE5M2{5, 2, 15, Specials::kIeee, 0x7B};
constexpr MiniFloat kE5M2FNUZ{5, 2, 16, Specials::kFnuz, 0x7F};
constexpr MiniFloat kE2M1{2, 1, 1, Specials::kNone, 0x7};

uint32_t float_bits(float f) { return std::bit_cast<uint32_t>(f); }

// Magnitude code of a finite, nonzero float32 magnitude `ax` (bit pattern,
// sign clear), rounded to nearest even. May exceed max_code (overflow is the
// caller's to handle); a carry out of the mantissa moves into the exponent,
// and a subnormal that rounds up to 2^emin becomes the smallest normal code,
// both by plain addition.
uint32_t encode_magnitude(uint32_t ax, const MiniFloat& f) {
  const uint32_t exp_field = ax >> 23;
  // float32 subnormals are below 2^-126, far under half the smallest
  // subnormal of every format here (2^-17 for E5M2FNUZ): they round to zero.
  if (exp_field == 0) return 0;
  const int e = static_cast<int>(exp_field) - 127;
  const uint32_t m = (ax & 0x7fffffu) | 0x800000u;  // value = m * 2^(e - 23)
  const int emin = 1 - f.bias;                      // exponent of the smallest normal
  // Bits of m below the target's last mantissa bit: the units are 2^(e - M)
  // for normals, 2^(emin - M) for subnormals.
  const int shift = 23 - f.man_bits + (e < emin ? emin - e : 0);
  if (shift >= 25) return 0;  // m / 2^shift < 1/2: rounds to zero
  uint32_t q = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  if (e < emin) return q;  // exponent field 0, mantissa q
  // Normal: q is in [2^M, 2^(M+1)]; biased exponent e - emin + 1 at bit M
  // plus q's fraction, i.e. ((e - emin) << M) + q.
  return (static_cast<uint32_t>(e - emin) << f.man_bits) + q;
}

uint32_t nan_code(const MiniFloat& f, bool negative) {
  const uint32_t sign = negative ? 1u << (f.exp_bits + f.man_bits) : 0;
  switch (f.specials) {
    case Specials::kFn:
      return sign | ((1u << (f.exp_bits + f.man_bits)) - 1);  // S.1111.111
    case Specials::kIeee:
      // Quiet NaN: all-ones exponent, top mantissa bit (E5M2 0x7E, the top
      // byte of float16's 0x7E00).
      return sign | (((1u << f.exp_bits) - 1) << f.man_bits) | (1u << (f.man_bits - 1));
    case Specials::kFnuz:
      return 0x80;
    case Specials::kNone:
      // No NaN: the reference's zero with the sign bit inverted (header).
      return negative ? 0 : 1u << (f.exp_bits + f.man_bits);
  }
  return 0;
}

// Code for a magnitude beyond max finite (after rounding) or an infinity.
uint32_t overflow_code(const MiniFloat& f, uint32_t sign, bool saturate) {
  if (saturate || f.specials == Specials::kNone) return sign | f.max_code;
  switch (f.specials) {
    case Specials::kIeee:
      return sign | (((1u << f.exp_bits) - 1) << f.man_bits);  // infinity
    case Specials::kFn:
      return sign | ((1u << (f.exp_bits + f.man_bits)) - 1);  // NaN
    default:
      return 0x80;  // FNUZ NaN
  }
}

uint8_t encode(float value, const MiniFloat& f, bool saturate) {
  const uint32_t x = float_bits(value);
  const uint32_t ax = x & 0x7fffffffu;
  const bool negative = (x >> 31) != 0;
  if (ax > 0x7f800000u) return static_cast<uint8_t>(nan_code(f, negative));
  const uint32_t sign = negative ? 1u << (f.exp_bits + f.man_bits) : 0;
  if (ax == 0x7f800000u) return static_cast<uint8_t>(overflow_code(f, sign, saturate));
  const uint32_t code = ax == 0 ? 0 : encode_magnitude(ax, f);
  if (code > f.max_code) return static_cast<uint8_t>(overflow_code(f, sign, saturate));
  if (code == 0 && f.specials == Specials::kFnuz) return 0;  // no -0
  return static_cast<uint8_t>(sign | code);
}

float decode(uint8_t raw, const MiniFloat& f) {
  const int width = f.exp_bits + f.man_bits;
  const uint32_t code = raw & ((1u << (width + 1)) - 1);
  const bool negative = (code >> width) != 0;
  const uint32_t mag = code & ((1u << width) - 1);
  const uint32_t exp_field = mag >> f.man_bits;
  const uint32_t man = mag & ((1u << f.man_bits) - 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  switch (f.specials) {
    case Specials::kFnuz:
      if (code == 0x80) return nan;
      break;
    case Specials::kFn:
      if (mag == (1u << width) - 1) return negative ? -nan : nan;
      break;
    case Specials::kIeee:
      if (exp_field == (1u << f.exp_bits) - 1) {
        const float special = man == 0 ? std::numeric_limits<float>::infinity() : nan;
        return negative ? -special : special;
      }
      break;
    case Specials::kNone:
      break;
  }
  // Subnormal: man * 2^(1 - bias - M); normal: (2^M + man) * 2^(e - bias - M).
  const float v = exp_field == 0 ? std::ldexp(static_cast<float>(man), 1 - f.bias - f.man_bits)
                                 : std::ldexp(static_cast<float>((1u << f.man_bits) + man),
                                              static_cast<int>(exp_field) - f.bias - f.man_bits);
  return negative ? -v : v;
}

}  // namespace

float f8e4m3fn_to_float(uint8_t code) { return decode(code, kE4M3FN); }
float f8e4m3fnuz_to_float(uint8_t code) { return decode(code, kE4M3FNUZ); }
float f8e5m2_to_float(uint8_t code) { return decode(code, kE5M2); }
float f8e5m2fnuz_to_float(uint8_t code) { return decode(code, kE5M2FNUZ); }
uint8_t float_to_f8e4m3fn(float f, bool saturate) { return encode(f, kE4M3FN, saturate); }
uint8_t float_to_f8e4m3fnuz(float f, bool saturate) { return encode(f, kE4M3FNUZ, saturate); }
uint8_t float_to_f8e5m2(float f, bool saturate) { return encode(f, kE5M2, saturate); }
uint8_t float_to_f8e5m2fnuz(float f, bool saturate) { return encode(f, kE5M2FNUZ, saturate); }

float f4e2m1_to_float(uint8_t code) { return decode(code & 0xF, kE2M1); }
uint8_t float_to_f4e2m1(float f) { return encode(f, kE2M1, true); }

float f8e8m0_to_float(uint8_t code) {
  if (code == 0xFF) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(code) - 127);  // 2^-127 is a float32 subnormal: exact
}

uint8_t float_to_f8e8m0(float f, bool saturate, E8M0Rounding mode) {
  const uint32_t ax = float_bits(f) & 0x7fffffffu;  // the sign is ignored (header)
  constexpr uint8_t kNaN = 0xFF, kMin = 0x00, kMax = 0xFE;
  if (ax > 0x7f800000u) return kNaN;
  if (ax == 0x7f800000u) return saturate ? kMax : kNaN;
  if (ax == 0) return saturate ? kMin : kNaN;  // E8M0 has no zero: below its range
  // |f| = 2^e * (1 + frac / 2^23), frac in [0, 2^23).
  int e;
  uint32_t frac;
  if ((ax >> 23) == 0) {
    // float32 subnormal: ax * 2^-149, the leading one at bit `lead`.
    const int lead = 31 - std::countl_zero(ax);
    e = lead - 149;
    frac = (ax << (23 - lead)) & 0x7fffffu;
  } else {
    e = static_cast<int>(ax >> 23) - 127;
    frac = ax & 0x7fffffu;
  }
  switch (mode) {
    case E8M0Rounding::kUp:
      e += frac != 0 ? 1 : 0;
      break;
    case E8M0Rounding::kDown:
      break;
    case E8M0Rounding::kNearest:
      e += frac >= 0x400000u ? 1 : 0;
      break;  // >= 1.5 * 2^e
  }
  if (e < -127) return saturate ? kMin : kNaN;
  if (e > 127) return saturate ? kMax : kNaN;
  return static_cast<uint8_t>(e + 127);
}

double low_precision_to_double(DType t, uint8_t stored) {
  switch (t) {
    case DType::kF8E4M3FN:
      return f8e4m3fn_to_float(stored);
    case DType::kF8E4M3FNUZ:
      return f8e4m3fnuz_to_float(stored);
    case DType::kF8E5M2:
      return f8e5m2_to_float(stored);
    case DType::kF8E5M2FNUZ:
      return f8e5m2fnuz_to_float(stored);
    case DType::kF8E8M0:
      return f8e8m0_to_float(stored);
    case DType::kF4E2M1:
      return f4e2m1_to_float(stored);
    // Sign-extend from the low bits so that any stored byte reads as a value in range.
    case DType::kI4:
      return wrap_to_int4(stored);
    case DType::kU4:
      return wrap_to_uint4(stored);
    case DType::kI2:
      return wrap_to_int2(stored);
    case DType::kU2:
      return wrap_to_uint2(stored);
    default:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

size_t packed_byte_count(DType t, int64_t numel) {
  const uint64_t bits = static_cast<uint64_t>(numel) * static_cast<uint64_t>(dtype_packed_bits(t));
  return static_cast<size_t>((bits + 7) / 8);
}

void unpack_sub_byte(DType t, const uint8_t* packed, int64_t numel, uint8_t* out) {
  const int bits = dtype_packed_bits(t);
  const int per_byte = 8 / bits;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  const bool is_signed = t == DType::kI4 || t == DType::kI2;
  const uint8_t sign_bit = static_cast<uint8_t>(1u << (bits - 1));
  for (int64_t i = 0; i < numel; ++i) {
    const int shift = static_cast<int>(i % per_byte) * bits;
    uint8_t v = static_cast<uint8_t>((packed[i / per_byte] >> shift) & mask);
    if (is_signed) v = static_cast<uint8_t>((v ^ sign_bit) - sign_bit);  // sign-extend to 8 bits
    out[i] = v;
  }
}

void pack_sub_byte(DType t, const uint8_t* unpacked, int64_t numel, uint8_t* packed) {
  const int bits = dtype_packed_bits(t);
  const int per_byte = 8 / bits;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  std::memset(packed, 0, packed_byte_count(t, numel));
  for (int64_t i = 0; i < numel; ++i) {
    const int shift = static_cast<int>(i % per_byte) * bits;
    packed[i / per_byte] = static_cast<uint8_t>(packed[i / per_byte] | ((unpacked[i] & mask) << shift));
  }
}

}  // namespace fastserve
