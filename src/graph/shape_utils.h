// Shape helpers shared by infer functions and kernels.
#pragma once

#include <vector>

#include "fastserve/node_view.h"
#include "fastserve/tensor.h"

namespace fastserve {

// Numpy broadcasting of two shapes. Unknown dims (kUnknownDim) broadcast to
// the other dim when it is > 1, else stay unknown. Error when two known dims
// differ and neither is 1.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Row-major strides (in elements) of a static shape.
std::vector<int64_t> contiguous_strides(const Shape& s);
// Strides of `in` broadcast to `out` (0 where a dim is broadcast); in.rank() <= out.rank().
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Marks output i as same dtype and shape as input j (propagating unknowns).
void propagate_same(const NodeView& node, std::vector<TensorInfo>& outputs, size_t out_i = 0, size_t in_j = 0);

}  // namespace fastserve
