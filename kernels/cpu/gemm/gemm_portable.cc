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
  static float reduce_add(Reg v) { return v; }
  static Mask mask(int count) { return count > 0; }
  static Reg load_mask(const float* p, Mask m) { return m ? *p : 0.f; }
  static void store(float* p, Reg v) { *p = v; }
  static void store_mask(float* p, Mask m, Reg v) {
    if (m) *p = v;
  }
};

using Family = gemm_impl::UkernelFamily<Scalar, 4, 8>;

}  // namespace

const GemmUkernel kGemmUkernelPortable4x8 = {
    .name = "gemm_f32__portable_4x8", .isa = Isa::kScalar, .mr = 4, .nr = 8, .vec = 1,
    .fn = &Family::run_packed, .fn_a_rows = &Family::run_rows,
    .fn_pack_b = &Family::run_packed_pack_b, .fn_a_rows_pack_b = &Family::run_rows_pack_b, .gemv = &gemm_impl::gemv<Scalar>,
    .gemv_packed = &Family::gemv_packed_b, .pack_a = &Family::pack_a, .pack_b_rows = &Family::pack_b};

}  // namespace fastserve
