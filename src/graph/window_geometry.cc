// Sliding-window attribute parsing and output-size rules (see window_geometry.h).
#include "graph/window_geometry.h"

#include <algorithm>
#include <string>

namespace fastserve {
namespace {

std::string join(std::span<const int64_t> v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Python-style floor division (the ONNX reference uses it for pad splits,
// where the total can be negative).
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

Status check_len(const NodeView& node, const char* name, const std::vector<int64_t>& v, size_t want) {
  if (v.size() != want) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(name) + " has " + std::to_string(v.size()) + " values " + join(v) +
                          ", expected " + std::to_string(want));
  }
  return ok_status();
}

}  // namespace

int64_t window_spatial_rank(const NodeView& node, bool weights_input) {
  if (const Attribute* k = node.attr("kernel_shape"); k != nullptr) return static_cast<int64_t>(k->ints.size());
  if (weights_input && node.has_input(1) && node.input(1).shape_known) {
    return static_cast<int64_t>(node.input(1).shape.rank()) - 2;
  }
  if (node.has_input(0) && node.input(0).shape_known) return static_cast<int64_t>(node.input(0).shape.rank()) - 2;
  return -1;
}

Result<WindowAttrs> parse_window_attrs(const NodeView& node, size_t nd, std::span<const int64_t> kernel_from_weights) {
  WindowAttrs a;
  a.nd = nd;
  if (node.has_attr("kernel_shape")) {
    a.kernel = node.attr_ints("kernel_shape");
  } else {
    a.kernel.assign(kernel_from_weights.begin(), kernel_from_weights.end());
  }
  FS_RETURN_IF_ERROR(check_len(node, "kernel_shape", a.kernel, nd));
  a.strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  FS_RETURN_IF_ERROR(check_len(node, "strides", a.strides, nd));
  a.dilations = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
  FS_RETURN_IF_ERROR(check_len(node, "dilations", a.dilations, nd));
  a.pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  FS_RETURN_IF_ERROR(check_len(node, "pads", a.pads, 2 * nd));
  for (size_t i = 0; i < nd; ++i) {
    if (a.kernel[i] != kUnknownDim && a.kernel[i] < 1) {
      return node.error(StatusCode::kInvalidArgument, "kernel_shape " + join(a.kernel) + " has a dim < 1");
    }
    if (a.strides[i] < 1) return node.error(StatusCode::kInvalidArgument, "strides " + join(a.strides) + " has a value < 1");
    if (a.dilations[i] < 1) {
      return node.error(StatusCode::kInvalidArgument, "dilations " + join(a.dilations) + " has a value < 1");
    }
  }
  for (int64_t p : a.pads) {
    if (p < 0) return node.error(StatusCode::kInvalidArgument, "pads " + join(a.pads) + " has a negative value");
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    a.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    a.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    a.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    a.auto_pad = AutoPad::kValid;
  } else {
    return node.error(StatusCode::kInvalidArgument, "unknown auto_pad '" + auto_pad + "'");
  }
  a.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  return a;
}

Result<WindowGeometry> window_geometry(const NodeView& node, const WindowAttrs& attrs, std::span<const int64_t> in) {
  const size_t nd = attrs.nd;
  if (in.size() != nd) {
    return node.error(StatusCode::kInvalidArgument, "input has " + std::to_string(in.size()) +
                                                        " spatial dims, attributes describe " + std::to_string(nd));
  }
  WindowGeometry g;
  g.in.assign(in.begin(), in.end());
  g.kernel = attrs.kernel;
  g.stride = attrs.strides;
  g.dilation = attrs.dilations;
  g.out.assign(nd, kUnknownDim);
  g.pad_begin.assign(attrs.pads.begin(), attrs.pads.begin() + static_cast<std::ptrdiff_t>(nd));
  g.pad_end.assign(attrs.pads.begin() + static_cast<std::ptrdiff_t>(nd), attrs.pads.end());
  for (size_t i = 0; i < nd; ++i) {
    const int64_t s = g.stride[i];
    if (attrs.auto_pad == AutoPad::kValid) {
      g.pad_begin[i] = g.pad_end[i] = 0;
    }
    if (g.in[i] == kUnknownDim || g.kernel[i] == kUnknownDim) continue;
    const int64_t k_eff = (g.kernel[i] - 1) * g.dilation[i] + 1;
    int64_t out = 0;
    switch (attrs.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        out = ceil_div(g.in[i], s);
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + k_eff - g.in[i]);
        const int64_t small = total / 2;
        g.pad_begin[i] = attrs.auto_pad == AutoPad::kSameUpper ? small : total - small;
        g.pad_end[i] = total - g.pad_begin[i];
        break;
      }
      case AutoPad::kValid:
        out = floor_div(g.in[i] - k_eff, s) + 1;
        break;
      case AutoPad::kNotSet: {
        const int64_t span = g.in[i] + g.pad_begin[i] + g.pad_end[i] - k_eff;
        if (attrs.ceil_mode) {
          out = ceil_div(span, s) + 1;
          // The last window must start inside the input or the begin pad.
          if ((out - 1) * s >= g.in[i] + g.pad_begin[i]) --out;
        } else {
          out = floor_div(span, s) + 1;
        }
        break;
      }
    }
    if (out < 1) {
      return node.error(StatusCode::kInvalidArgument,
                        "window (kernel " + join(g.kernel) + ", dilations " + join(g.dilation) + ", pads " +
                            join(attrs.pads) + ") does not fit input spatial dims " + join(g.in));
    }
    g.out[i] = out;
  }
  return g;
}

Result<WindowGeometry> conv_transpose_geometry(const NodeView& node, const WindowAttrs& attrs,
                                               std::span<const int64_t> in) {
  const size_t nd = attrs.nd;
  if (in.size() != nd) {
    return node.error(StatusCode::kInvalidArgument, "input has " + std::to_string(in.size()) +
                                                        " spatial dims, attributes describe " + std::to_string(nd));
  }
  const std::vector<int64_t> output_padding = node.attr_ints("output_padding", std::vector<int64_t>(nd, 0));
  FS_RETURN_IF_ERROR(check_len(node, "output_padding", output_padding, nd));
  std::vector<int64_t> output_shape = node.attr_ints("output_shape");
  if (output_shape.size() == nd + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty()) FS_RETURN_IF_ERROR(check_len(node, "output_shape", output_shape, nd));

  WindowGeometry g;
  g.in.assign(in.begin(), in.end());
  g.kernel = attrs.kernel;
  g.stride = attrs.strides;
  g.dilation = attrs.dilations;
  g.out.assign(nd, kUnknownDim);
  g.pad_begin.assign(attrs.pads.begin(), attrs.pads.begin() + static_cast<std::ptrdiff_t>(nd));
  g.pad_end.assign(attrs.pads.begin() + static_cast<std::ptrdiff_t>(nd), attrs.pads.end());
  const bool same = attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower;
  for (size_t i = 0; i < nd; ++i) {
    if (attrs.auto_pad == AutoPad::kValid) g.pad_begin[i] = g.pad_end[i] = 0;
    if (g.in[i] == kUnknownDim || g.kernel[i] == kUnknownDim) {
      if (!output_shape.empty()) g.out[i] = output_shape[i];
      continue;
    }
    const int64_t k_eff = (g.kernel[i] - 1) * g.dilation[i] + 1;
    const int64_t full = g.stride[i] * (g.in[i] - 1) + output_padding[i] + k_eff;
    if (!output_shape.empty() || same) {
      // ONNX: pads are derived from the requested output size (explicit pads
      // are ignored); SAME_UPPER puts the odd element at the end, everything
      // else at the beginning.
      const int64_t out = !output_shape.empty() ? output_shape[i] : g.in[i] * g.stride[i];
      const int64_t total = full - out;
      const int64_t half = floor_div(total, 2);
      if (attrs.auto_pad == AutoPad::kSameUpper) {
        g.pad_begin[i] = half;
        g.pad_end[i] = total - half;
      } else {
        g.pad_begin[i] = total - half;
        g.pad_end[i] = half;
      }
      g.out[i] = out;
    } else {
      g.out[i] = full - g.pad_begin[i] - g.pad_end[i];
    }
    if (g.out[i] < 1) {
      return node.error(StatusCode::kInvalidArgument,
                        "output spatial dims would be " + join(g.out) + " for input spatial dims " + join(g.in));
    }
  }
  return g;
}

}  // namespace fastserve
