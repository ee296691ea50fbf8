// gemm_f32__portable_4x8: FP32 GEMM microkernel in plain C++ (baseline
// ISA; the compiler may auto-vectorize). The fallback for hosts without
// AVX2 and for FASTSERVE_MAX_ISA=scalar.
//
// Tile 4 rows x 8 columns with scalar "vectors" (kWidth = 1): the same body
// as the SIMD kernels (gemm_ukernel_impl.h), so this kernel also exercises
// the shared tile logic on any host.
#include <algorithm>

#include "kernels/cpu/gemm/gemm_ukernel_impl.h"

namespace fastserve {
namespace {

struct Scalar {
  using Reg = float;
  using Mask = bool;
  static constexpr int kWidth = 1;
  static Reg zero() { return 0.f; }
  static Reg set1(float x) { return x; }
  static Reg load(const float* p) { return *p; }
  static Reg broadcast(const float* p) { return *p; }
  static Reg fma(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg max(Reg a, Reg b) { return std::max(a, b); }
  static Reg min(Reg a, Reg b) { return std::min(a, b); }
  static Mask mask(int count) { return count > 0; }
  static Reg load_mask(const float* p, Mask m) { return m ? *p : 0.f; }
  static void store(float* p, Reg v) { *p = v; }
  static void store_mask(float* p, Mask m, Reg v) {
    if (m) *p = v;
  }
};

}  // namespace

const GemmUkernel kGemmUkernelPortable4x8 = {
    "gemm_f32__portable_4x8", Isa::kScalar, 4, 8, &gemm_impl::UkernelFamily<Scalar, 4, 8>::run};

}  // namespace fastserve
