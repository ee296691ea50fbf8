// Shared by qdq_elementwise.cc and its AVX-512 microkernel.
#pragma once

#include <cstdint>

namespace fastserve {

// fastserve.QAdd's parameters: y = clamp(nearbyintf(((a - a_zp) * a_s + (b - b_zp) * b_s) / c_s) + c_zp, lo, hi).
struct QAddParams {
  float a_s, a_zp, b_s, b_zp, c_s;
  int32_t c_zp, lo, hi;
};

void qadd_u8_avx512(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y);  // qadd_avx512.cc

}  // namespace fastserve
