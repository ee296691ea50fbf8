// Shared pieces of the INT8 op kernels built on qgemm.h.
#pragma once

#include "kernels/cpu/qgemm/qgemm.h"
#include "runtime/kernel.h"

namespace fastserve {

// y[M, N] int32 = (A - a_zp)(B - b_zp) for A [..., M, K] (uint8 or int8) and
// a packed B (b_unsigned: packed as b - 128); a_zp scalar or null, b_zp
// scalar, [N] or null.
Status run_integer_gemm(const KernelContext& ctx, const QGemmUkernel& uk, const QPackedB& b, bool b_unsigned,
                        const Tensor& a, const Tensor* a_zp, const Tensor* b_zp, int32_t* y);



}  // namespace fastserve
