// Packing of GEMM operands into microkernel panels (layouts: gemm_ukernel.h).
// The public whole-matrix entry points (pack_a, pack_b, ...) are in gemm.h;
// this is the block-level routine the driver calls per KC x NC block.
#pragma once

#include <cstdint>

#include "kernels/cpu/gemm/gemm.h"

namespace fastserve {

// Packs op(B)[k0, k0+kc) x [panel_begin*nr, panel_end*nr) (clipped to n,
// zero-padded) into dst as panels of kc x nr floats: panel p lives at
// dst + (p - panel_begin) * panel_stride (>= nr * kc).
void pack_b_block(const GemmUkernel& uk, int64_t k0, int64_t kc, int64_t n, const GemmOperand& b,
                  int64_t panel_begin, int64_t panel_end, float* dst, int64_t panel_stride);

// The panel stride for a block of kc-deep panels packed at run time: nr*kc
// rounded up to 64 bytes, plus 64 bytes. A stride that is a multiple of
// 4 KiB (nr*kc = 16*256 floats, the common case) would put every panel's
// row p in the same L1 set: the packing loop, which writes row p of every
// panel in turn, then misses on each store (measured 3x slower).
inline int64_t packed_b_block_stride(int nr, int64_t kc) { return (nr * kc + 15) / 16 * 16 + 16; }

}  // namespace fastserve
