// f32 softmax row microkernels, one table per ISA. softmax.cc composes them
// per contiguous row of n elements:
//   m = row_max(x)
//   s = exp_shift_sum(x, y, n, m)       y = exp(x - m) (not stored when y is null), s = sum
//   softmax:    scale(y, n, 1/s)
//   logsoftmax: sub2(x, y, n, m, log(s))   y = (x - m) - log(s)
// (Two subtractions, not x + -(m + log s): folding m and log s into one
// float loses log s's low bits when |m| is large.)
// log() of the one sum is taken in softmax.cc (baseline code), so these files
// hold only vector loops. exp is the approximation of
// kernels/cpu/vmath/vmath_constants.h. Sums accumulate in f32 vector lanes.
//
// The tables are constant-initialized data (function addresses only).
#pragma once

#include <cstdint>

namespace fastserve {

struct SoftmaxUkernels {
  float (*row_max)(const float* x, int64_t n);  // -inf for n == 0
  float (*exp_shift_sum)(const float* x, float* y, int64_t n, float shift);
  void (*scale)(float* y, int64_t n, float s);
  void (*sub2)(const float* x, float* y, int64_t n, float a, float b);
};

extern const SoftmaxUkernels kSoftmaxUkernelsScalar;  // softmax_scalar.cc (auto-vectorized)
extern const SoftmaxUkernels kSoftmaxUkernelsAvx2;    // softmax_avx2.cc
extern const SoftmaxUkernels kSoftmaxUkernelsAvx512;  // softmax_avx512.cc

}  // namespace fastserve
