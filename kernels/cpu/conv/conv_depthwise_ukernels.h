// Depthwise 3x3 plane microkernels (stride 1 and 2), one table per ISA:
// conv_depthwise_portable.cc, conv_depthwise_avx2.cc, conv_depthwise_avx512.cc,
// all instantiating conv_depthwise_impl.h. conv_depthwise.cc picks the table
// at prepare() from the descriptor's ISA.
//
// One call computes one output plane [oh, ow] of one channel from its input
// plane [h, w] (NCHW, contiguous) and 9 weights:
//   y = clamp(bias + sum_{ki,kj} w[ki][kj] * x[oy*s - pad_top + ki][ox*s - pad_left + kj] + z)
// with zero outside the input, z optional (may equal y), the clamp optional
// (Relu, Clip).
#pragma once

#include <cstdint>

namespace fastserve {

struct DepthwisePlaneArgs {
  const float* x = nullptr;      // input plane, h x w
  const float* w = nullptr;      // 9 weights, row-major 3x3
  float bias = 0.f;
  const float* z = nullptr;      // residual plane (oh x ow) or null; may equal y
  float* y = nullptr;            // output plane, oh x ow
  int64_t h = 0, width = 0, oh = 0, ow = 0;
  int64_t pad_top = 0, pad_left = 0;
  bool clamp = false;            // apply min(max(v, lo), hi)
  float lo = 0.f, hi = 0.f;
  // depthwise_scratch_floats() floats: the plane's zero-padded input copy.
  // zero_buffer: clear it first (the first plane a thread computes in a
  // run); later planes of the same run only overwrite the input region.
  float* scratch = nullptr;
  bool zero_buffer = true;
};

// Floats of DepthwisePlaneArgs::scratch for an output width ow and height
// oh at stride <= 2 with vectors of `width` lanes.
inline int64_t depthwise_scratch_floats(int64_t oh, int64_t ow, int width) {
  const int64_t ow_pad = (ow + width - 1) / width * width;
  const int64_t row = (2 * ow_pad + 2 + 2 * width + width - 1) / width * width;  // whole vectors
  return (2 * oh + 2) * row + width;  // + width: whole-vector clearing
}

using DepthwisePlaneFn = void (*)(const DepthwisePlaneArgs& a);

struct DepthwiseUkernels {
  const char* isa_tag;  // "portable", "avx2", "avx512"
  int width;            // floats per vector
  DepthwisePlaneFn plane_3x3_s1;
  DepthwisePlaneFn plane_3x3_s2;
};

extern const DepthwiseUkernels kDepthwiseUkernelsPortable;  // conv_depthwise_portable.cc
#if defined(__x86_64__) || defined(_M_X64)
extern const DepthwiseUkernels kDepthwiseUkernelsAvx2;      // conv_depthwise_avx2.cc
extern const DepthwiseUkernels kDepthwiseUkernelsAvx512;    // conv_depthwise_avx512.cc
#endif

}  // namespace fastserve
