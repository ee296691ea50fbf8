// The FP32 GEMM engine shared by MatMul, Gemm, Conv and ConvTranspose.
//
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C  (+ bias) (activation)
//
// op(X) is X or X^T (GemmOperand::trans); A, B, C are row-major with leading
// dimensions. The engine follows the BLIS/GotoBLAS structure (Goto & van de
// Geijn, "Anatomy of high-performance matrix multiplication", 2008):
//   1. op(B) is used as panels of NR columns and op(A) as MR rows (layouts in
//      gemm_ukernel.h). Constant operands (weights) are packed once at
//      prepare() with pack_a()/pack_b() and passed pre-packed. At run time a
//      plain B is packed one KC x NC block at a time into a per-task buffer
//      that stays in L2, by the first microkernel call that reads each
//      panel; a plain A is read in place by the microkernel, or packed once
//      per task when enough B panels reuse it (or its rows alias in cache);
//      a transposed plain A is packed whole.
//   2. The output is cut into a grid of tasks, one per thread (gemm.cc
//      choose_split), that the threads take one at a time; inside a task the loops run
//      NC > KC > MC > NR > MR (or NR > KC > MR when the task's A fits in
//      L2) so a KC x NR micro-panel of B stays in L1 while the microkernel
//      sweeps an MC x KC block of A held in L2. The block sizes come from
//      the detected cache sizes (core/cpu_cache.h).
//   3. A register-blocked microkernel computes each MR x NR tile and applies
//      the fused epilogue (alpha, beta, per-row or per-column bias,
//      activation) on the last KC slice, while the tile is still in registers.
//   4. M = 1 is a GEMV: bandwidth-bound, so B is streamed once, never packed
//      at run time, and the threads split the columns.
// The microkernel (and so MR/NR and the packed layout) is chosen from the
// ISA: gemm_ukernel_for_isa().
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "core/thread_pool.h"
#include "kernels/cpu/gemm/gemm_ukernel.h"

namespace fastserve {

// The best microkernel compiled in whose ISA is <= `isa` (portable at kScalar).
const GemmUkernel& gemm_ukernel_for_isa(Isa isa);
// Every compiled microkernel, best first (for tests and benchmarks).
std::span<const GemmUkernel* const> gemm_ukernels();

// A row-major matrix view; the logical operand is the data, or its transpose
// when `trans` (ONNX transA/transB).
struct GemmOperand {
  const float* data = nullptr;
  int64_t ld = 0;  // elements between consecutive rows of `data`
  bool trans = false;
};

enum class GemmBias : uint8_t { kNone, kPerRow, kPerColumn };

// Fused after alpha*AB + beta*C: bias, then activation.
struct GemmEpilogue {
  GemmBias bias_kind = GemmBias::kNone;
  const float* bias = nullptr;  // M values (kPerRow) or N values (kPerColumn)
  GemmActivation activation = GemmActivation::kNone;
  float clamp_min = 0.f;        // kClamp bounds
  float clamp_max = 0.f;
};

// 64-byte aligned float storage (packed panels, scratch). Resizing does not
// keep the contents.
class AlignedFloats {
 public:
  void resize(size_t count);
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Floats needed for packed op(A) (M x K) / op(B) (K x N) for microkernel uk.
int64_t packed_a_size(const GemmUkernel& uk, int64_t m, int64_t k);
int64_t packed_b_size(const GemmUkernel& uk, int64_t k, int64_t n);
// Packs panels [panel_begin, panel_end) of op(A) / op(B) into dst (the
// whole-matrix buffer; panel p lives at dst + p * MR*K, resp. p * NR*K).
void pack_a_panels(const GemmUkernel& uk, int64_t m, int64_t k, const GemmOperand& a, int64_t panel_begin,
                   int64_t panel_end, float* dst);
void pack_b_panels(const GemmUkernel& uk, int64_t k, int64_t n, const GemmOperand& b, int64_t panel_begin,
                   int64_t panel_end, float* dst);
// Packs a whole operand (threaded when pool is given): for weights at prepare().
AlignedFloats pack_a(const GemmUkernel& uk, int64_t m, int64_t k, const GemmOperand& a, ThreadPool* pool = nullptr);
AlignedFloats pack_b(const GemmUkernel& uk, int64_t k, int64_t n, const GemmOperand& b, ThreadPool* pool = nullptr);

struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  GemmOperand a;
  const float* a_packed = nullptr;  // when set, `a` is ignored (packed for the same ukernel)
  GemmOperand b;
  const float* b_packed = nullptr;  // when set, `b` is ignored
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.f;
  float beta = 0.f;  // 0: C is write-only (never read)
  GemmEpilogue epilogue;
};

// Floats of caller-visible workspace gemm_f32 needs: non-zero only for a
// transposed, unpacked A with M > 1 (packed whole). Per-thread B blocks
// live in thread_scratch.
int64_t gemm_f32_workspace_size(const GemmUkernel& uk, const GemmArgs& args);

// Runs the GEMM with microkernel uk, split over `pool` (may be null: serial).
// `workspace` holds gemm_f32_workspace_size() floats, 64-byte aligned; when
// null a thread-local buffer is used.
// TODO(memory planner): have callers book the workspace at prepare().
void gemm_f32(const GemmUkernel& uk, const GemmArgs& args, ThreadPool* pool, float* workspace = nullptr);

// A thread-local scratch buffer of at least `count` floats (64-byte aligned),
// reused across calls on the same thread. For kernels whose scratch is not
// yet booked by the memory planner. Slots in use: 0 gemm_f32's workspace,
// 1 the Gemm op's scaled bias, 2 the conv im2col buffer, 3-5 gemm_f32's
// per-thread B and A blocks and gathered GEMV row, 6 the conv's padded
// input, 7 the conv's folded output block and the attention kernel's score
// block (never live in one thread at once: each is used within one op's
// run); 0..7 are valid.
// TODO(memory planner): replace with scratch booked at prepare().
float* thread_scratch(size_t count, int slot = 0);

}  // namespace fastserve
