// gemm_f32__avx2_6x16: FP32 GEMM microkernel, AVX2 + FMA (ymm).
//
// Tile 6 rows x 16 columns = 12 ymm accumulators, plus 2 ymm for the B row
// and 1 for the broadcast A value: 15 of 16 registers. Each k step: 2 loads
// of B, 6 broadcasts of A, 12 FMAs (6 cycles on two FMA pipes). Column tails use
// vmaskmovps (which does not fault on masked-off lanes). Body:
// gemm_ukernel_impl.h; packed layouts: gemm_ukernel.h.
#include <immintrin.h>

#include "kernels/cpu/gemm/gemm_ukernel_impl.h"
#include "kernels/cpu/simd/vec_avx2.h"

namespace fastserve {
namespace {

using Family = gemm_impl::UkernelFamily<Avx2, 6, 2>;

}  // namespace

const GemmUkernel kGemmUkernelAvx2_6x16 = {
    .name = "gemm_f32__avx2_6x16", .isa = Isa::kAvx2, .mr = 6, .nr = 16, .vec = 8,
    .fn = &Family::run_packed, .fn_a_rows = &Family::run_rows,
    .fn_pack_b = &Family::run_packed_pack_b, .fn_a_rows_pack_b = &Family::run_rows_pack_b, .gemv = &gemm_impl::gemv<Avx2>,
    .gemv_packed = &Family::gemv_packed_b, .pack_a = &Family::pack_a, .pack_b_rows = &Family::pack_b};

}  // namespace fastserve
