// f32 binary microkernels (Add, Sub, Mul, Div) on contiguous runs, one table
// per ISA. binary.cc turns any broadcast into rows of these calls.
//
// Three forms per op, named by which operand is a vector (v) or one scalar (s):
//   vv: y[i] = a[i] op b[i]      (same shape; row broadcast [.., N] op [N])
//   vs: y[i] = a[i] op b[0]      (scalar operand; channel broadcast [N,C,H,W] op [C,1,1])
//   sv: y[i] = a[0] op b[i]
// y may alias a or b (in-place) but must not partially overlap them.
//
// The tables are constant-initialized data (function addresses only), so
// reading them runs no code compiled for an ISA the host may lack.
#pragma once

#include <cstdint>

namespace fastserve {

enum class BinaryOp : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };
inline constexpr int kNumBinaryOps = 4;

using BinaryUkernelFn = void (*)(const float* a, const float* b, float* y, int64_t n);

struct BinaryUkernels {
  BinaryUkernelFn vv;
  BinaryUkernelFn vs;
  BinaryUkernelFn sv;
};

// Indexed by BinaryOp.
extern const BinaryUkernels kBinaryUkernelsScalar[kNumBinaryOps];  // binary_scalar.cc (auto-vectorized)
extern const BinaryUkernels kBinaryUkernelsAvx2[kNumBinaryOps];    // binary_avx2.cc
extern const BinaryUkernels kBinaryUkernelsAvx512[kNumBinaryOps];  // binary_avx512.cc

}  // namespace fastserve
