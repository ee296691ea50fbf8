// spmm_f32__portable_64: the SpMM microkernel (spmm_ukernel.h) in plain
// C++ at the baseline ISA (the 64-wide accumulator row auto-vectorizes),
// for hosts without AVX2 and FASTSERVE_MAX_ISA=scalar; also the kernel
// that picks the microkernel for a session ISA.
#include <algorithm>

#include "kernels/cpu/sparse/spmm_ukernel.h"

namespace fastserve {
namespace {

void spmm_portable(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* d, const int32_t* doff,
                   int64_t n, float* c, int64_t ldc, const SpmmParams& p) {
  for (int64_t j0 = 0; j0 < n; j0 += kSpmmBlock) {
    const int64_t cols = std::min(kSpmmBlock, n - j0);
    for (int64_t r = row_begin; r < row_end; ++r) {
      float acc[kSpmmBlock] = {};
      for (int32_t i = s.row_ptr[static_cast<size_t>(r)]; i < s.row_ptr[static_cast<size_t>(r) + 1]; ++i) {
        const float w = s.val[static_cast<size_t>(i)];
        const float* row = d + doff[i] + j0;
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

void spmv_portable(const SparseMatrix& s, int64_t row_begin, int64_t row_end, const float* x, float* y,
                   const SpmmParams& p) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    // Four partial sums: independent chains, and the order the SIMD kernels' lanes sum in.
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    int32_t i = s.row_ptr[static_cast<size_t>(r)];
    const int32_t end = s.row_ptr[static_cast<size_t>(r) + 1];
    for (; i + 4 <= end; i += 4) {
      for (int t = 0; t < 4; ++t) acc[t] += s.val[static_cast<size_t>(i + t)] * x[s.col[static_cast<size_t>(i + t)]];
    }
    for (; i < end; ++i) acc[0] += s.val[static_cast<size_t>(i)] * x[s.col[static_cast<size_t>(i)]];
    float v = (acc[0] + acc[1]) + (acc[2] + acc[3]) + (p.bias != nullptr ? p.bias[r] : 0.f);
    if (p.beta != 0.f) v += y[r];
    y[r] = spmm_activate(v, p);
  }
}

}  // namespace

void nonzero_offsets(const SparseMatrix& s, const int64_t* koff, int32_t* out) {
  for (size_t i = 0; i < s.col.size(); ++i) out[i] = static_cast<int32_t>(koff[s.col[i]]);
}

std::vector<int32_t> plain_nonzero_offsets(const SparseMatrix& s, int64_t ld) {
  std::vector<int32_t> out(s.col.size());
  for (size_t i = 0; i < s.col.size(); ++i) out[i] = static_cast<int32_t>(s.col[i] * ld);
  return out;
}

const SpmmUkernel kSpmmPortable = {"spmm_f32__portable_64", Isa::kScalar, &spmm_portable, &spmv_portable};

const SpmmUkernel& spmm_ukernel_for_isa(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kSpmmAvx512;
  if (isa >= Isa::kAvx2) return kSpmmAvx2;
#endif
  (void)isa;
  return kSpmmPortable;
}

}  // namespace fastserve
