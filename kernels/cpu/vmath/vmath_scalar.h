// Portable f32 exp / sigmoid / tanh (method and accuracy: vmath_constants.h).
//
// ISA: baseline. Branch-free scalar code so loops over these functions
// auto-vectorize (at -O3): selects are bitwise (select() below), because
// under the default -ftrapping-math GCC will not if-convert a `c ? a : b`
// whose result feeds arithmetic (it sinks the arithmetic into the branches);
// rounding to an integer uses the 1.5*2^23 "magic number" add, which needs no
// SSE4.1 round instruction. Include only from baseline (non-ISA) translation
// units.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/cpu/vmath/vmath_constants.h"

namespace fastserve::vmath {

static inline float bits_to_float(int32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
static inline int32_t float_to_bits(float f) {
  int32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// c ? a : b on the bit patterns.
static inline float select(bool c, float a, float b) {
  const int32_t m = -static_cast<int32_t>(c);
  return bits_to_float((m & float_to_bits(a)) | (~m & float_to_bits(b)));
}

static inline float exp_scalar(float x) {
  // NaN fails both comparisons and passes through.
  x = select(x < kExpLo, kExpLo, x);
  x = select(x > kExpHi, kExpHi, x);
  // Round to nearest even: after adding 1.5*2^23 the low mantissa bits hold n.
  constexpr float kMagic = 12582912.0f;
  const float t = x * kLog2e + kMagic;
  const int32_t n = float_to_bits(t) - float_to_bits(kMagic);
  const float nf = t - kMagic;
  const float r = (x - nf * kLn2Hi) - nf * kLn2Lo;
  float p = kExpP0;
  p = p * r + kExpP1;
  p = p * r + kExpP2;
  p = p * r + kExpP3;
  p = p * r + kExpP4;
  p = p * r + kExpP5;
  const float y = p * (r * r) + r + 1.0f;
  const int32_t n1 = n >> 1;
  const int32_t n2 = n - n1;
  return y * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
}

static inline float abs_bits(float x) { return bits_to_float(float_to_bits(x) & 0x7FFFFFFF); }

static inline float sigmoid_scalar(float x) {
  const float e = exp_scalar(-abs_bits(x));
  const float r = 1.0f / (1.0f + e);
  return select(x < 0.f, e * r, r);
}

static inline float tanh_scalar(float x) {
  // Computed on |x|, then x's sign is put back: tanh is odd, and this keeps
  // tanh(-0) = -0 and NaN as NaN.
  const float ax = abs_bits(x);
  const float z = ax * ax;
  float q = kTanhQ0;
  q = q * z + kTanhQ1;
  q = q * z + kTanhQ2;
  q = q * z + kTanhQ3;
  q = q * z + kTanhQ4;
  const float small = q * z * ax + ax;
  const float big = 1.0f - 2.0f / (exp_scalar(2.0f * ax) + 1.0f);
  const float r = select(ax < kTanhSmall, small, big);
  return bits_to_float(float_to_bits(r) | (float_to_bits(x) & static_cast<int32_t>(0x80000000u)));
}

// exp(x), or 0 where it would be a denormal (x < kExpNormalLo).
static inline float exp_flush_scalar(float x) {
  return select(x < kExpNormalLo, 0.0f, exp_scalar(select(x < kExpNormalLo, kExpNormalLo, x)));
}

// erfc(z) for z >= 0 (or NaN) through the Chebyshev fit.
static inline float erfc_fit_scalar(float z) {
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = kErfcC9;
  p = p * t + kErfcC8;
  p = p * t + kErfcC7;
  p = p * t + kErfcC6;
  p = p * t + kErfcC5;
  p = p * t + kErfcC4;
  p = p * t + kErfcC3;
  p = p * t + kErfcC2;
  p = p * t + kErfcC1;
  p = p * t + kErfcC0;
  return t * exp_scalar(p - z * z);
}

// erf(z) / z for |z| < 0.5, the series.
static inline float erf_series_scalar(float z) {
  const float z2 = z * z;
  float s = kErfS5;
  s = s * z2 + kErfS4;
  s = s * z2 + kErfS3;
  s = s * z2 + kErfS2;
  s = s * z2 + kErfS1;
  return kTwoOverSqrtPi * (s * z2 + 1.0f);
}

static inline float copy_sign_bits(float magnitude, float sign_of) {
  return bits_to_float(float_to_bits(magnitude) | (float_to_bits(sign_of) & static_cast<int32_t>(0x80000000u)));
}

static inline float erf_scalar(float x) {
  const float z = abs_bits(x);
  const float small = z * erf_series_scalar(z);
  const float big = 1.0f - erfc_fit_scalar(select(z > kErfOne, kErfOne, z));
  return copy_sign_bits(select(z < kErfSmall, small, select(z > kErfOne, 1.0f, big)), x);
}

static inline float gelu_scalar(float x) {
  x = select(x < kGeluLo, kGeluLo, x);
  const float z = abs_bits(x) * kInvSqrt2;
  const float small = 0.5f * x * (1.0f + x * kInvSqrt2 * erf_series_scalar(z));
  const float erfc = erfc_fit_scalar(z);
  const float big = 0.5f * x * select(x < 0.f, erfc, 2.0f - erfc);
  return select(z < kErfSmall, small, big);
}

static inline float gelu_tanh_scalar(float x) {
  x = select(x < kGeluLo, kGeluLo, x);
  const float u = kGeluTanhK * (x + kGeluTanhC * x * x * x);
  return x * sigmoid_scalar(2.0f * u);
}

}  // namespace fastserve::vmath
