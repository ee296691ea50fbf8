// Resize geometry shared by shape inference (graph/infer_resize.cc) and the
// kernels (kernels/ref/resize.cc): attribute parsing, the output size, the
// per-axis scale, and the map from an output coordinate to an input one.
//
// Rules follow the ONNX Resize spec (opsets 11, 13, 18, 19) and its
// reference implementation (onnx/reference/ops/op_resize.py):
//   scales given: out = floor(in * scale), scale as given;
//   sizes given:  out = sizes, scale = out / in; with keep_aspect_ratio_policy
//                 not_larger / not_smaller one scale = min / max over the
//                 resized axes, out = floor(scale * in + 0.5);
//   axes (opset 18+): scales / sizes / roi name only those axes; the others
//                 keep scale 1, their size and roi [0, 1].
// Inputs: X, roi, scales, sizes (indices 0..3); an empty scales / roi tensor
// counts as absent (opset 11 needs a placeholder when sizes is used).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/node_view.h"

namespace fastserve {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class ResizeCoord {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfCropAndResize,
  kHalfPixelSymmetric,
};
enum class ResizeNearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
enum class ResizeAspect { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  ResizeAspect aspect = ResizeAspect::kStretch;
  float cubic_coeff_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation_value = 0.0f;
  bool antialias = false;
  std::vector<int64_t> axes;  // as written (may be negative); empty = all axes
};

// Parses and validates the attributes for the node's opset; the error names
// the attribute.
Result<ResizeAttrs> parse_resize_attrs(const NodeView& node);

struct ResizeGeometry {
  std::vector<int64_t> out_dims;   // full rank
  std::vector<double> scales;      // per dim
  std::vector<double> roi_start;   // per dim, normalized [0, 1] units
  std::vector<double> roi_end;
};

// Output dims and per-dim scales for x of (static) dims `in`, from the
// values of roi / scales / sizes (each may be null = absent; an empty
// tensor is absent too). Exactly one of scales / sizes must be given.
Result<ResizeGeometry> resize_geometry(const NodeView& node, const ResizeAttrs& attrs, const std::vector<int64_t>& in,
                                       const Tensor* roi, const Tensor* scales, const Tensor* sizes);

// Input coordinate (fractional) of output index `o` along one dim:
// the coordinate_transformation_mode formula with in / out sizes and scale.
double resize_source_coord(ResizeCoord coord, double o, int64_t in, int64_t out, double scale, double roi_start,
                           double roi_end);

}  // namespace fastserve
