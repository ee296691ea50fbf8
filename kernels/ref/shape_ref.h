// Reference kernels for the data-movement family: Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose, Concat, Split, Slice, Gather, Shape, Constant, Pad,
// ConstantOfShape, Expand, Range, Tile, Trilu, CumSum, TopK, GatherElements,
// ScatterElements, GatherND, ScatterND, OneHot, DepthToSpace, SpaceToDepth,
// EyeLike.
//
// They only move bytes, so one descriptor per op (dtype kUndefined) serves
// every storable dtype: f32, f16, bf16, f64, every integer width, bool.
// Elements are copied dtype_size() bytes at a time. They are plain loops over
// row-major multi-indices (priority 0): the test oracle and the last resort.
// Argument resolution (Slice clamping, pads, split sizes, ...) comes from
// graph/shape_op_params.h, the same code shape inference uses.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fastserve/tensor.h"

namespace fastserve {

class KernelRegistry;

// One registration function per file; register_ref_shape_kernels
// (register_shape_kernels.cc) calls them all.
void register_ref_reshape_kernels(KernelRegistry& r);    // reshape.cc: Reshape Flatten Squeeze Unsqueeze
void register_ref_transpose_kernels(KernelRegistry& r);  // transpose.cc: Transpose
void register_ref_concat_kernels(KernelRegistry& r);     // concat.cc: Concat
void register_ref_split_kernels(KernelRegistry& r);      // split.cc: Split
void register_ref_slice_kernels(KernelRegistry& r);      // slice.cc: Slice
void register_ref_gather_kernels(KernelRegistry& r);     // gather.cc: Gather
void register_ref_shape_op_kernels(KernelRegistry& r);   // shape.cc: Shape Size
void register_ref_constant_kernels(KernelRegistry& r);   // constant.cc: Constant
void register_ref_pad_kernels(KernelRegistry& r);        // pad.cc: Pad
void register_ref_constant_of_shape_kernels(KernelRegistry& r);  // constant_of_shape.cc: ConstantOfShape
void register_ref_expand_kernels(KernelRegistry& r);             // expand.cc: Expand
void register_ref_range_kernels(KernelRegistry& r);              // range.cc: Range
void register_ref_tile_kernels(KernelRegistry& r);               // tile.cc: Tile
void register_ref_trilu_kernels(KernelRegistry& r);              // trilu.cc: Trilu
void register_ref_cumsum_kernels(KernelRegistry& r);             // cumsum.cc: CumSum
void register_ref_topk_kernels(KernelRegistry& r);               // topk.cc: TopK
void register_ref_gather_elements_kernels(KernelRegistry& r);    // gather_elements.cc: GatherElements ScatterElements
void register_ref_gather_nd_kernels(KernelRegistry& r);          // gather_nd.cc: GatherND ScatterND
void register_ref_one_hot_kernels(KernelRegistry& r);            // one_hot.cc: OneHot
void register_ref_depth_to_space_kernels(KernelRegistry& r);     // depth_to_space.cc: DepthToSpace SpaceToDepth
void register_ref_eye_like_kernels(KernelRegistry& r);           // eye_like.cc: EyeLike

// Advances a row-major multi-index over `dims` (last index fastest).
// Returns false once it wraps past the last element.
inline bool next_index(std::vector<int64_t>& idx, const Shape& dims) {
  for (size_t k = idx.size(); k-- > 0;) {
    if (++idx[k] < dims[k]) return true;
    idx[k] = 0;
  }
  return false;
}

// Row-major strides, in elements, of a concrete shape.
inline std::vector<int64_t> row_major_strides(const Shape& s) {
  std::vector<int64_t> st(s.rank(), 1);
  for (size_t k = s.rank(); k-- > 1;) st[k - 1] = st[k] * s[k];
  return st;
}

// out[o] = in[o permuted back]: output dim k is input dim perm[k]. `out` is
// allocated with the permuted shape. Optimized Transpose kernels fall back to
// this for layouts they do not handle.
void transpose_ref(const Tensor& in, Tensor& out, std::span<const int64_t> perm);

}  // namespace fastserve
