// qgemm_u8s8s32__amx: the INT8 GEMM's raw product A.B on AMX tiles (Intel
// AMX-INT8, Sapphire Rapids and later), for K a multiple of 64 and rows in
// blocks of 16; the driver (qgemm.cc) adds the zero-point terms and runs
// the other rows on the VNNI tile.
//
// Tiles (palette 1, all 16 rows x 64 bytes): tmm0-3 the 32 x 32 int32 block
// of C, tmm4-5 two 16-row slices of A (64 consecutive k of each row, read in
// place with A's row pitch: A needs no packing), tmm6-7 two 16-column halves
// of B's packed panel: 16 groups of 4 k x 16 columns x 4 bytes, which is the
// layout qgemm_pack_b already writes, at a 128-byte row stride. Per 64 k:
// four tile loads and four tdpbusd (16 x 16 x 64 multiply-adds each).
// C stays in the tiles for all of K, so it is stored once.
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {
namespace {

constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl: ask for an XSAVE feature
constexpr long kXfeatureXtiledata = 18;

struct TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Loaded on every call and released after it: another library on the same
// thread (oneDNN does) may have changed or released the configuration, and a
// tile instruction without one faults (SIGILL). ldtilecfg costs tens of cycles.
void configure_tiles() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

// Copies the first `cols` columns of a 16 x 16 int32 tile image to C.
void copy_tile(const int32_t* tmp, int32_t* c, int64_t ldc, int cols) {
  for (int r = 0; r < 16; ++r) std::memcpy(c + r * ldc, tmp + r * 16, static_cast<size_t>(cols) * sizeof(int32_t));
}

// Stores tile T to C, only its first `cols` columns (the intrinsics take the
// tile number as a literal, hence a macro).
#define FS_STORE_TILE(T, c, ldc, cols)                                          \
  do {                                                                          \
    if ((cols) >= 16) {                                                         \
      _tile_stored(T, (c), (ldc) * static_cast<int64_t>(sizeof(int32_t)));    \
    } else {                                                                    \
      alignas(64) int32_t tmp_[16 * 16];                                        \
      _tile_stored(T, tmp_, 64);                                                \
      copy_tile(tmp_, (c), (ldc), (cols));                                      \
    }                                                                           \
  } while (0)

// C[32 rows][32 cols] = A rows x B panel over k4 groups (k4 % 16 == 0).
void block32(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k4, int32_t* c, int64_t ldc, int nn) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t g = 0; g < k4; g += 16) {
    _tile_loadd(4, a + g * 4, lda);
    _tile_loadd(5, a + 16 * lda + g * 4, lda);
    _tile_loadd(6, panel + g * kQNr * 4, kQNr * 4);
    _tile_loadd(7, panel + g * kQNr * 4 + 64, kQNr * 4);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  const int left = std::min(nn, 16), right = nn - 16;
  FS_STORE_TILE(0, c, ldc, left);
  FS_STORE_TILE(2, c + 16 * ldc, ldc, left);
  if (right > 0) {
    FS_STORE_TILE(1, c + 16, ldc, right);
    FS_STORE_TILE(3, c + 16 * ldc + 16, ldc, right);
  }
}

// The same for 16 rows.
void block16(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k4, int32_t* c, int64_t ldc, int nn) {
  _tile_zero(0);
  _tile_zero(1);
  for (int64_t g = 0; g < k4; g += 16) {
    _tile_loadd(4, a + g * 4, lda);
    _tile_loadd(6, panel + g * kQNr * 4, kQNr * 4);
    _tile_loadd(7, panel + g * kQNr * 4 + 64, kQNr * 4);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
  }
  const int left = std::min(nn, 16), right = nn - 16;
  FS_STORE_TILE(0, c, ldc, left);
  if (right > 0) FS_STORE_TILE(1, c + 16, ldc, right);
}

}  // namespace

bool qgemm_amx_available() {
  static const bool ok = [] {
    if (!cpu_features().amx_int8) return false;
    // Linux hands out the tile state only on request (once per process).
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return ok;
}

void qgemm_amx_rows(const uint8_t* a, int64_t lda, int64_t rows, const QPackedB& b, int64_t jp0, int64_t jp1,
                    int32_t* c, int64_t ldc) {
  configure_tiles();
  const auto* packed = reinterpret_cast<const int8_t*>(b.data.get());
  for (int64_t jp = jp0; jp < jp1; ++jp) {
    const int8_t* panel = packed + jp * b.k4 * kQNr * 4;
    const int nn = static_cast<int>(std::min<int64_t>(kQNr, b.n - jp * kQNr));
    int64_t r = 0;
    for (; r + 32 <= rows; r += 32) block32(a + r * lda, lda, panel, b.k4, c + r * ldc + jp * kQNr, ldc, nn);
    if (r + 16 <= rows) block16(a + r * lda, lda, panel, b.k4, c + r * ldc + jp * kQNr, ldc, nn);
  }
  _tile_release();
}

}  // namespace fastserve
