// Portable f32 softmax row microkernels (softmax_ukernels.h).
//
// ISA: baseline (SSE2 on x86-64). Selects are bitwise (vmath::select) so
// they vectorize under -ftrapping-math. Reductions keep 16 independent partial
// results (one per lane of a 16-wide block) so GCC can vectorize them without
// reassociating floating-point sums; the partials are combined at the end.
#include <cmath>

#include "kernels/cpu/softmax/softmax_ukernels.h"
#include "kernels/cpu/vmath/vmath_scalar.h"

namespace fastserve {
namespace {

constexpr int64_t kBlock = 16;

float row_max(const float* x, int64_t n) {
  float acc[kBlock];
  for (int64_t j = 0; j < kBlock; ++j) acc[j] = -INFINITY;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int64_t j = 0; j < kBlock; ++j) acc[j] = vmath::select(x[i + j] > acc[j], x[i + j], acc[j]);
  }
  for (; i < n; ++i) acc[0] = x[i] > acc[0] ? x[i] : acc[0];
  float m = acc[0];
  for (int64_t j = 1; j < kBlock; ++j) m = acc[j] > m ? acc[j] : m;
  return m;
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  float acc[kBlock] = {};
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float e[kBlock];
    for (int64_t j = 0; j < kBlock; ++j) e[j] = vmath::exp_flush_scalar(x[i + j] - shift);
    for (int64_t j = 0; j < kBlock; ++j) acc[j] += e[j];
    if (y != nullptr) {
      for (int64_t j = 0; j < kBlock; ++j) y[i + j] = e[j];
    }
  }
  for (; i < n; ++i) {
    const float e = vmath::exp_flush_scalar(x[i] - shift);
    acc[0] += e;
    if (y != nullptr) y[i] = e;
  }
  float s = 0.f;
  for (int64_t j = 0; j < kBlock; ++j) s += acc[j];
  return s;
}

void scale(float* y, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

void sub2(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - a) - b;
}

}  // namespace

constinit const SoftmaxUkernels kSoftmaxUkernelsScalar = {row_max, exp_shift_sum, scale, sub2};

}  // namespace fastserve
