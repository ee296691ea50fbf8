// gemm_f32__avx512_14x32: FP32 GEMM microkernel, AVX-512F (zmm FMA).
//
// Tile 14 rows x 32 columns = 28 zmm accumulators, plus 2 zmm for the B row
// and 1 for the broadcast A value: 31 of 32 registers. Each k step loads 2
// vectors of B and issues 28 FMAs, enough independent chains to cover the
// FMA latency on two pipes. Column tails use __mmask16 loads/stores. Body:
// gemm_ukernel_impl.h; packed layouts: gemm_ukernel.h.
#include <immintrin.h>

#include "kernels/cpu/gemm/gemm_ukernel_impl.h"
#include "kernels/cpu/simd/vec_avx512.h"

namespace fastserve {
namespace {

using Family = gemm_impl::UkernelFamily<Avx512, 14, 2>;

}  // namespace

const GemmUkernel kGemmUkernelAvx512_14x32 = {
    .name = "gemm_f32__avx512_14x32", .isa = Isa::kAvx512, .mr = 14, .nr = 32, .vec = 16,
    .fn = &Family::run_packed, .fn_a_rows = &Family::run_rows,
    .fn_pack_b = &Family::run_packed_pack_b, .fn_a_rows_pack_b = &Family::run_rows_pack_b, .gemv = &gemm_impl::gemv<Avx512>,
    .gemv_packed = &Family::gemv_packed_b, .pack_a = &Family::pack_a, .pack_b_rows = &Family::pack_b};

}  // namespace fastserve
