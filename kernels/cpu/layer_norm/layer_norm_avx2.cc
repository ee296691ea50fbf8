// LayerNormalization rows (layer_norm_rows.h) compiled for avx2.
#include "kernels/cpu/layer_norm/layer_norm_rows.h"

namespace fastserve {

constinit const LayerNormRowFn kLayerNormRowAvx2 = &layer_norm_impl::normalize_row;

}  // namespace fastserve
