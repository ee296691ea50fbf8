// The FP32 GEMM driver: packing, cache blocking, thread split (see gemm.h).
// Baseline ISA; all arithmetic happens in the microkernels.
#include "kernels/cpu/gemm/gemm.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>

namespace fastserve {
namespace {

// Cache blocking. KC: depth of one pass, so a KC x NR micro-panel of B
// (256 * 32 * 4 = 32 KiB at NR=32) stays in L1 while the microkernel sweeps
// the MC rows of A. MC: about 120 rows, so the MC x KC block of packed A
// (~120 KiB) stays in L2. NC: at most 1024 columns per task; fewer when the
// output must be split further to feed every thread.
constexpr int64_t kKc = 256;
constexpr int64_t kMcRows = 120;
constexpr int64_t kNcMaxCols = 1024;
// Below this many multiply-adds the pool's wake-up costs more than it saves.
constexpr int64_t kMinParallelMacs = int64_t{1} << 16;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Runs fn over [0, n) on the pool, or inline when serial.
void run_range(ThreadPool* pool, bool parallel, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (pool != nullptr && parallel && n > 1) {
    pool->parallel_for(n, 1, fn);
  } else {
    fn(0, n);
  }
}

}  // namespace

const GemmUkernel& gemm_ukernel_for_isa(Isa isa) {
#ifdef FASTSERVE_GEMM_X86
  if (isa >= Isa::kAvx512) return kGemmUkernelAvx512_14x32;
  if (isa >= Isa::kAvx2) return kGemmUkernelAvx2_6x16;
#else
  (void)isa;
#endif
  return kGemmUkernelPortable4x8;
}

std::span<const GemmUkernel* const> gemm_ukernels() {
#ifdef FASTSERVE_GEMM_X86
  static const std::array<const GemmUkernel*, 3> kAll = {&kGemmUkernelAvx512_14x32, &kGemmUkernelAvx2_6x16,
                                                         &kGemmUkernelPortable4x8};
#else
  static const std::array<const GemmUkernel*, 1> kAll = {&kGemmUkernelPortable4x8};
#endif
  return kAll;
}

void AlignedFloats::resize(size_t count) {
  size_ = count;
  if (count <= capacity_) return;
  // aligned_alloc wants a size that is a multiple of the alignment.
  const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  FS_CHECK_MSG(p != nullptr, "out of memory for GEMM packing buffer");
  data_.reset(static_cast<float*>(p));
  capacity_ = count;
}

float* thread_scratch(size_t count, int slot) {
  thread_local std::array<AlignedFloats, 4> buffers;
  FS_CHECK(slot >= 0 && slot < static_cast<int>(buffers.size()));
  AlignedFloats& buf = buffers[static_cast<size_t>(slot)];
  buf.resize(std::max<size_t>(count, 1));
  return buf.data();
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
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + r) * a.ld;
        for (int64_t p = 0; p < k; ++p) out[p * mr + r] = src[p];
      }
      for (int64_t r = rows; r < mr; ++r) {
        for (int64_t p = 0; p < k; ++p) out[p * mr + r] = 0.f;
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
  const int64_t nr = uk.nr;
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    float* out = dst + panel * nr * k;
    const int64_t j0 = panel * nr;
    const int64_t cols = std::min(nr, n - j0);
    if (!b.trans) {
      // op(B)[p][j] = data[p*ld + j]: copy a row slice per k step.
      for (int64_t p = 0; p < k; ++p) {
        const float* src = b.data + p * b.ld + j0;
        float* o = out + p * nr;
        std::memcpy(o, src, static_cast<size_t>(cols) * sizeof(float));
        for (int64_t c = cols; c < nr; ++c) o[c] = 0.f;
      }
    } else {
      // op(B)[p][j] = data[j*ld + p]: read rows of data, write with stride NR.
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = b.data + (j0 + c) * b.ld;
        for (int64_t p = 0; p < k; ++p) out[p * nr + c] = src[p];
      }
      for (int64_t c = cols; c < nr; ++c) {
        for (int64_t p = 0; p < k; ++p) out[p * nr + c] = 0.f;
      }
    }
  }
}

AlignedFloats pack_a(const GemmUkernel& uk, int64_t m, int64_t k, const GemmOperand& a, ThreadPool* pool) {
  AlignedFloats buf;
  buf.resize(static_cast<size_t>(packed_a_size(uk, m, k)));
  float* dst = buf.data();
  run_range(pool, true, ceil_div(m, uk.mr),
            [&](int64_t b, int64_t e) { pack_a_panels(uk, m, k, a, b, e, dst); });
  return buf;
}

AlignedFloats pack_b(const GemmUkernel& uk, int64_t k, int64_t n, const GemmOperand& b, ThreadPool* pool) {
  AlignedFloats buf;
  buf.resize(static_cast<size_t>(packed_b_size(uk, k, n)));
  float* dst = buf.data();
  run_range(pool, true, ceil_div(n, uk.nr),
            [&](int64_t s, int64_t e) { pack_b_panels(uk, k, n, b, s, e, dst); });
  return buf;
}

int64_t gemm_f32_workspace_size(const GemmUkernel& uk, const GemmArgs& args) {
  int64_t size = 0;
  // Each part is rounded to 16 floats so the B buffer stays 64-byte aligned.
  if (args.a_packed == nullptr) size += ceil_div(packed_a_size(uk, args.m, args.k), 16) * 16;
  if (args.b_packed == nullptr) size += packed_b_size(uk, args.k, args.n);
  return size;
}

void gemm_f32(const GemmUkernel& uk, const GemmArgs& args, ThreadPool* pool, float* workspace) {
  const int64_t m = args.m, n = args.n, k = args.k;
  if (m <= 0 || n <= 0) return;
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t m_panels = ceil_div(m, mr);
  const int64_t n_panels = ceil_div(n, nr);
  const int threads = pool != nullptr ? pool->num_threads() : 1;
  const bool parallel = threads > 1 && m * n * std::max<int64_t>(k, 1) >= kMinParallelMacs;

  if (workspace == nullptr) workspace = thread_scratch(static_cast<size_t>(gemm_f32_workspace_size(uk, args)));
  const float* a_packed = args.a_packed;
  const float* b_packed = args.b_packed;
  if (a_packed == nullptr) {
    float* dst = workspace;
    run_range(pool, parallel, m_panels, [&](int64_t b, int64_t e) { pack_a_panels(uk, m, k, args.a, b, e, dst); });
    a_packed = dst;
    workspace += ceil_div(packed_a_size(uk, m, k), 16) * 16;
  }
  if (b_packed == nullptr) {
    float* dst = workspace;
    run_range(pool, parallel, n_panels, [&](int64_t b, int64_t e) { pack_b_panels(uk, k, n, args.b, b, e, dst); });
    b_packed = dst;
  }

  // Tasks: MC x NC blocks of C. Split N further when M alone gives fewer
  // than four tasks per thread, and make the task count a multiple of the
  // thread count where the panels allow, so the static split is balanced.
  const int64_t m_blocks = ceil_div(m_panels, std::max<int64_t>(1, kMcRows / mr));
  const int64_t mc_panels = ceil_div(m_panels, m_blocks);  // equal-sized M blocks
  const int64_t max_nc_panels = std::max<int64_t>(1, kNcMaxCols / nr);
  int64_t n_splits = 1;
  if (parallel) {
    n_splits = std::clamp<int64_t>(ceil_div(4 * threads, m_blocks), 1, n_panels);
    while ((m_blocks * n_splits) % threads != 0 && n_splits < n_panels) ++n_splits;
  }
  n_splits = std::max(n_splits, ceil_div(n_panels, max_nc_panels));
  const int64_t nc_panels = ceil_div(n_panels, n_splits);
  const int64_t n_blocks = ceil_div(n_panels, nc_panels);

  const GemmEpilogue& ep = args.epilogue;
  auto task = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t ip_begin = (t / n_blocks) * mc_panels;
      const int64_t ip_end = std::min(m_panels, ip_begin + mc_panels);
      const int64_t jp_begin = (t % n_blocks) * nc_panels;
      const int64_t jp_end = std::min(n_panels, jp_begin + nc_panels);
      int64_t k0 = 0;
      do {
        const int64_t kc = std::min(kKc, k - k0);
        const bool last = k0 + kc >= k;
        GemmUkernelParams prm;
        prm.alpha = args.alpha;
        prm.beta = k0 == 0 ? args.beta : 1.f;
        if (last) {
          prm.activation = ep.activation;
          prm.clamp_min = ep.clamp_min;
          prm.clamp_max = ep.clamp_max;
        }
        for (int64_t jp = jp_begin; jp < jp_end; ++jp) {
          const int64_t j0 = jp * nr;
          const int nn = static_cast<int>(std::min(nr, n - j0));
          const float* bp = b_packed + jp * nr * k + k0 * nr;
          prm.col_bias = last && ep.bias_kind == GemmBias::kPerColumn ? ep.bias + j0 : nullptr;
          for (int64_t ip = ip_begin; ip < ip_end; ++ip) {
            const int64_t i0 = ip * mr;
            const int mm = static_cast<int>(std::min(mr, m - i0));
            prm.row_bias = last && ep.bias_kind == GemmBias::kPerRow ? ep.bias + i0 : nullptr;
            uk.fn(mm, nn, kc, a_packed + ip * mr * k + k0 * mr, bp, args.c + i0 * args.ldc + j0, args.ldc, prm);
          }
        }
        k0 += kc;
      } while (k0 < k);
    }
  };
  run_range(pool, parallel, m_blocks * n_blocks, task);
}

}  // namespace fastserve
