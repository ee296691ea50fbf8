// The u8 x s8 -> s32 GEMM driver: packing, cache blocking, the thread
// split and the zero-point corrections (see qgemm.h). Baseline ISA: all
// multiply-adds happen in the microkernels.
#include "kernels/cpu/qgemm/qgemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "fastserve/status.h"

namespace fastserve {
namespace {

// K block: 1024 k (256 groups): a B micro-panel (32 KiB) stays in L1 while
// a tile sweeps A, and C is read back once per 1024 k only. An MC block of
// 32 A panels (448 rows x 1024 = 448 KiB) stays in L2 across the column
// panels. Measured here (2 threads, GOPS): KC 512 / MC 64 gave 883 at 2048^3
// and 789 at 1024^3; 1024 / 32 gives 936 and 1056.
constexpr int64_t kKcGroups = 256;
constexpr int64_t kMcPanels = 32;
// Below this many multiply-adds one thread does it all.
constexpr int64_t kMinParallelMacs = int64_t{1} << 18;
constexpr int64_t kMinParallelAmxMacs = int64_t{1} << 27;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A's panels and row sums, in a grow-only per-thread buffer (the caller's
// thread packs; the pool's threads only read it).
struct PackedA {
  const uint8_t* data = nullptr;
  const int32_t* row_sums = nullptr;
};

PackedA pack_a(const QGemmArgs& args, int64_t k4, ThreadPool* pool) {
  thread_local AlignedBytes buf;
  thread_local std::vector<int32_t> sums;
  const int64_t m_panels = ceil_div(args.m, kQMr);
  const size_t bytes = static_cast<size_t>(m_panels * k4 * kQMr * 4);
  if (buf.size < bytes) buf.resize(bytes);
  sums.assign(static_cast<size_t>(args.m), 0);
  // Plain pointers: inside the lambda, `buf` and `sums` would name the
  // running worker's own thread_local objects, not this thread's.
  uint8_t* dst = buf.get();
  int32_t* row_sums = sums.data();
  auto pack_panels = [&](int64_t p0, int64_t p1) {
    const int64_t full = args.k / 4;  // whole groups of 4 k
    for (int64_t p = p0; p < p1; ++p) {
      uint8_t* panel = dst + p * k4 * kQMr * 4;
      const int rows = static_cast<int>(std::min<int64_t>(kQMr, args.m - p * kQMr));
      if (rows < kQMr || full < k4) std::memset(panel, 0, static_cast<size_t>(k4 * kQMr * 4));
      for (int r = 0; r < rows; ++r) {
        const int64_t row = p * kQMr + r;
        const uint8_t* src = args.a + row * args.lda;
        // One 4-byte word per group: the microkernel's broadcast operand.
        for (int64_t g = 0; g < full; ++g) std::memcpy(panel + (g * kQMr + r) * 4, src + g * 4, 4);
        for (int64_t kk = full * 4; kk < args.k; ++kk) panel[(full * kQMr + r) * 4 + kk % 4] = src[kk];
        int32_t s = 0;
        for (int64_t kk = 0; kk < args.k; ++kk) s += src[kk];
        row_sums[row] = s;
      }
    }
  };
  // Packing is a copy at memory speed: a second thread's wake-up only pays
  // for itself on large A (a BERT layer's 128 x 768 packs in ~10 us).
  if (pool != nullptr && m_panels > 1 && args.m * args.k >= (1 << 20)) {
    pool->parallel_for(m_panels, 1, pack_panels);
  } else {
    pack_panels(0, m_panels);
  }
  return PackedA{dst, row_sums};
}

// One thread's share: row panels [ip0, ip1) x column panels [jp0, jp1).
void run_block(const QGemmUkernel& uk, const QGemmArgs& args, const PackedA& a, int64_t ip0, int64_t ip1,
               int64_t jp0, int64_t jp1) {
  const QPackedB& b = *args.b;
  for (int64_t g0 = 0; g0 < b.k4; g0 += kKcGroups) {
    const int64_t groups = std::min(kKcGroups, b.k4 - g0);
    for (int64_t ic = ip0; ic < ip1; ic += kMcPanels) {
      const int64_t ic_end = std::min(ip1, ic + kMcPanels);
      for (int64_t jp = jp0; jp < jp1; ++jp) {
        const int8_t* bp = reinterpret_cast<const int8_t*>(b.data.get()) + (jp * b.k4 + g0) * kQNr * 4;
        const int nn = static_cast<int>(std::min<int64_t>(kQNr, args.n - jp * kQNr));
        for (int64_t ip = ic; ip < ic_end; ++ip) {
          const int mm = static_cast<int>(std::min<int64_t>(kQMr, args.m - ip * kQMr));
          const uint8_t* ap = a.data + (ip * b.k4 + g0) * kQMr * 4;
          uk.tile(groups, ap, bp, args.c + ip * kQMr * args.ldc + jp * kQNr, args.ldc, mm, nn, g0 > 0);
        }
      }
    }
  }
  // Zero-point corrections on this block of C:
  //   C -= a_zp * colsum(B)[j] + b_zp[j] * (rowsum(A)[i] - K * a_zp).
  const int32_t za = args.a_zero_point, zb = args.b_zero_point;
  if (za == 0 && zb == 0 && args.b_zero_points == nullptr) return;
  const int64_t r1 = std::min(args.m, ip1 * kQMr), c1 = std::min(args.n, jp1 * kQNr);
  const auto k = static_cast<int32_t>(args.k);
  for (int64_t r = ip0 * kQMr; r < r1; ++r) {
    int32_t* row = args.c + r * args.ldc;
    const int32_t shifted_sum = a.row_sums[r] - k * za;
    if (args.b_zero_points == nullptr) {
      const int32_t rterm = zb * shifted_sum;
      for (int64_t j = jp0 * kQNr; j < c1; ++j) row[j] -= za * b.col_sums[static_cast<size_t>(j)] + rterm;
    } else {
      for (int64_t j = jp0 * kQNr; j < c1; ++j) {
        row[j] -= za * b.col_sums[static_cast<size_t>(j)] + args.b_zero_points[j] * shifted_sum;
      }
    }
  }
}

}  // namespace

void AlignedBytes::resize(size_t n) {
  const size_t bytes = std::max<size_t>(64, (n + 63) / 64 * 64);
  data.reset(static_cast<uint8_t*>(std::aligned_alloc(64, bytes)));
  FS_CHECK_MSG(data != nullptr, "out of memory for INT8 GEMM packing");
  size = n;
}

const QGemmUkernel& qgemm_ukernel_for_isa(Isa isa) {
#ifdef FASTSERVE_QGEMM_X86
  if (isa >= Isa::kAvx512Vnni && qgemm_amx_available()) return kQGemmUkernelAmx;
  if (isa >= Isa::kAvx512Vnni) return kQGemmUkernelVnni;
  if (isa >= Isa::kAvx2) return cpu_features().avxvnni ? kQGemmUkernelAvxVnni : kQGemmUkernelAvx2;
#else
  (void)isa;
#endif
  return kQGemmUkernelPortable;
}

QPackedB qgemm_pack_b(const int8_t* b, int64_t k, int64_t n, int64_t ldb, bool trans, ThreadPool* pool) {
  QPackedB p;
  p.k = k;
  p.n = n;
  p.k4 = ceil_div(k, 4);
  p.n_panels = ceil_div(n, kQNr);
  p.data.resize(static_cast<size_t>(p.n_panels * p.k4 * kQNr * 4));
  std::memset(p.data.get(), 0, static_cast<size_t>(p.n_panels * p.k4 * kQNr * 4));
  p.col_sums.assign(static_cast<size_t>(n), 0);
  auto* dst = reinterpret_cast<int8_t*>(p.data.get());
  auto pack_panels = [&](int64_t p0, int64_t p1) {
    for (int64_t jp = p0; jp < p1; ++jp) {
      int8_t* panel = dst + jp * p.k4 * kQNr * 4;
      for (int j = 0; j < kQNr; ++j) {
        const int64_t col = jp * kQNr + j;
        if (col >= n) break;
        int32_t s = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const int8_t v = trans ? b[col * ldb + kk] : b[kk * ldb + col];
          panel[((kk / 4) * kQNr + j) * 4 + kk % 4] = v;
          s += v;
        }
        p.col_sums[static_cast<size_t>(col)] = s;
      }
    }
  };
  if (pool != nullptr && p.n_panels > 1) {
    pool->parallel_for(p.n_panels, 1, pack_panels);
  } else {
    pack_panels(0, p.n_panels);
  }
  return p;
}

#ifdef FASTSERVE_QGEMM_X86
namespace {

// The AMX part: rows [0, rows) (a multiple of 16) straight from A, split by
// column panels; then the zero-point terms, as run_block applies them.
void amx_rows(const QGemmArgs& args, int64_t rows, ThreadPool* pool) {
  const QPackedB& b = *args.b;
  const int threads = pool != nullptr ? pool->num_threads() : 1;
  // AMX does 512^3 in ~0.1 ms on one core: below that much work a second
  // thread's wake-up costs more than it saves (measured: 512^3 at 1.5 TOPS
  // on one thread, 0.95 on two).
  const bool parallel = threads > 1 && rows * args.n * args.k > kMinParallelAmxMacs;
  // Columns split when there are a few panels per thread; else rows (in 16s).
  const bool by_columns = b.n_panels >= 2 * threads;
  const int64_t units = by_columns ? b.n_panels : rows / 16;
  const int64_t tasks = parallel ? std::min<int64_t>(threads, units) : 1;
  const int32_t za = args.a_zero_point, zb = args.b_zero_point;
  const bool correct = za != 0 || zb != 0 || args.b_zero_points != nullptr;
  // zb_j * (rowsum(A)_i - K * za), per row, computed once (not per task).
  thread_local std::vector<int32_t> shifted_sums;
  if (correct) {
    shifted_sums.resize(static_cast<size_t>(rows));
    qgemm_row_sums_vnni(args.a, args.lda, rows, args.k, shifted_sums.data());
    const auto k = static_cast<int32_t>(args.k);
    for (int32_t& v : shifted_sums) v -= k * za;
  }
  const int32_t* ss = shifted_sums.data();
  auto task = [&](int64_t t) {
    const int64_t u0 = units * t / tasks, u1 = units * (t + 1) / tasks;
    const int64_t jp0 = by_columns ? u0 : 0, jp1 = by_columns ? u1 : b.n_panels;
    const int64_t r0 = by_columns ? 0 : u0 * 16, r1 = by_columns ? rows : u1 * 16;
    qgemm_amx_rows(args.a + r0 * args.lda, args.lda, r1 - r0, b, jp0, jp1, args.c + r0 * args.ldc, args.ldc);
    if (!correct) return;
    const int64_t c0 = jp0 * kQNr, c1 = std::min(args.n, jp1 * kQNr);
    const int32_t* cs = b.col_sums.data();
    for (int64_t r = r0; r < r1; ++r) {
      qgemm_correct_row_avx512(args.c + r * args.ldc, c0, c1, za, cs, zb, args.b_zero_points, ss[r]);
    }
  };
  if (tasks <= 1) {
    task(0);
  } else {
    pool->parallel_for(tasks, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) task(t);
    });
  }
}

}  // namespace
#endif

void qgemm_u8s8s32(const QGemmUkernel& uk, const QGemmArgs& args, ThreadPool* pool) {
  if (args.m <= 0 || args.n <= 0) return;
#ifdef FASTSERVE_QGEMM_X86
  if (uk.amx && args.k > 0 && args.k % 64 == 0 && args.m >= 16) {
    const int64_t rows = args.m / 16 * 16;
    amx_rows(args, rows, pool);
    if (rows == args.m) return;
    // The last rows (fewer than 16) on the VNNI tile.
    QGemmArgs rest = args;
    rest.m = args.m - rows;
    rest.a = args.a + rows * args.lda;
    rest.c = args.c + rows * args.ldc;
    qgemm_u8s8s32(kQGemmUkernelVnni, rest, pool);
    return;
  }
#endif
  FS_CHECK(args.b != nullptr && args.b->k == args.k && args.b->n == args.n);
  if (args.k == 0) {
    for (int64_t r = 0; r < args.m; ++r) std::fill(args.c + r * args.ldc, args.c + r * args.ldc + args.n, 0);
    return;
  }
  const PackedA a = pack_a(args, args.b->k4, pool);
  const int64_t m_panels = ceil_div(args.m, kQMr), n_panels = args.b->n_panels;
  const int threads = pool != nullptr ? pool->num_threads() : 1;
  const bool parallel = threads > 1 && args.m * args.n * args.k >= kMinParallelMacs;
  if (!parallel) {
    run_block(uk, args, a, 0, m_panels, 0, n_panels);
    return;
  }
  // Split the columns when there are a few panels per thread (each thread
  // then reads all of A, which is small next to its share of B); else the
  // rows (a narrow B, like a conv's 64 output channels, is shared by both).
  const bool by_columns = n_panels >= 2 * threads || m_panels < threads;
  const int64_t units = by_columns ? n_panels : m_panels;
  const int64_t tasks = std::min<int64_t>(threads, units);
  pool->parallel_for(tasks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t u0 = units * t / tasks, u1 = units * (t + 1) / tasks;
      if (by_columns) {
        run_block(uk, args, a, 0, m_panels, u0, u1);
      } else {
        run_block(uk, args, a, u0, u1, 0, n_panels);
      }
    }
  });
}

}  // namespace fastserve
