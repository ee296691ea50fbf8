// DynamicQuantizeLinear's two passes as vector microkernels (one per ISA):
// the range of x, then y = saturate(round_half_even(x / scale) + zero_point)
// into uint8, bit-identical to the reference (the same division, rounding
// and clamping; NaN goes to the zero point, as the reference's).
#pragma once

#include <cstdint>

namespace fastserve {

struct DynamicQuantizeUkernels {
  // min / max over x[0, n), folded into *lo / *hi (NaN skipped).
  void (*range)(const float* x, int64_t n, float* lo, float* hi);
  void (*quantize)(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);
};

extern const DynamicQuantizeUkernels kDynamicQuantizePortable;
#if defined(__x86_64__) || defined(_M_X64)
extern const DynamicQuantizeUkernels kDynamicQuantizeAvx512;
#endif

}  // namespace fastserve
