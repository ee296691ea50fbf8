// f32 activation microkernels on contiguous runs, one table per ISA.
// unary.cc splits a tensor into chunks and calls one of these per chunk.
//
// Semantics match kernels/ref/unary.cc: NaN propagates through every op,
// Relu keeps -0.0, Clip is Min(hi, Max(x, lo)) (all outputs = hi when lo > hi).
// Sigmoid and Tanh are approximations (kernels/cpu/vmath/vmath_constants.h):
// a few ulp from the correctly rounded result; Erf and Gelu within about
// 2e-7 absolute (Gelu: relative for x < 0 too).
// y may alias x.
//
// The tables are constant-initialized data (function addresses only), so
// reading them runs no code compiled for an ISA the host may lack.
#pragma once

#include <cstdint>

namespace fastserve {

enum class UnaryOp : int {
  kRelu = 0,
  kLeakyRelu,  // alpha
  kClip,       // alpha = lo, beta = hi
  kSigmoid,
  kTanh,
  kHardSigmoid,  // alpha, beta
  kHardSwish,    // x * HardSigmoid(x) with alpha = 1/6, beta = 1/2 (fixed by ONNX)
  kErf,
  kGelu,      // x * Phi(x), exact (erf) form
  kGeluTanh,  // Gelu with approximate = "tanh"
};
inline constexpr int kNumUnaryOps = 10;

struct UnaryParams {
  float alpha = 0.f;
  float beta = 0.f;
};

using UnaryUkernelFn = void (*)(const float* x, float* y, int64_t n, const UnaryParams& p);

// Indexed by UnaryOp.
extern const UnaryUkernelFn kUnaryUkernelsScalar[kNumUnaryOps];  // unary_scalar.cc (auto-vectorized)
extern const UnaryUkernelFn kUnaryUkernelsAvx2[kNumUnaryOps];    // unary_avx2.cc
extern const UnaryUkernelFn kUnaryUkernelsAvx512[kNumUnaryOps];  // unary_avx512.cc

}  // namespace fastserve
