// Resize attribute parsing, output size and coordinate transforms (see
// resize_geometry.h for the rules and their source).
#include "graph/resize_geometry.h"

#include <cmath>

namespace fastserve {
namespace {

template <typename E>
struct Named {
  const char* name;
  E value;
};

template <typename E, size_t N>
Result<E> parse_enum(const NodeView& node, const char* attr, const char* def, const Named<E> (&table)[N],
                     int64_t min_opset_last = 0) {
  const std::string s = node.attr_string(attr, def);
  for (size_t i = 0; i < N; ++i) {
    // The last entry of a table may be newer than the node's opset.
    if (i + 1 == N && min_opset_last > 0 && node.opset() < min_opset_last) break;
    if (s == table[i].name) return table[i].value;
  }
  return node.error(StatusCode::kInvalidArgument,
                    std::string("attribute ") + attr + " = '" + s + "' is not supported at opset " +
                        std::to_string(node.opset()));
}

// Values of an optional 1-D input as doubles; empty when absent or empty.
std::vector<double> values_of(const Tensor* t) {
  std::vector<double> v;
  if (t == nullptr) return v;
  for (int64_t i = 0; i < t->numel(); ++i) v.push_back(t->element_as_double(i));
  return v;
}

}  // namespace

Result<ResizeAttrs> parse_resize_attrs(const NodeView& node) {
  static const Named<ResizeMode> kModes[] = {
      {"nearest", ResizeMode::kNearest}, {"linear", ResizeMode::kLinear}, {"cubic", ResizeMode::kCubic}};
  static const Named<ResizeCoord> kCoords[] = {
      {"half_pixel", ResizeCoord::kHalfPixel},
      {"pytorch_half_pixel", ResizeCoord::kPytorchHalfPixel},
      {"align_corners", ResizeCoord::kAlignCorners},
      {"asymmetric", ResizeCoord::kAsymmetric},
      {"tf_crop_and_resize", ResizeCoord::kTfCropAndResize},
      {"half_pixel_symmetric", ResizeCoord::kHalfPixelSymmetric}};  // opset 19
  static const Named<ResizeNearest> kNearest[] = {{"round_prefer_floor", ResizeNearest::kRoundPreferFloor},
                                                  {"round_prefer_ceil", ResizeNearest::kRoundPreferCeil},
                                                  {"floor", ResizeNearest::kFloor},
                                                  {"ceil", ResizeNearest::kCeil}};
  static const Named<ResizeAspect> kAspect[] = {{"stretch", ResizeAspect::kStretch},
                                                {"not_larger", ResizeAspect::kNotLarger},
                                                {"not_smaller", ResizeAspect::kNotSmaller}};
  ResizeAttrs a;
  FS_ASSIGN_OR_RETURN(a.mode, parse_enum(node, "mode", "nearest", kModes));
  FS_ASSIGN_OR_RETURN(a.coord, parse_enum(node, "coordinate_transformation_mode", "half_pixel", kCoords, 19));
  FS_ASSIGN_OR_RETURN(a.nearest, parse_enum(node, "nearest_mode", "round_prefer_floor", kNearest));
  a.cubic_coeff_a = node.attr_float("cubic_coeff_a", -0.75f);
  a.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  a.extrapolation_value = node.attr_float("extrapolation_value", 0.0f);
  if (node.opset() >= 18) {
    FS_ASSIGN_OR_RETURN(a.aspect, parse_enum(node, "keep_aspect_ratio_policy", "stretch", kAspect));
    a.antialias = node.attr_int("antialias", 0) != 0;
    a.axes = node.attr_ints("axes");
  }
  return a;
}

Result<ResizeGeometry> resize_geometry(const NodeView& node, const ResizeAttrs& attrs, const std::vector<int64_t>& in,
                                       const Tensor* roi, const Tensor* scales, const Tensor* sizes) {
  const size_t rank = in.size();
  const auto r = static_cast<int64_t>(rank);
  // The dims that scales / sizes / roi name, in their order.
  std::vector<size_t> axes;
  if (attrs.axes.empty()) {
    for (size_t d = 0; d < rank; ++d) axes.push_back(d);
  } else {
    std::vector<bool> seen(rank, false);
    for (int64_t a : attrs.axes) {
      if (a < -r || a >= r || seen[static_cast<size_t>(a < 0 ? a + r : a)]) {
        return node.error(StatusCode::kInvalidArgument, "attribute axes has " + std::to_string(a) +
                                                            ", out of range or repeated for rank " +
                                                            std::to_string(r));
      }
      axes.push_back(static_cast<size_t>(a < 0 ? a + r : a));
      seen[axes.back()] = true;
    }
  }
  const std::vector<double> sc = values_of(scales), sz = values_of(sizes), ro = values_of(roi);
  if (sc.empty() == sz.empty()) {
    return node.error(StatusCode::kInvalidArgument,
                      sc.empty() ? "neither scales nor sizes is given" : "scales and sizes are both given");
  }
  const std::vector<double>& given = sc.empty() ? sz : sc;
  if (given.size() != axes.size()) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(sc.empty() ? "sizes" : "scales") + " has " + std::to_string(given.size()) +
                          " values, expected " + std::to_string(axes.size()));
  }
  ResizeGeometry g;
  g.out_dims = in;
  g.scales.assign(rank, 1.0);
  g.roi_start.assign(rank, 0.0);
  g.roi_end.assign(rank, 1.0);
  if (!ro.empty()) {
    if (ro.size() != 2 * axes.size()) {
      return node.error(StatusCode::kInvalidArgument, "roi has " + std::to_string(ro.size()) + " values, expected " +
                                                          std::to_string(2 * axes.size()));
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      g.roi_start[axes[i]] = ro[i];
      g.roi_end[axes[i]] = ro[axes.size() + i];
    }
  }
  if (!sc.empty()) {
    for (size_t i = 0; i < axes.size(); ++i) {
      if (!(sc[i] > 0)) {
        return node.error(StatusCode::kInvalidArgument, "scales[" + std::to_string(i) + "] = " +
                                                            std::to_string(sc[i]) + " must be positive");
      }
      g.scales[axes[i]] = sc[i];
      g.out_dims[axes[i]] = static_cast<int64_t>(std::floor(sc[i] * static_cast<double>(in[axes[i]])));
    }
    return g;
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    if (sz[i] < 0) {
      return node.error(StatusCode::kInvalidArgument,
                        "sizes[" + std::to_string(i) + "] = " + std::to_string(sz[i]) + " is negative");
    }
    g.out_dims[axes[i]] = static_cast<int64_t>(sz[i]);
    g.scales[axes[i]] = sz[i] / static_cast<double>(in[axes[i]]);
  }
  if (attrs.aspect != ResizeAspect::kStretch) {
    double s = g.scales[axes[0]];
    for (size_t a : axes) s = attrs.aspect == ResizeAspect::kNotLarger ? std::min(s, g.scales[a]) : std::max(s, g.scales[a]);
    for (size_t a : axes) {
      g.scales[a] = s;
      g.out_dims[a] = static_cast<int64_t>(std::floor(s * static_cast<double>(in[a]) + 0.5));
    }
  }
  return g;
}

double resize_source_coord(ResizeCoord coord, double o, int64_t in, int64_t out, double scale, double roi_start,
                           double roi_end) {
  // The reference compares the real-valued output length (scale * in), not
  // the integer one, in the align_corners / tf_crop / pytorch special cases.
  const double in_d = static_cast<double>(in);
  const double out_w = scale * in_d;
  switch (coord) {
    case ResizeCoord::kHalfPixel:
      return (o + 0.5) / scale - 0.5;
    case ResizeCoord::kPytorchHalfPixel:
      return out_w == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
    case ResizeCoord::kAlignCorners:
      return out_w == 1 ? 0.0 : o * (in_d - 1) / (out_w - 1);
    case ResizeCoord::kAsymmetric:
      return o / scale;
    case ResizeCoord::kTfCropAndResize: {
      const double x = out_w == 1 ? (roi_end - roi_start) * (in_d - 1) / 2
                                  : o * (roi_end - roi_start) * (in_d - 1) / (out_w - 1);
      return x + roi_start * (in_d - 1);
    }
    case ResizeCoord::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / out_w;
      const double offset = in_d / 2 * (1 - adjustment);
      return offset + (o + 0.5) / scale - 0.5;
    }
  }
  return 0.0;
}

}  // namespace fastserve
