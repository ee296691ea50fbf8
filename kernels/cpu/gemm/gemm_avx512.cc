// gemm_f32__avx512_14x32: FP32 GEMM microkernel, AVX-512F (zmm FMA).
//
// Tile 14 rows x 32 columns = 28 zmm accumulators, plus 2 zmm for the B row
// and 1 for the broadcast A value: 31 of 32 registers. Each k step loads 2
// vectors of B and issues 28 FMAs, enough independent chains to cover the
// FMA latency on two pipes. Column tails use __mmask16 loads/stores. Body:
// gemm_ukernel_impl.h; packed layouts: gemm_ukernel.h.
#include <immintrin.h>

#include "kernels/cpu/gemm/gemm_ukernel_impl.h"

namespace fastserve {
namespace {

struct Avx512 {
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int kWidth = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  // The zero-masking forms: GCC 12's unmasked ones start from
  // _mm512_undefined_ps() and trip -Wmaybe-uninitialized; same instruction.
  static Reg max(Reg a, Reg b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static Reg min(Reg a, Reg b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static float reduce_add(Reg v) { return _mm512_reduce_add_ps(v); }
  static Mask mask(int count) {
    if (count <= 0) return 0;
    if (count >= kWidth) return static_cast<Mask>(0xFFFF);
    return static_cast<Mask>((1u << count) - 1u);
  }
  static Reg load_mask(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static void store_mask(float* p, Mask m, Reg v) { _mm512_mask_storeu_ps(p, m, v); }
};

using Family = gemm_impl::UkernelFamily<Avx512, 14, 2>;

}  // namespace

const GemmUkernel kGemmUkernelAvx512_14x32 = {
    .name = "gemm_f32__avx512_14x32", .isa = Isa::kAvx512, .mr = 14, .nr = 32,
    .fn = &Family::run_packed, .fn_a_rows = &Family::run_rows,
    .fn_pack_b = &Family::run_packed_pack_b, .fn_a_rows_pack_b = &Family::run_rows_pack_b, .gemv = &gemm_impl::gemv<Avx512>,
    .gemv_packed = &Family::gemv_packed_b, .pack_a = &Family::pack_a, .pack_b_rows = &Family::pack_b};

}  // namespace fastserve
