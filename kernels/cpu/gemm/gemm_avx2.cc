// gemm_f32__avx2_6x16: FP32 GEMM microkernel, AVX2 + FMA (ymm).
//
// Tile 6 rows x 16 columns = 12 ymm accumulators, plus 2 ymm for the B row
// and 1 for the broadcast A value: 15 of 16 registers. Column tails use
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
  static Mask mask(int count) {
    // Lane i is on when i < count.
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg load_mask(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static void store_mask(float* p, Mask m, Reg v) { _mm256_maskstore_ps(p, m, v); }
};

}  // namespace

const GemmUkernel kGemmUkernelAvx2_6x16 = {
    "gemm_f32__avx2_6x16", Isa::kAvx2, 6, 16, &gemm_impl::UkernelFamily<Avx2, 6, 2>::run};

}  // namespace fastserve
