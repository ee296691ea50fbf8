// The per-ISA LayerNormalization row function (layer_norm_rows.h), one per
// translation unit compiled for that ISA.
#pragma once

#include <cstdint>

namespace fastserve {

// y = (x - mean) / sqrt(var + epsilon) * scale (+ bias) over one row of n
// floats; mean / inv_std written when not null. y may alias x.
using LayerNormRowFn = void (*)(const float* x, float* y, int64_t n, const float* scale, const float* bias,
                                float epsilon, float* mean, float* inv_std);

extern const LayerNormRowFn kLayerNormRowScalar;  // layer_norm_scalar.cc
extern const LayerNormRowFn kLayerNormRowAvx2;    // layer_norm_avx2.cc
extern const LayerNormRowFn kLayerNormRowAvx512;  // layer_norm_avx512.cc

}  // namespace fastserve
