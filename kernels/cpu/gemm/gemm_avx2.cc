// gemm_f32__avx2_6x16: FP32 GEMM microkernel, AVX2 + FMA (ymm).
//
// Tile 6 rows x 16 columns = 12 ymm accumulators, plus 2 ymm for the B row
// and 1 for the broadcast A value: 15 of 16 registers. Each k step: 2 loads
// of B, 6 broadcasts of A, 12 FMAs (6 cycles on two FMA pipes). Column tails use
// vmaskmovps (which does not fault on masked-off lanes). Body:
// gemm_ukernel_impl.h; packed layouts: gemm_ukernel.h.
#include <immintrin.h>

#include "kernels/cpu/gemm/gemm_ukernel_impl.h"

namespace fastserve {
namespace {

struct Avx2 {
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int kWidth = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float x) { return _mm256_set1_ps(x); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  static float reduce_add(Reg v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
  }
  static Mask mask(int count) {
    // Lane i is on when i < count.
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg load_mask(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static void store_mask(float* p, Mask m, Reg v) { _mm256_maskstore_ps(p, m, v); }
};

using Family = gemm_impl::UkernelFamily<Avx2, 6, 2>;

}  // namespace

const GemmUkernel kGemmUkernelAvx2_6x16 = {
    .name = "gemm_f32__avx2_6x16", .isa = Isa::kAvx2, .mr = 6, .nr = 16,
    .fn = &Family::run_packed, .fn_a_rows = &Family::run_rows,
    .fn_pack_b = &Family::run_packed_pack_b, .fn_a_rows_pack_b = &Family::run_rows_pack_b, .gemv = &gemm_impl::gemv<Avx2>,
    .gemv_packed = &Family::gemv_packed_b, .pack_a = &Family::pack_a, .pack_b_rows = &Family::pack_b};

}  // namespace fastserve
