// Winograd F(4x4, 3x3) input / output transforms for
// conv_f32_winograd__portable: conv_winograd_impl.h over scalar "vectors"
// (width 1) in plain C++ at the baseline ISA; the same body as the SIMD
// variants, so it also exercises their logic on any host.
// Contract: conv_winograd.h.
#include <algorithm>

#include "kernels/cpu/conv/conv_winograd_impl.h"

namespace fastserve {
namespace {

struct Scalar {
  using Reg = float;
  static constexpr int kWidth = 1;
  static Reg zero() { return 0.f; }
  static Reg set1(float x) { return x; }
  static Reg load(const float* p) { return *p; }
  static void store(float* p, Reg v) { *p = v; }
  static Reg load_first(const float* p, int n) { return n > 0 ? *p : 0.f; }
  static void store_first(float* p, int n, Reg v) {
    if (n > 0) *p = v;
  }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg fma(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg min(Reg a, Reg b) { return std::min(a, b); }
  static Reg max(Reg a, Reg b) { return std::max(a, b); }
  static Reg rotate_down(Reg v, int) { return v; }  // never called at width 1
  static Reg shift_in(Reg, const float* p) { return *p; }
  static void load_deinterleave4(const float* p, Reg& a, Reg& b, Reg& c, Reg& d) {
    a = p[0];
    b = p[1];
    c = p[2];
    d = p[3];
  }
  static void store_interleave4(float* p, Reg a, Reg b, Reg c, Reg d) {
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
  }
};

}  // namespace

const WinogradTransforms kWinogradTransformsPortable = {"portable", &winograd_impl::input_transform<Scalar>,
                                                        &winograd_impl::output_transform<Scalar>};

}  // namespace fastserve
