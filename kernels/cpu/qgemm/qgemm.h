// u8 x s8 -> s32 GEMM (the INT8 engine for MatMulInteger, QLinearMatMul,
// QDQ-rewritten MatMul/Conv and dynamic quantization):
//
//   C[m][n] = sum_k (A[m][k] - a_zp) * (B[k][n] - b_zp)
//
// A: uint8 activations, row-major (lda). B: int8 weights, packed once
// (qgemm_pack_b) with the column sums the zero-point terms need, so the
// microkernels multiply raw bytes and the driver corrects afterwards:
//   C = A.B - a_zp * colsum(B) - b_zp * rowsum(A) + K * a_zp * b_zp.
//
// Packed layouts (shared by every ISA's microkernel):
//   B: panels of kQNr = 32 columns; per panel, for each group of 4 k, the
//      32 columns' 4 bytes (k0..k3) side by side: 128 bytes, i.e. two zmm of
//      16 int32 lanes each holding 4 k of one column, the operand layout of
//      AVX-512 VNNI vpdpbusd. K is padded to a multiple of 4 and N to 32
//      with zeros.
//   A: panels of kQMr = 14 rows; per panel, for each group of 4 k, the 14
//      rows' 4 bytes: one 32-bit broadcast per row and k group.
// Microkernels: qgemm_u8s8s32__amx_32x32 (AMX tiles, where the CPU and OS
// allow; VNNI for the row tails), qgemm_u8s8s32__vnni_14x32 (vpdpbusd: 28
// zmm accumulators), qgemm_u8s8s32__avxvnni_14x32 (vpdpbusd on ymm, for
// AVX2-level hosts with AVX-VNNI), qgemm_u8s8s32__avx2_14x32 (widening
// vpmaddwd, exact), qgemm_u8s8s32__portable (plain loops). Chosen at run time
// (qgemm_ukernel_for_isa).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"

namespace fastserve {

inline constexpr int kQMr = 14;
inline constexpr int kQNr = 32;

struct QPackedB;

// One tile: C[0..mm)[0..nn) (+)= A panel x B panel over k4 groups of 4.
// accumulate: add to C (later K blocks) instead of storing.
using QGemmTileFn = void (*)(int64_t k4, const uint8_t* a_panel, const int8_t* b_panel, int32_t* c, int64_t ldc,
                             int mm, int nn, bool accumulate);

struct QGemmUkernel {
  const char* name;
  Isa isa;
  QGemmTileFn tile;
  // AMX-INT8: rows in blocks of 16 and K a multiple of 64 go through
  // qgemm_amx_rows (qgemm_amx.cc); `tile` (VNNI) does the rest.
  bool amx = false;
};

extern const QGemmUkernel kQGemmUkernelPortable;  // qgemm_portable.cc
#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_QGEMM_X86 1
extern const QGemmUkernel kQGemmUkernelVnni;  // qgemm_vnni.cc
extern const QGemmUkernel kQGemmUkernelAvxVnni;  // qgemm_avxvnni.cc
extern const QGemmUkernel kQGemmUkernelAvx2;     // qgemm_avx2.cc
extern const QGemmUkernel kQGemmUkernelAmx;   // qgemm_vnni.cc (its tails) + qgemm_amx.cc
// Helpers for the zero-point terms (qgemm_vnni.cc): sum_k A[r][k] per row,
// and row[j] -= za * col_sums[j] + zb_j * shifted_sum (zb_j = zb_cols[j] when set).
void qgemm_row_sums_vnni(const uint8_t* a, int64_t lda, int64_t rows, int64_t k, int32_t* out);
void qgemm_correct_row_avx512(int32_t* row, int64_t c0, int64_t c1, int32_t za, const int32_t* col_sums,
                              int32_t zb, const int32_t* zb_cols, int32_t shifted_sum);
// The CPU has AMX-INT8 and Linux granted this process the tile state.
bool qgemm_amx_available();
// C[rows][N] = A.B (raw bytes, no zero points) for rows a multiple of 16,
// K a multiple of 64, column panels [jp0, jp1) of b.
void qgemm_amx_rows(const uint8_t* a, int64_t lda, int64_t rows, const QPackedB& b, int64_t jp0, int64_t jp1,
                    int32_t* c, int64_t ldc);
#endif
// The best microkernel the ISA level runs.
const QGemmUkernel& qgemm_ukernel_for_isa(Isa isa);

// 64-byte aligned bytes.
struct AlignedBytes {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data;
  size_t size = 0;
  void resize(size_t n);
  uint8_t* get() const { return data.get(); }
};

struct QPackedB {
  int64_t k = 0, n = 0;
  int64_t k4 = 0;        // groups of 4 k (K rounded up)
  int64_t n_panels = 0;  // panels of kQNr columns
  AlignedBytes data;     // n_panels x k4 x kQNr x 4 bytes
  std::vector<int32_t> col_sums;  // sum_k B[k][n], per column
};

// B [K, N] (trans: B^T stored [N, K]), ldb elements between rows.
QPackedB qgemm_pack_b(const int8_t* b, int64_t k, int64_t n, int64_t ldb, bool trans, ThreadPool* pool = nullptr);

struct QGemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const uint8_t* a = nullptr;
  int64_t lda = 0;
  int32_t a_zero_point = 0;
  int32_t b_zero_point = 0;
  const int32_t* b_zero_points = nullptr;  // per column (N), instead of b_zero_point when set
  const QPackedB* b = nullptr;
  int32_t* c = nullptr;
  int64_t ldc = 0;
};

// C = (A - a_zp)(B - b_zp), int32; split over pool's threads.
void qgemm_u8s8s32(const QGemmUkernel& uk, const QGemmArgs& args, ThreadPool* pool);

}  // namespace fastserve
