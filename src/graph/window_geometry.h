// Sliding-window geometry shared by Conv, ConvTranspose and the pools:
// attribute parsing (kernel_shape, strides, dilations, pads, auto_pad,
// ceil_mode) and the ONNX output-size and padding rules.
//
// Shape inference (graph/infer_nn.cc) and the kernels (kernels/ref,
// kernels/cpu) both use these, so an output size and the pads a kernel reads
// can never disagree. Rules follow the ONNX operator spec (opsets 11..28):
//
//   explicit pads:  out = floor((in + pb + pe - ((k-1)*d + 1)) / s) + 1
//                   (ceil instead of floor with ceil_mode; the last window
//                   must then start inside the input or the begin pad, as the
//                   ONNX reference and PyTorch require)
//   SAME_UPPER/LOWER: out = ceil(in / s); total = max(0, (out-1)*s + (k-1)*d + 1 - in),
//                   split evenly; the odd element goes to the end (UPPER) or
//                   the beginning (LOWER)
//   VALID:          pads 0; out = floor((in - ((k-1)*d + 1)) / s) + 1
//
// ConvTranspose (see conv_transpose_geometry): out = s*(in-1) + output_padding
// + (k-1)*d + 1 - pb - pe; with output_shape or SAME_* the pads are derived
// from the output size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fastserve/node_view.h"

namespace fastserve {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Window attributes of one node, for `nd` spatial dims. Defaults filled in
// (strides/dilations 1, pads 0).
struct WindowAttrs {
  size_t nd = 0;
  std::vector<int64_t> kernel;     // nd
  std::vector<int64_t> strides;    // nd
  std::vector<int64_t> dilations;  // nd
  std::vector<int64_t> pads;       // 2*nd: all begins, then all ends (ONNX order)
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
};

// Whether every entry of an attribute list (strides, pads, ...) is `want`;
// true for an empty list.
inline bool all_equal(std::span<const int64_t> v, int64_t want) {
  for (int64_t x : v) {
    if (x != want) return false;
  }
  return true;
}

// Parses the window attributes. The kernel comes from `kernel_shape` when set,
// else from `kernel_from_weights` (Conv/ConvTranspose: W's spatial dims, which
// may hold kUnknownDim). Errors (naming the node) for wrong lengths, strides
// or dilations < 1, negative pads, or an unknown auto_pad string.
Result<WindowAttrs> parse_window_attrs(const NodeView& node, size_t nd,
                                       std::span<const int64_t> kernel_from_weights = {});

// Number of spatial dims for a Conv/ConvTranspose/pool node from what is
// known at this moment: kernel_shape's length, else W's rank - 2 (input 1,
// when `weights_input`), else X's rank - 2. -1 when none is known.
int64_t window_spatial_rank(const NodeView& node, bool weights_input);

// Resolved geometry for concrete (or partly unknown) input spatial dims.
struct WindowGeometry {
  std::vector<int64_t> in;         // input spatial dims
  std::vector<int64_t> out;        // output spatial dims (kUnknownDim when in is unknown)
  std::vector<int64_t> kernel;
  std::vector<int64_t> stride;
  std::vector<int64_t> dilation;
  std::vector<int64_t> pad_begin;  // may be negative for ConvTranspose with a large output_shape
  std::vector<int64_t> pad_end;
  size_t nd() const { return in.size(); }
};

// Forward windows (Conv and pools). Unknown input dims give unknown output
// dims. Error when a known output dim would be < 1 (window larger than the
// padded input).
Result<WindowGeometry> window_geometry(const NodeView& node, const WindowAttrs& attrs,
                                       std::span<const int64_t> in);

// ConvTranspose: reads output_padding and output_shape too. output_shape may
// list the spatial dims only or the full N, C, spatial dims.
Result<WindowGeometry> conv_transpose_geometry(const NodeView& node, const WindowAttrs& attrs,
                                               std::span<const int64_t> in);

}  // namespace fastserve
