// spmm_f32__portable_64: the SpMM microkernel (spmm_ukernel.h) in plain
// C++ at the baseline ISA (the 64-wide accumulator row auto-vectorizes),
// for hosts without AVX2 and FASTSERVE_MAX_ISA=scalar; also the kernel
// that picks the microkernel for a session ISA.
#include <algorithm>

#include "kernels/cpu/sparse/spmm_ukernel.h"

namespace fastserve {
namespace {

void spmm_portable(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* d, int64_t ldd, int64_t n,
                   float* c, int64_t ldc, const SpmmParams& p) {
  for (int64_t j0 = 0; j0 < n; j0 += kSpmmBlock) {
    const int64_t cols = std::min(kSpmmBlock, n - j0);
    for (int64_t r = row_begin; r < row_end; ++r) {
      float acc[kSpmmBlock] = {};
      for (int32_t i = s.row_ptr[static_cast<size_t>(r)]; i < s.row_ptr[static_cast<size_t>(r) + 1]; ++i) {
        const float w = s.val[static_cast<size_t>(i)];
        const float* row = d + static_cast<int64_t>(s.col[static_cast<size_t>(i)]) * ldd + j0;
        for (int64_t j = 0; j < cols; ++j) acc[j] += w * row[j];
      }
      const float bias = p.bias != nullptr ? p.bias[r] : 0.f;
      float* out = c + r * ldc + j0;
      for (int64_t j = 0; j < cols; ++j) {
        float x = acc[j] + bias;
        if (p.beta != 0.f) x += out[j];
        if (p.activation == GemmActivation::kRelu) x = std::max(x, 0.f);
        if (p.activation == GemmActivation::kClamp) x = std::min(std::max(x, p.clamp_min), p.clamp_max);
        out[j] = x;
      }
    }
  }
}

}  // namespace

const SpmmUkernel kSpmmPortable = {"spmm_f32__portable_64", Isa::kScalar, &spmm_portable};

const SpmmUkernel& spmm_ukernel_for_isa(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kSpmmAvx512;
  if (isa >= Isa::kAvx2) return kSpmmAvx2;
#endif
  (void)isa;
  return kSpmmPortable;
}

}  // namespace fastserve
