// Constants of the f32 exp / sigmoid / tanh approximations shared by every
// ISA variant (vmath_scalar.h, vmath_avx2.h, vmath_avx512.h), so that all of
// them compute the same formula and differ only by FMA rounding.
//
// exp(x), after Cephes expf (S. Moshier, Cephes Math Library):
//   1. x is clamped to [-104, 89] (NaN passes through). Below -104 the result
//      is 0 even in denormals; above 89 it overflows to +inf by itself.
//   2. n = round(x / ln2); r = x - n*ln2 with ln2 split in two (Cody-Waite), so
//      r is exact and |r| <= ln2/2.
//   3. exp(r) ~= 1 + r + r^2 * P(r), P a degree-5 minimax polynomial; relative
//      error < 2^-23 on [-ln2/2, ln2/2].
//   4. The result is scaled by 2^n as 2^(n>>1) * 2^(n - (n>>1)): each factor
//      is a normal float for n in [-150, 128], so overflow to inf and gradual
//      underflow to denormals come out of the multiplications.
//   Max relative error about 2 ulp (1.2e-7) over the normal range.
// sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0, with
//   e = exp(-|x|) in (0, 1], so nothing overflows and small results keep
//   their relative accuracy down to the denormal range (about 3 ulp).
// tanh(x): for |x| < 0.625 the odd Cephes tanhf polynomial
//   x + x^3 * Q(x^2) (no cancellation near 0: tanh(1e-8) = 1e-8); above,
//   sign(x) * (1 - 2 / (exp(2|x|) + 1)), which saturates to +-1 once exp
//   overflows. Max relative error about 3 ulp.
// erf(x): odd, computed on z = |x| with x's sign put back:
//   z < 0.5: the Maclaurin series 2/sqrt(pi) * (z - z^3/3 + z^5/10 - ...)
//     through z^11 (the first dropped term is below 2^-26 of the result);
//   else: 1 - erfc(z) with erfc(z) = t * exp(-z^2 + P(t)), t = 1/(1 + z/2),
//     P the degree-9 Chebyshev fit of Numerical Recipes' erfcc (fractional
//     error below 1.2e-7 for every z >= 0); exp() as above. At z >= 4,
//     erfc(z) < 2e-8 and the result is 1.
//   Max absolute error about 1.5e-7 (2e-7 just above z = 0.5).
// Gelu(x) = x * Phi(x) = x/2 * (1 + erf(x/sqrt2)); where erf goes through
//   erfc, x < 0 uses x/2 * erfc(|x|/sqrt2) directly (no 1 - (1 - erfc)
//   cancellation: Gelu(-5) keeps its relative accuracy). x is clamped at
//   -20 first (Gelu(-20) is below the smallest float), so Gelu(-inf) is its
//   limit 0 (-0 here) rather than -inf * 0 = NaN, as the reference kernel.
// Gelu with approximate="tanh": x/2 * (1 + tanh(u)), u = sqrt(2/pi) *
//   (x + 0.044715 x^3), computed as x * sigmoid(2u) (the same value; no
//   cancellation for negative x).
#pragma once

namespace fastserve::vmath {

inline constexpr float kExpLo = -104.0f;  // exp(-104) < half the smallest denormal
inline constexpr float kExpHi = 89.0f;    // exp(89) > FLT_MAX
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;     // exact in 9 bits, so n*kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;  // ln2 - kLn2Hi
inline constexpr float kExpP0 = 1.9875691500e-4f;
inline constexpr float kExpP1 = 1.3981999507e-3f;
inline constexpr float kExpP2 = 8.3334519073e-3f;
inline constexpr float kExpP3 = 4.1665795894e-2f;
inline constexpr float kExpP4 = 1.6666665459e-1f;
inline constexpr float kExpP5 = 5.0000001201e-1f;

inline constexpr float kTanhSmall = 0.625f;
inline constexpr float kTanhQ0 = -5.70498872745e-3f;
inline constexpr float kTanhQ1 = 2.06390887954e-2f;
inline constexpr float kTanhQ2 = -5.37397155531e-2f;
inline constexpr float kTanhQ3 = 1.33314422036e-1f;
inline constexpr float kTanhQ4 = -3.33332819422e-1f;

// ln(FLT_MIN): below it exp() is a denormal, and arithmetic on denormals
// takes microcode assists (~100x slower per op on these cores). The
// flushing exp (exp_flush_*) returns 0 there: softmax over masked scores
// (-FLT_MAX) otherwise ran 7x slower, and so did the MatMul reading its
// output. The error is below FLT_MIN.
inline constexpr float kExpNormalLo = -87.3365447f;

inline constexpr float kErfSmall = 0.5f;
inline constexpr float kErfOne = 4.0f;               // erf(z) rounds to 1 from here on
inline constexpr float kTwoOverSqrtPi = 1.12837916709551257f;
// Maclaurin coefficients of erf(z) / (2/sqrt(pi) z) in z^2: (-1)^n / (n! (2n+1)).
inline constexpr float kErfS1 = -1.0f / 3.0f;
inline constexpr float kErfS2 = 1.0f / 10.0f;
inline constexpr float kErfS3 = -1.0f / 42.0f;
inline constexpr float kErfS4 = 1.0f / 216.0f;
inline constexpr float kErfS5 = -1.0f / 1320.0f;
// erfc(z) = t * exp(-z^2 + C0 + t*(C1 + t*(C2 + ... + t*C9))), t = 1/(1 + z/2).
inline constexpr float kErfcC0 = -1.26551223f;
inline constexpr float kErfcC1 = 1.00002368f;
inline constexpr float kErfcC2 = 0.37409196f;
inline constexpr float kErfcC3 = 0.09678418f;
inline constexpr float kErfcC4 = -0.18628806f;
inline constexpr float kErfcC5 = 0.27886807f;
inline constexpr float kErfcC6 = -1.13520398f;
inline constexpr float kErfcC7 = 1.48851587f;
inline constexpr float kErfcC8 = -0.82215223f;
inline constexpr float kErfcC9 = 0.17087277f;
inline constexpr float kInvSqrt2 = 0.70710678118654752f;
inline constexpr float kGeluTanhK = 0.79788456080286536f;  // sqrt(2/pi)
inline constexpr float kGeluTanhC = 0.044715f;
inline constexpr float kGeluLo = -20.0f;

}  // namespace fastserve::vmath
