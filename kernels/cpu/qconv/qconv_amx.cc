// qconv_u8s8_requant__amx_32x32: the INT8 conv GEMM on AMX tiles with the
// requantization fused per block: C[rows, chunk] = A x B (raw bytes), each
// 32 x 32 int32 block stored to a 4 KiB buffer that stays in L1 and turned
// into bytes right away (requant_row_avx512), so the int32 result never
// reaches memory. At ResNet's K = 64 layers the separate int32 store and
// reload cost more than the tiles' multiply-adds (256 x 128 x 64: 7.6 us
// through qgemm_u8s8s32 + requant).
//
// Tiles as in qgemm_amx.cc: tmm0-3 the 2 x 2 accumulators (16 x 16 int32
// each), tmm4-5 two 16-row slices of A (64 k per load, read in place with
// A's row pitch), tmm6-7 the two 16-column halves of a packed B panel.
// Needs K a multiple of 64 and rows a multiple of 16; the caller runs the
// other rows on the VNNI path.
#include <immintrin.h>

#include <algorithm>

#include "kernels/cpu/qconv/qconv.h"

namespace fastserve {
namespace {

struct TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

void configure_tiles() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

}  // namespace

void qconv_amx_requant_rows(const uint8_t* a, int64_t lda, int64_t rows, const QPackedB& b, const int32_t* bias,
                            const float* scale, int32_t zp, int32_t lo, int32_t hi, uint8_t* y, int64_t ldy) {
  alignas(64) int32_t buf[32 * 32];
  configure_tiles();
  const auto* packed = reinterpret_cast<const int8_t*>(b.data.get());
  const int64_t k4 = b.k4;
  for (int64_t r = 0; r < rows; r += 32) {
    const bool two = r + 32 <= rows;
    for (int64_t jp = 0; jp < b.n_panels; ++jp) {
      const int8_t* panel = packed + jp * k4 * kQNr * 4;
      const int nn = static_cast<int>(std::min<int64_t>(kQNr, b.n - jp * kQNr));
      const uint8_t* ar = a + r * lda;
      _tile_zero(0);
      _tile_zero(1);
      if (two) {
        _tile_zero(2);
        _tile_zero(3);
        for (int64_t g = 0; g < k4; g += 16) {
          _tile_loadd(4, ar + g * 4, lda);
          _tile_loadd(6, panel + g * kQNr * 4, kQNr * 4);
          _tile_loadd(7, panel + g * kQNr * 4 + 64, kQNr * 4);
          _tile_loadd(5, ar + 16 * lda + g * 4, lda);
          _tile_dpbusd(0, 4, 6);
          _tile_dpbusd(1, 4, 7);
          _tile_dpbusd(2, 5, 6);
          _tile_dpbusd(3, 5, 7);
        }
        _tile_stored(2, buf + 16 * 32, 128);
        _tile_stored(3, buf + 16 * 32 + 16, 128);
      } else {
        for (int64_t g = 0; g < k4; g += 16) {
          _tile_loadd(4, ar + g * 4, lda);
          _tile_loadd(6, panel + g * kQNr * 4, kQNr * 4);
          _tile_loadd(7, panel + g * kQNr * 4 + 64, kQNr * 4);
          _tile_dpbusd(0, 4, 6);
          _tile_dpbusd(1, 4, 7);
        }
      }
      _tile_stored(0, buf, 128);
      _tile_stored(1, buf + 16, 128);
      const int64_t c0 = jp * kQNr;
      const int block_rows = two ? 32 : 16;
      for (int i = 0; i < block_rows; ++i) {
        requant_row_avx512(buf + i * 32, nn, bias + c0, scale + c0, zp, lo, hi, y + (r + i) * ldy + c0);
      }
    }
  }
  _tile_release();
}

}  // namespace fastserve
