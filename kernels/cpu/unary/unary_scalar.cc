// Portable f32 activation microkernels (Relu, LeakyRelu, Clip, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Erf, Gelu).
//
// ISA: baseline (SSE2 on x86-64). Branch-free element functions in blocks of
// 16 with a fixed-count inner loop; a scalar loop handles the tail. Selects
// are bitwise (vmath::select) so GCC if-converts them under -ftrapping-math
// (see vmath_scalar.h); the comparisons are ordered so NaN falls through
// unchanged.
#include "kernels/cpu/unary/unary_ukernels.h"
#include "kernels/cpu/vmath/vmath_scalar.h"

namespace fastserve {
namespace {

constexpr int64_t kBlock = 16;

template <typename Fn>
inline void map(const float* x, float* y, int64_t n, Fn fn) {
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = fn(x[i + j]);
  }
  for (; i < n; ++i) y[i] = fn(x[i]);
}

// max(v, lo) then min(., hi), NaN passing through.
inline float clamp(float v, float lo, float hi) {
  v = vmath::select(lo > v, lo, v);
  return vmath::select(hi < v, hi, v);
}

void relu(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](float v) { return vmath::select(0.f > v, 0.f, v); });
}
void leaky_relu(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const float alpha = p.alpha;
  map(x, y, n, [alpha](float v) { return vmath::select(v < 0.f, alpha * v, v); });
}
void clip(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const float lo = p.alpha, hi = p.beta;
  map(x, y, n, [lo, hi](float v) { return clamp(v, lo, hi); });
}
void sigmoid(const float* x, float* y, int64_t n, const UnaryParams&) { map(x, y, n, vmath::sigmoid_scalar); }
void tanh_f32(const float* x, float* y, int64_t n, const UnaryParams&) { map(x, y, n, vmath::tanh_scalar); }
void hard_sigmoid(const float* x, float* y, int64_t n, const UnaryParams& p) {
  const float alpha = p.alpha, beta = p.beta;
  map(x, y, n, [alpha, beta](float v) { return clamp(alpha * v + beta, 0.f, 1.f); });
}
void hard_swish(const float* x, float* y, int64_t n, const UnaryParams&) {
  map(x, y, n, [](float v) { return v * clamp(v * (1.f / 6.f) + 0.5f, 0.f, 1.f); });
}

void erf_f32(const float* x, float* y, int64_t n, const UnaryParams&) { map(x, y, n, vmath::erf_scalar); }
void gelu(const float* x, float* y, int64_t n, const UnaryParams&) { map(x, y, n, vmath::gelu_scalar); }
void gelu_tanh(const float* x, float* y, int64_t n, const UnaryParams&) { map(x, y, n, vmath::gelu_tanh_scalar); }

}  // namespace

constinit const UnaryUkernelFn kUnaryUkernelsScalar[kNumUnaryOps] = {
    relu, leaky_relu, clip, sigmoid, tanh_f32, hard_sigmoid, hard_swish, erf_f32, gelu, gelu_tanh};

}  // namespace fastserve
