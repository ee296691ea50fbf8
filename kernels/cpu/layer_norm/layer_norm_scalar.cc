// LayerNormalization rows (layer_norm_rows.h) compiled for scalar.
#include "kernels/cpu/layer_norm/layer_norm_rows.h"

namespace fastserve {

constinit const LayerNormRowFn kLayerNormRowScalar = &layer_norm_impl::normalize_row;

}  // namespace fastserve
