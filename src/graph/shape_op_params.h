// Resolved arguments of the data-movement ops (Transpose, Slice, Pad, Split,
// Shape, Constant) and of the shape-building ops (ConstantOfShape, Expand,
// Range, Tile).
//
// These ops take their arguments from attributes and, depending on the
// opset, from the values of small integer inputs. Resolving them in one place
// means shape inference (graph/infer_shape_ops.cc, graph/infer_slice_ops.cc)
// and the kernels (kernels/ref, kernels/cpu) agree by construction: a kernel
// never re-derives a clamping rule differently from the shape it was given.
//
// Like graph/shape_utils.h, this header sees only NodeView and core types,
// so kernels may include it without seeing the graph.
//
// Every function works at both moments a NodeView describes: at compile time
// data dims may be kUnknownDim (results say "unknown" for what depends on
// them), while the value-carrying inputs the function reads must be known —
// callers check node.input_value(i) first. Errors name the node.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

// Normalizes `axis` against `rank` ([-rank, rank-1]); the error names the
// node and `what` ("attribute 'axis'", "axes[1]").
Result<int64_t> resolve_node_axis(const NodeView& node, int64_t axis, int64_t rank, const char* what);

// Transpose: the permutation for an input of `rank` dims; the default (no
// 'perm' attribute) reverses the dims. Error unless 'perm' is a permutation
// of [0, rank).
Result<std::vector<int64_t>> resolve_transpose_perm(const NodeView& node, int64_t rank);

// Slice (opset 10+), per data dim: output element j along the dim reads
// input element start + j * step.
struct SliceDim {
  int64_t start = 0;  // first element read; unspecified when size is 0 or unknown
  int64_t step = 1;   // set to 1 when at most one element is read
  int64_t size = 0;   // output extent; kUnknownDim when the data dim is unknown and sliced
};
// Applies the ONNX Slice-13 rules: axes default to [0, len(starts)), steps to
// 1; negative starts/ends get the dim added; starts clamp to [0, d] (step > 0)
// or [0, d-1] (step < 0), ends to [0, d] or [-1, d-1]. INT64_MAX / INT64_MIN
// ends (what PyTorch exports for "to the end") fall out of the clamping.
// Requires the values of starts and ends, and of axes and steps when present.
// Errors: length mismatches, a zero step, an axis out of range or repeated.
Result<std::vector<SliceDim>> resolve_slice(const NodeView& node, const Shape& data_shape);

// Pad (opset 11+).
enum class PadMode { kConstant, kReflect, kEdge, kWrap };
// The 'mode' attribute; 'wrap' needs opset 19.
Result<PadMode> resolve_pad_mode(const NodeView& node);
// Pads per data dim (0 for dims not named by 'axes'); negative pads crop.
struct PadAmounts {
  std::vector<int64_t> begin, end;
};
// Requires the value of 'pads' (input 1) and of 'axes' (input 3, opset 18+) when present.
Result<PadAmounts> resolve_pads(const NodeView& node, int64_t rank);

// Split: output extents along the split axis, one per output.
// Opset < 13 reads the 'split' attribute, 13+ the optional 'split' input; 18+
// may give 'num_outputs' instead. Without either, the dim splits equally; an
// uneven split is an error before opset 18 and gives a smaller last chunk
// (ceil(d / n) for the others) from 18 on. `axis_dim` may be kUnknownDim.
// std::nullopt when the sizes cannot be known yet (the 'split' input has no
// value, or an equal split of an unknown dim).
Result<std::optional<std::vector<int64_t>>> resolve_split_sizes(const NodeView& node, int64_t axis_dim);

// Shape (opset 15 'start'/'end'): the half-open range of dims reported, with
// negative values counted from the back and both clamped to [0, rank].
std::pair<int64_t, int64_t> resolve_shape_range(const NodeView& node, int64_t rank);

// Constant: the tensor its attribute describes ('value', 'value_float',
// 'value_floats', 'value_int', 'value_ints'). For 'value' the result shares
// the attribute's buffer. Sparse and string constants are kUnsupported.
Result<Tensor> resolve_constant(const NodeView& node);

// The values of integer input i (a shape, repeats, axes) as int64; the
// value must be known. Error naming the input (`what`) unless it is an
// integer tensor.
Result<std::vector<int64_t>> resolve_shape_input(const NodeView& node, size_t i, const char* what);

// ConstantOfShape: the one-element 'value' attribute (default: float32 0).
Result<Tensor> resolve_constant_of_shape_value(const NodeView& node);

// Range: max(ceil((limit - start) / delta), 0) elements, from the three
// scalar values (one element each, one dtype). Integers are computed
// exactly; floats in double. Error for a zero delta or a non-scalar bound.
Result<int64_t> resolve_range_length(const NodeView& node, const Tensor& start, const Tensor& limit,
                                     const Tensor& delta);

}  // namespace fastserve
