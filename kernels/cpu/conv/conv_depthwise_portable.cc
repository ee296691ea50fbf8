// conv_f32_depthwise__portable: depthwise 3x3 plane microkernels in plain
// C++ (scalar "vectors" of width 1; baseline ISA, the compiler may
// auto-vectorize). The same body as the SIMD variants
// (conv_depthwise_impl.h), so it also exercises their logic on any host.
#include <algorithm>

#include "kernels/cpu/conv/conv_depthwise_impl.h"

namespace fastserve {
namespace {

struct Scalar {
  using Reg = float;
  static constexpr int kWidth = 1;
  static Reg zero() { return 0.f; }
  static Reg set1(float x) { return x; }
  static Reg load(const float* p) { return *p; }
  static Reg load_first(const float* p, int n) { return n > 0 ? *p : 0.f; }
  static void store(float* p, Reg v) { *p = v; }
  static Reg fma(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg max(Reg a, Reg b) { return std::max(a, b); }
  static Reg min(Reg a, Reg b) { return std::min(a, b); }
  static Reg load_even(const float* p) { return p[0]; }
  static Reg load_odd(const float* p) { return p[1]; }
};

}  // namespace

const DepthwiseUkernels kDepthwiseUkernelsPortable = {"portable", 1, &depthwise_impl::dw3x3_plane<Scalar, 1>,
                                                      &depthwise_impl::dw3x3_plane<Scalar, 2>};

}  // namespace fastserve
