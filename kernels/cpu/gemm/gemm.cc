// The FP32 GEMM driver: cache blocking, thread split, operand packing and
// the M = 1 path (see gemm.h). Baseline ISA; all arithmetic happens in the
// microkernels.
#include "kernels/cpu/gemm/gemm.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>

#include "core/cpu_cache.h"
#include "kernels/cpu/gemm/gemm_pack.h"

namespace fastserve {
namespace {

// thread_scratch slots used here (0-2 belong to gemm_f32's caller-visible
// workspace, the Gemm op and the conv im2col buffer).
constexpr int kSlotBBlock = 3;  // a task's packed KC x NC block of B
constexpr int kSlotGemvX = 4;   // the gathered row of A for M = 1
constexpr int kSlotABlock = 5;  // a task's packed rows of A (all of K)

// Below this many multiply-adds a second thread's wake-up and the split
// cost more than they save.
constexpr int64_t kMinParallelMacs = int64_t{1} << 17;
// Packing one float costs about as much as this many multiply-adds in the
// microkernel (a strided load and a store, against 1/32 of a cycle per
// multiply-add): the split cost model charges it to grids whose tasks pack
// (and so repeat packing) A rows or B columns.
constexpr int64_t kPackCostMacs = 8;
// A task's fixed start-up (thread hand-off, buffer set-up) in multiply-adds.
constexpr int64_t kTaskStartMacs = int64_t{1} << 15;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Whether a task packs its plain A rows (once, all of K) rather than have
// the microkernel read them in place. In place, the MR rows are lda apart;
// when lda is a multiple of 1 KiB they fall into a few cache sets and evict
// the B micro-panel from L1 and the A block from L2 (16% slower measured at
// lda = 1024). Packing costs about half a microkernel call per A
// micro-panel and K slice, repaid over the B micro-panels that reuse it.
bool pack_a_pays(int64_t n_panels, int64_t lda) {
  const bool aliasing = (lda * static_cast<int64_t>(sizeof(float))) % 1024 == 0;
  return n_panels >= (aliasing ? 4 : 16);
}

// Runs fn over [0, n) on the pool, or inline when serial.
void run_range(ThreadPool* pool, bool parallel, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (pool != nullptr && parallel && n > 1) {
    pool->parallel_for(n, 1, fn);
  } else {
    fn(0, n);
  }
}

// Cache blocking (BLIS, Goto & van de Geijn 2008, "Anatomy of
// high-performance matrix multiplication", section 6), from the detected
// cache sizes:
//   KC: a KC x NR micro-panel of B takes half of L1; the rest holds the A
//       and C lines streaming past;
//   MC: an MC x KC block of A takes half of L2;
//   NC: a KC x NC block of packed B (when B is packed at run time) takes a
//       quarter of L2, beside the A block. (BLIS keeps a larger NC block in
//       L3; a prepacked B needs no NC block at all, see run_block.)
struct Blocking {
  int64_t kc;         // depth of one pass (before equalizing the slices)
  int64_t mc_panels;  // MR panels per MC block
  int64_t nc_panels;  // NR panels per NC block
  int64_t l2_floats;  // L2 capacity
};

Blocking blocking_for(const GemmUkernel& uk) {
  const CacheSizes& cs = cache_sizes();
  constexpr int64_t kF = sizeof(float);
  Blocking b;
  b.kc = std::clamp<int64_t>(cs.l1d / 2 / (uk.nr * kF), 128, 512) / 8 * 8;
  b.mc_panels = std::clamp<int64_t>(cs.l2 / 2 / (b.kc * kF) / uk.mr, 1, 64);
  b.nc_panels = std::clamp<int64_t>(cs.l2 / 4 / (b.kc * kF) / uk.nr, 2, 64);
  b.l2_floats = cs.l2 / kF;
  return b;
}

// One gemm_f32 call, decided up front.
struct Plan {
  const GemmUkernel& uk;
  const GemmArgs& args;
  const float* a_packed = nullptr;  // whole-matrix packed A (prepacked or transposed), else null
  Blocking blk{};
  int64_t m_panels = 0, n_panels = 0;
  int64_t k_slices = 1, kc_max = 0;
};

// Whether a task packs its plain A rows (see pack_a_pays).
bool task_packs_a(const Plan& pl, int64_t n_panels) {
  return pl.a_packed == nullptr && pack_a_pays(n_panels, pl.args.a.ld);
}

// How the output is cut into tasks: a tm x tn grid of blocks of whole MR /
// NR panels, handed out to the threads one at a time (run_tasks).
struct Split {
  int64_t tm = 1, tn = 1;
};

// [begin, end) of part `i` of `n` items cut into `parts` near-equal parts.
std::pair<int64_t, int64_t> part_range(int64_t n, int64_t parts, int64_t i) {
  const int64_t base = n / parts, extra = n % parts;
  const int64_t begin = i * base + std::min(i, extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

// A task's cost in multiply-adds: its tiles, the packing it does (its B
// columns when B is plain, its A rows when it packs A; a finer grid repeats
// these), and a fixed start-up. Row and column panels [begin, end): a tile
// kernel is instantiated for the exact row count and for the vectors a
// column tail needs, so a tail costs its rows and its columns rounded up to
// whole vectors, not a whole MR x NR tile. (Counting padded tiles, the
// split of M = 512, N = 49, K = 4608 gave one thread 32 columns and the
// other 16 + a 1-column tail, 1.7x on 2 threads, where halving the rows
// balances.)
int64_t task_cost(const Plan& pl, int64_t ip_begin, int64_t ip_end, int64_t jp_begin, int64_t jp_end) {
  const int64_t k = std::max<int64_t>(pl.args.k, 1);
  const int64_t mr = pl.uk.mr, nr = pl.uk.nr, vec = pl.uk.vec;
  const int64_t rows = std::min(pl.args.m, ip_end * mr) - ip_begin * mr;
  const int64_t cols = std::min(pl.args.n, jp_end * nr) - jp_begin * nr;
  const int64_t cols_vec = ceil_div(cols, vec) * vec;
  if (rows <= 0 || cols <= 0) return 0;
  int64_t cost = rows * cols_vec * k + kTaskStartMacs;
  if (pl.args.b_packed == nullptr) cost += cols * k * kPackCostMacs;
  if (task_packs_a(pl, jp_end - jp_begin)) cost += rows * k * kPackCostMacs;
  return cost;
}

// The grid: the one that minimizes the slowest thread's cost with one
// block per thread. (Finer grids, up to four tasks per thread handed out
// dynamically, were tried for robustness against a preempted thread; each
// extra task re-packs or re-streams its share of A and B, and on the AVX2
// host 1024^3 ran at 128 GFLOP/s as 1x8 tasks against 150 as 1x2, and
// MobileNetV2's 16->96 1x1 at 112x112 took 0.84 ms as 1x8 against 0.63.)
Split choose_split(const Plan& pl, int threads) {
  auto estimate = [&](int64_t tm, int64_t tn) {
    int64_t slowest = 0;
    for (int64_t i = 0; i < tm; ++i) {
      const auto [ib, ie] = part_range(pl.m_panels, tm, i);
      for (int64_t j = 0; j < tn; ++j) {
        const auto [jb, je] = part_range(pl.n_panels, tn, j);
        slowest = std::max(slowest, task_cost(pl, ib, ie, jb, je));
      }
    }
    return ceil_div(tm * tn, threads) * slowest;
  };
  Split best;
  int64_t best_time = std::numeric_limits<int64_t>::max();
  for (int64_t tm = 1; tm <= std::min<int64_t>(threads, pl.m_panels); ++tm) {
    for (int64_t tn = 1; tm * tn <= threads && tn <= pl.n_panels; ++tn) {
      const int64_t t = estimate(tm, tn);
      if (t < best_time) {
        best_time = t;
        best = Split{tm, tn};
      }
    }
  }
  return best;
}

// Runs fn(t) for t in [0, n) on the pool, handing tasks out one at a time
// through an atomic counter, or inline when serial.
void run_tasks(ThreadPool* pool, bool parallel, int64_t n, const std::function<void(int64_t)>& fn) {
  if (pool == nullptr || !parallel || n <= 1) {
    for (int64_t t = 0; t < n; ++t) fn(t);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->run_on_all([&](int, int) {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < n;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(t);
    }
  });
}

GemmUkernelParams tile_params(const GemmArgs& args, bool first_k, bool last_k) {
  GemmUkernelParams prm;
  prm.alpha = args.alpha;
  prm.beta = first_k ? args.beta : 1.f;
  if (last_k) {
    prm.activation = args.epilogue.activation;
    prm.clamp_min = args.epilogue.clamp_min;
    prm.clamp_max = args.epilogue.clamp_max;
  }
  return prm;
}

// Where a task finds A micro-panel ip at k step k0, and which tile entry
// point reads it.
struct ATiles {
  const float* base = nullptr;
  int64_t ip0 = 0;           // panel index at base
  int64_t panel_stride = 0;  // floats between micro-panels (or MR-row groups)
  int64_t k_stride = 0;      // floats per k step along a micro-panel
  int64_t lda = 0;
  GemmUkernelFn fn = nullptr;
  GemmUkernelPackBFn fn_pack_b = nullptr;  // the same A, plain B rows packed on the way
  const float* at(int64_t ip, int64_t k0) const { return base + (ip - ip0) * panel_stride + k0 * k_stride; }
};

// A for the panels [ip_begin, ip_end) of one task: the whole-matrix packed
// A, the plain rows in place, or those rows packed now (all of K, once per
// task, into this thread's scratch).
ATiles a_tiles_for_task(const Plan& pl, int64_t ip_begin, int64_t ip_end, int64_t task_n_panels) {
  const GemmUkernel& uk = pl.uk;
  const int64_t mr = uk.mr, k = pl.args.k, m = pl.args.m;
  const GemmOperand& a = pl.args.a;
  if (pl.a_packed != nullptr) return ATiles{pl.a_packed, 0, mr * k, mr, 0, uk.fn, uk.fn_pack_b};
  if (!task_packs_a(pl, task_n_panels)) {
    return ATiles{a.data, 0, mr * a.ld, 1, a.ld, uk.fn_a_rows, uk.fn_a_rows_pack_b};
  }
  float* buf = thread_scratch(static_cast<size_t>((ip_end - ip_begin) * mr * k), kSlotABlock);
  for (int64_t ip = ip_begin; ip < ip_end; ++ip) {
    uk.pack_a(static_cast<int>(std::min(mr, m - ip * mr)), k, a.data + ip * mr * a.ld, a.ld,
              buf + (ip - ip_begin) * mr * k);
  }
  return ATiles{buf, ip_begin, mr * k, mr, 0, uk.fn, uk.fn_pack_b};
}

// A prefetch into L2 that the compiler keeps: GCC 12 deletes loops whose
// only statements are __builtin_prefetch calls when it can see their
// bounds (they have no side effects to it), which silently disabled these.
inline void prefetch_l2(const char* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht1 %0" : : "m"(*p));
#else
  __builtin_prefetch(p, 0, 2);
#endif
}

// Memory the caller touches next, prefetched into L2 while the
// microkernels work on data already in cache, a few lines before each tile
// (too many prefetches at once overflow the miss queues and get dropped).
// `rows` runs of `row_bytes`, `stride` bytes apart; lines [line_begin,
// line_end) of it (counted row by row) are this caller's share.
struct Prefetch {
  const char* base = nullptr;
  int64_t rows = 0, stride = 0, row_bytes = 0;
  int64_t line_begin = 0, line_end = 0;

  int64_t lines_per_row() const { return (row_bytes + 63) / 64; }
};

// Walks a Prefetch's lines in order, a few at a time (two divisions up
// front, none per line: they would cost more than the prefetches).
class PrefetchCursor {
 public:
  explicit PrefetchCursor(const Prefetch& p)
      : p_(p), per_row_(std::max<int64_t>(1, p.lines_per_row())), left_(std::max<int64_t>(0, p.line_end - p.line_begin)) {
    row_ = p.line_begin / per_row_;
    col_ = p.line_begin % per_row_;
  }
  int64_t left() const { return left_; }
  void issue(int64_t count) {
    count = std::min(count, left_);
    left_ -= count;
    for (int64_t i = 0; i < count; ++i) {
      prefetch_l2(p_.base + row_ * p_.stride + col_ * 64);
      if (++col_ == per_row_) {
        col_ = 0;
        ++row_;
      }
    }
  }

 private:
  const Prefetch& p_;
  int64_t per_row_, left_;
  int64_t row_ = 0, col_ = 0;
};

// A contiguous micro-panel of packed B (kc deep) as a Prefetch.
Prefetch panel_prefetch(const float* panel, int64_t kc, int64_t nr) {
  Prefetch p;
  p.base = reinterpret_cast<const char*>(panel);
  p.rows = 1;
  p.row_bytes = kc * nr * static_cast<int64_t>(sizeof(float));
  p.line_end = p.lines_per_row();
  return p;
}

// The tiles of one column panel jp and rows [ip_begin, ip_end), K slice
// `slice` (kc deep), B micro-panel at bp; `next` is spread over the tiles.
// With b_rows set (the panel's first use, a whole panel of a plain B), the
// first tile reads B from those rows (ldb apart) and packs them into bp.
// (A prepacked B streams from L3 or DRAM: touched first inside the
// microkernel, a micro-panel stalls it for the whole panel's latency, so the
// caller passes the micro-panel it runs next. BLIS passes the same hint to
// its microkernels.)
void run_column(const Plan& pl, const ATiles& a, int64_t ip_begin, int64_t ip_end, int64_t jp, float* bp,
                int64_t slice, int64_t kc, const Prefetch& next, bool first_column,
                const float* b_rows = nullptr) {
  const GemmArgs& args = pl.args;
  const GemmEpilogue& ep = args.epilogue;
  const int64_t mr = pl.uk.mr, nr = pl.uk.nr;
  const int64_t k0 = slice * pl.kc_max;
  const bool last = slice + 1 == pl.k_slices;
  GemmUkernelParams prm = tile_params(args, slice == 0, last);
  const int64_t j0 = jp * nr;
  const int nn = static_cast<int>(std::min(nr, args.n - j0));
  if (last && ep.bias_kind == GemmBias::kPerColumn) prm.col_bias = ep.bias + j0;
  const bool row_bias = last && ep.bias_kind == GemmBias::kPerRow;
  PrefetchCursor prefetch(next);
  const int64_t per_tile = ceil_div(prefetch.left(), ip_end - ip_begin);
  for (int64_t ip = ip_begin; ip < ip_end; ++ip) {
    const int64_t i0 = ip * mr;
    if (row_bias) prm.row_bias = ep.bias + i0;
    prefetch.issue(per_tile);
    const int mm = static_cast<int>(std::min(mr, args.m - i0));
    if (first_column && ip + 1 < ip_end) {
      // The first column of a block pulls each A micro-panel from L3 or
      // DRAM into L2 (the later columns find it there): start the next
      // tile's while this one computes, its first lines only (of each row,
      // for plain rows); the hardware streamer follows on. The whole panel
      // at once (168 lines at kc 192) stalled on full miss queues: 14% of
      // the samples of a ResNet-50 3x3 stride-2 conv (packed A) sat on
      // those prefetches. Capped, conv bench
      // layers (Ice Lake AVX-512 host, min of 5 interleaved runs, 1 / 2
      // threads, ms): Winograd 256@14 1.73 -> 1.62 / 0.98 -> 0.85, 3x3 s2
      // 128@56 2.69 -> 2.43 / 1.39 -> 1.34, 1x1 320->1280 at 7x7 0.414 ->
      // 0.379 / 0.244 -> 0.234; 1024^3 GEMM 18.7 -> 18.4 (1 thread).
      constexpr int64_t kNextAPrefetchLines = 16;
      Prefetch next_a;
      const float* a_next = a.at(ip + 1, k0);
      next_a.base = reinterpret_cast<const char*>(a_next);
      if (a.lda == 0) {
        next_a.rows = 1;
        next_a.row_bytes = kc * mr * static_cast<int64_t>(sizeof(float));
      } else {
        // Plain rows, lda apart: one stream per row, so each row's first
        // line (mr lines, within the cap).
        next_a.rows = std::min(mr, args.m - i0 - mr);
        next_a.stride = a.lda * static_cast<int64_t>(sizeof(float));
        next_a.row_bytes = 64;
      }
      next_a.line_end = next_a.rows * next_a.lines_per_row();
      PrefetchCursor cursor(next_a);
      cursor.issue(std::min(kNextAPrefetchLines, cursor.left()));
    }
    if (b_rows != nullptr && ip == ip_begin) {
      a.fn_pack_b(mm, kc, a.at(ip, k0), a.lda, b_rows, args.b.ld, bp, args.c + i0 * args.ldc + j0, args.ldc, prm);
    } else {
      a.fn(mm, nn, kc, a.at(ip, k0), a.lda, bp, args.c + i0 * args.ldc + j0, args.ldc, prm);
    }
  }
}

// One thread's block of C: panels [ip_begin, ip_end) x [jp_begin, jp_end).
// Loop orders (innermost two are always jr > ir, so a B micro-panel stays in
// L1 while the microkernel sweeps the A micro-panels):
//   * B prepacked, the block's A fits in half of L2: jr > pc > ir. The C
//     tiles of a column panel stay in cache across the K slices.
//   * B prepacked otherwise: pc > ic > jr > ir (BLIS): the MC x KC A block
//     stays in L2 across jr; B micro-panels stream from memory.
//   * B plain: NC > pc > ic > jr > ir. A KC x NC block of B is packed into
//     L2 by the first MC block's tiles (fused, gemm_ukernel.h; the strip of
//     B the next fused tile reads is prefetched meanwhile), then reused by
//     every later MC block; with one MC block the NC columns of C stay in
//     cache across the K slices.
void run_block(const Plan& pl, int64_t ip_begin, int64_t ip_end, int64_t jp_begin, int64_t jp_end) {
  const GemmArgs& args = pl.args;
  const int64_t mr = pl.uk.mr, nr = pl.uk.nr, k = args.k, mc = pl.blk.mc_panels;
  const ATiles a = a_tiles_for_task(pl, ip_begin, ip_end, jp_end - jp_begin);
  auto slice_kc = [&](int64_t slice) { return std::min(pl.kc_max, k - slice * pl.kc_max); };
  if (args.b_packed != nullptr) {
    // Micro-panel (jp, slice) of the prepacked B.
    // (run_column only writes B through bp when passed b_rows, never here.)
    auto b_at = [&](int64_t jp, int64_t slice) {
      return const_cast<float*>(args.b_packed + jp * nr * k + slice * pl.kc_max * nr);
    };
    if ((ip_end - ip_begin) * mr * k <= pl.blk.l2_floats / 2) {
      for (int64_t jp = jp_begin; jp < jp_end; ++jp) {
        for (int64_t slice = 0; slice < pl.k_slices; ++slice) {
          const bool more = slice + 1 < pl.k_slices;
          const int64_t next_jp = more ? jp : jp + 1, next_slice = more ? slice + 1 : 0;
          run_column(pl, a, ip_begin, ip_end, jp, b_at(jp, slice), slice, slice_kc(slice),
                     next_jp < jp_end ? panel_prefetch(b_at(next_jp, next_slice), slice_kc(next_slice), nr)
                                      : Prefetch{},
                     jp == jp_begin);
        }
      }
      return;
    }
    for (int64_t slice = 0; slice < pl.k_slices; ++slice) {
      for (int64_t ic = ip_begin; ic < ip_end; ic += mc) {
        const int64_t ic_end = std::min(ip_end, ic + mc);
        for (int64_t jp = jp_begin; jp < jp_end; ++jp) {
          run_column(pl, a, ic, ic_end, jp, b_at(jp, slice), slice, slice_kc(slice),
                     jp + 1 < jp_end ? panel_prefetch(b_at(jp + 1, slice), slice_kc(slice), nr) : Prefetch{},
                     jp == jp_begin);
        }
      }
    }
    return;
  }
  const int64_t chunk = pl.blk.nc_panels;
  const int64_t b_stride = packed_b_block_stride(static_cast<int>(nr), pl.kc_max);
  float* b_buf = thread_scratch(static_cast<size_t>(b_stride * std::min(chunk, jp_end - jp_begin)), kSlotBBlock);
  const int64_t ldb_bytes = args.b.ld * static_cast<int64_t>(sizeof(float));
  // A plain (not transposed) B is packed by the first tile of each whole
  // panel (fn_pack_b); the partial last panel, and a transposed B, here.
  const bool fuse = !args.b.trans;
  const int64_t whole_end = args.n / nr;  // panels wholly inside n
  // The rows [k0, k0 + kc) of panel jp, which the fused tile reads next.
  auto strip = [&](int64_t jp, int64_t slice) {
    Prefetch p;
    if (!fuse || jp >= std::min(jp_end, whole_end) || slice >= pl.k_slices) return p;
    p.base = reinterpret_cast<const char*>(args.b.data + slice * pl.kc_max * args.b.ld + jp * nr);
    p.rows = slice_kc(slice);
    p.stride = ldb_bytes;
    p.row_bytes = nr * static_cast<int64_t>(sizeof(float));
    p.line_end = p.rows * p.lines_per_row();
    return p;
  };
  for (int64_t jc = jp_begin; jc < jp_end; jc += chunk) {
    const int64_t jc_end = std::min(jp_end, jc + chunk);
    const int64_t fused_end = fuse ? std::clamp(whole_end, jc, jc_end) : jc;
    for (int64_t slice = 0; slice < pl.k_slices; ++slice) {
      const int64_t kc = slice_kc(slice);
      if (fused_end < jc_end) {
        pack_b_block(pl.uk, slice * pl.kc_max, kc, args.n, args.b, fused_end, jc_end,
                     b_buf + (fused_end - jc) * b_stride, b_stride);
      }
      for (int64_t ic = ip_begin; ic < ip_end; ic += mc) {
        const int64_t ic_end = std::min(ip_end, ic + mc);
        const bool first = ic == ip_begin;
        for (int64_t jp = jc; jp < jc_end; ++jp) {
          // Prefetch the strip the next fused tile reads: the next panel, or
          // the first panel of the next slice or chunk.
          Prefetch next;
          if (first) {
            next = jp + 1 < jc_end                ? strip(jp + 1, slice)
                   : slice + 1 < pl.k_slices      ? strip(jc, slice + 1)
                                                  : strip(jc_end, 0);
          }
          const bool fused = first && jp < fused_end;
          run_column(pl, a, ic, ic_end, jp, b_buf + (jp - jc) * b_stride, slice, kc, next, jp == jc,
                     fused ? args.b.data + slice * pl.kc_max * args.b.ld + jp * nr : nullptr);
        }
      }
    }
  }
}

// M = 1: y = x * op(B). Bandwidth-bound, so B is read once and never
// packed at run time: a prepacked B goes through gemv_packed (four panels
// in flight), a plain B through the GEMV kernel. Tasks are column ranges
// (groups of four panels, or 64-float chunks so each task's slice of a B
// row is whole cache lines), up to four per thread, handed out dynamically.
void gemv_f32(const GemmUkernel& uk, const GemmArgs& args, ThreadPool* pool) {
  const int64_t n = args.n, k = args.k;
  const float* x = args.a.data;
  if (args.a_packed != nullptr || args.a.trans) {
    // The row is strided (a packed panel, or a column of A^T): gather it.
    float* gathered = thread_scratch(static_cast<size_t>(k), kSlotGemvX);
    const float* src = args.a_packed != nullptr ? args.a_packed : args.a.data;
    const int64_t stride = args.a_packed != nullptr ? uk.mr : args.a.ld;
    for (int64_t p = 0; p < k; ++p) gathered[p] = src[p * stride];
    x = gathered;
  }
  GemmUkernelParams prm = tile_params(args, true, true);
  const GemmEpilogue& ep = args.epilogue;
  if (ep.bias_kind == GemmBias::kPerRow) prm.row_bias = ep.bias;
  const bool col_bias = ep.bias_kind == GemmBias::kPerColumn;
  const int threads = pool != nullptr ? pool->num_threads() : 1;
  const bool parallel = threads > 1 && n * k >= kMinParallelMacs;
  const int64_t unit = args.b_packed != nullptr ? 4 * uk.nr : 64;
  const int64_t units = ceil_div(n, unit);
  const int64_t tasks = parallel ? std::min<int64_t>(units, 4 * threads) : 1;
  run_tasks(pool, parallel, tasks, [&](int64_t t) {
    const auto [u_begin, u_end] = part_range(units, tasks, t);
    const int64_t j0 = u_begin * unit, j1 = std::min(n, u_end * unit);
    GemmUkernelParams p = prm;
    if (col_bias) p.col_bias = ep.bias + j0;
    if (args.b_packed != nullptr) {
      uk.gemv_packed(j1 - j0, k, x, args.b_packed + j0 * k, args.c + j0, p);
    } else {
      const float* b = args.b.trans ? args.b.data + j0 * args.b.ld : args.b.data + j0;
      uk.gemv(j1 - j0, k, x, b, args.b.ld, args.b.trans, args.c + j0, p);
    }
  });
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
  thread_local std::array<AlignedFloats, 8> buffers;
  FS_CHECK(slot >= 0 && slot < static_cast<int>(buffers.size()));
  AlignedFloats& buf = buffers[static_cast<size_t>(slot)];
  buf.resize(std::max<size_t>(count, 1));
  return buf.data();
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
  // Only a transposed, unpacked A (M > 1) is packed whole; B blocks are
  // packed per thread into thread_scratch, and a plain A is read in place.
  if (args.a_packed == nullptr && args.a.trans && args.m > 1) return packed_a_size(uk, args.m, args.k);
  return 0;
}

void gemm_f32(const GemmUkernel& uk, const GemmArgs& args, ThreadPool* pool, float* workspace) {
  const int64_t m = args.m, n = args.n, k = args.k;
  if (m <= 0 || n <= 0) return;
  if (m == 1) {
    gemv_f32(uk, args, pool);
    return;
  }
  const int64_t mr = uk.mr, nr = uk.nr;
  const int threads = pool != nullptr ? pool->num_threads() : 1;
  const bool parallel = threads > 1 && m * n * std::max<int64_t>(k, 1) >= kMinParallelMacs;

  Plan plan{uk, args};
  plan.m_panels = ceil_div(m, mr);
  plan.n_panels = ceil_div(n, nr);
  plan.blk = blocking_for(uk);
  // K in equal slices of at most KC: no thin last slice.
  plan.k_slices = std::max<int64_t>(1, ceil_div(k, plan.blk.kc));
  plan.kc_max = ceil_div(k, plan.k_slices);
  plan.a_packed = args.a_packed;
  if (plan.a_packed == nullptr && args.a.trans) {
    // A transposed plain A is packed whole, up front (rare: ONNX Gemm transA).
    if (workspace == nullptr) workspace = thread_scratch(static_cast<size_t>(gemm_f32_workspace_size(uk, args)));
    float* dst = workspace;
    run_range(pool, parallel, plan.m_panels,
              [&](int64_t b, int64_t e) { pack_a_panels(uk, m, k, args.a, b, e, dst); });
    plan.a_packed = dst;
  }
  const Split split = parallel ? choose_split(plan, threads) : Split{};
  run_tasks(pool, parallel, split.tm * split.tn, [&](int64_t t) {
    const auto [ip_begin, ip_end] = part_range(plan.m_panels, split.tm, t / split.tn);
    const auto [jp_begin, jp_end] = part_range(plan.n_panels, split.tn, t % split.tn);
    run_block(plan, ip_begin, ip_end, jp_begin, jp_end);
  });
}

}  // namespace fastserve
