// Packing op(A) / op(B) into the microkernels' panel layouts (gemm_ukernel.h).
// Baseline ISA. The run-time hot paths (a plain B, a plain A) are the
// microkernel family's own vector routines (GemmUkernel::pack_b_rows,
// pack_a); this file keeps the transposed forms and whole-matrix packing.
#include "kernels/cpu/gemm/gemm_pack.h"

#include <algorithm>
#include <cstring>

namespace fastserve {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// op(B) = B^T given as N rows of K: op(B)[p][j] = data[j*ld + p]. Eight k
// steps at a time, so each source row is read in 32-byte runs.
void pack_b_trans(int nr, int64_t k0, int64_t kc, int64_t n, const GemmOperand& b, int64_t panel_begin,
                  int64_t panel_end, float* dst, int64_t stride) {
  for (int64_t panel = panel_begin; panel < panel_end; ++panel, dst += stride) {
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min<int64_t>(nr, n - j0);
    if (cols < nr && kc > 0) std::memset(dst, 0, static_cast<size_t>(nr * kc) * sizeof(float));
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = b.data + (j0 + c) * b.ld + k0 + p;
        for (int i = 0; i < 8; ++i) dst[(p + i) * nr + c] = src[i];
      }
    }
    for (; p < kc; ++p) {
      for (int64_t c = 0; c < cols; ++c) dst[p * nr + c] = b.data[(j0 + c) * b.ld + k0 + p];
    }
  }
}

}  // namespace

void pack_b_block(const GemmUkernel& uk, int64_t k0, int64_t kc, int64_t n, const GemmOperand& b,
                  int64_t panel_begin, int64_t panel_end, float* dst, int64_t panel_stride) {
  if (b.trans) {
    pack_b_trans(uk.nr, k0, kc, n, b, panel_begin, panel_end, dst, panel_stride);
  } else {
    uk.pack_b_rows(k0, kc, n, b.data, b.ld, panel_begin, panel_end, dst, panel_stride);
  }
}

int64_t packed_a_size(const GemmUkernel& uk, int64_t m, int64_t k) { return ceil_div(m, uk.mr) * uk.mr * k; }

int64_t packed_b_size(const GemmUkernel& uk, int64_t k, int64_t n) { return ceil_div(n, uk.nr) * uk.nr * k; }

void pack_a_panels(const GemmUkernel& uk, int64_t m, int64_t k, const GemmOperand& a, int64_t panel_begin,
                   int64_t panel_end, float* dst) {
  const int64_t mr = uk.mr;
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + panel * mr * k;
    const int64_t i0 = panel * mr;
    const int64_t rows = std::min(mr, m - i0);
    if (!a.trans) {
      // op(A)[i][p] = data[i*ld + p]: read rows, write with stride MR.
      // (k == 0: no panel storage at all, and memset must not see its null pointer.)
      if (rows < mr && k > 0) std::memset(out, 0, static_cast<size_t>(mr * k) * sizeof(float));
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + r) * a.ld;
        for (int64_t p = 0; p < k; ++p) out[p * mr + r] = src[p];
      }
    } else {
      // op(A)[i][p] = data[p*ld + i]: each k step is a contiguous run.
      for (int64_t p = 0; p < k; ++p) {
        const float* src = a.data + p * a.ld + i0;
        float* o = out + p * mr;
        for (int64_t r = 0; r < rows; ++r) o[r] = src[r];
        for (int64_t r = rows; r < mr; ++r) o[r] = 0.f;
      }
    }
  }
}

void pack_b_panels(const GemmUkernel& uk, int64_t k, int64_t n, const GemmOperand& b, int64_t panel_begin,
                   int64_t panel_end, float* dst) {
  pack_b_block(uk, 0, k, n, b, panel_begin, panel_end, dst + panel_begin * uk.nr * k, uk.nr * k);
}

}  // namespace fastserve
