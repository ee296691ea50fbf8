// Resolution of the data-movement ops' arguments (see shape_op_params.h).
#include "graph/shape_op_params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace fastserve {
namespace {

std::string join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Values of integer input `i` (0-D or 1-D), or an error naming the input.
Result<std::vector<int64_t>> int_input(const NodeView& node, size_t i, const char* what) {
  const Tensor* t = node.input_value(i);
  if (t == nullptr) {
    return node.error(StatusCode::kInternal, std::string("value of input '") + what + "' is not known");
  }
  if (!dtype_is_integer(t->dtype())) {
    return node.error(StatusCode::kInvalidArgument, std::string("input '") + what + "' must be an integer tensor, got " +
                                                        dtype_name(t->dtype()));
  }
  Result<std::vector<int64_t>> v = t->to_int64_vector();
  if (!v.ok()) return node.error(v.status().code(), std::string("input '") + what + "': " + v.status().message());
  return v;
}

// Normalizes each axis against `rank` and rejects repeats.
Result<std::vector<int64_t>> normalize_axes(const NodeView& node, const std::vector<int64_t>& axes, int64_t rank,
                                            const char* what) {
  std::vector<int64_t> out;
  out.reserve(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    std::string label = std::string(what) + "[" + std::to_string(i) + "]";
    FS_ASSIGN_OR_RETURN(int64_t a, resolve_node_axis(node, axes[i], rank, label.c_str()));
    if (std::find(out.begin(), out.end(), a) != out.end()) {
      return node.error(StatusCode::kInvalidArgument, std::string(what) + " " + join(axes) + " repeats axis " +
                                                          std::to_string(a));
    }
    out.push_back(a);
  }
  return out;
}

// Number of elements a clamped slice [start, end) with `step` visits.
int64_t slice_extent(int64_t start, int64_t end, int64_t step) {
  if (step > 0) return end > start ? (end - start - 1) / step + 1 : 0;
  if (start <= end) return 0;
  // -step overflows for INT64_MIN; the magnitude fits in uint64_t.
  uint64_t magnitude = uint64_t{0} - static_cast<uint64_t>(step);
  return static_cast<int64_t>(static_cast<uint64_t>(start - end - 1) / magnitude) + 1;
}

}  // namespace

Result<int64_t> resolve_node_axis(const NodeView& node, int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= rank) {
    return node.error(StatusCode::kInvalidArgument, std::string(what) + " = " + std::to_string(axis) +
                                                        " is out of range for rank " + std::to_string(rank) +
                                                        " (expected [" + std::to_string(-rank) + ", " +
                                                        std::to_string(rank - 1) + "])");
  }
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> resolve_transpose_perm(const NodeView& node, int64_t rank) {
  std::vector<int64_t> perm;
  if (!node.has_attr("perm")) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    return perm;
  }
  perm = node.attr_ints("perm");
  if (static_cast<int64_t>(perm.size()) != rank) {
    return node.error(StatusCode::kInvalidArgument, "perm " + join(perm) + " has " + std::to_string(perm.size()) +
                                                        " entries but the input has rank " + std::to_string(rank));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) {
      return node.error(StatusCode::kInvalidModel,
                        "perm " + join(perm) + " is not a permutation of [0, " + std::to_string(rank) + ")");
    }
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

Result<std::vector<SliceDim>> resolve_slice(const NodeView& node, const Shape& data_shape) {
  const int64_t rank = static_cast<int64_t>(data_shape.rank());
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> starts, int_input(node, 1, "starts"));
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> ends, int_input(node, 2, "ends"));
  if (starts.size() != ends.size()) {
    return node.error(StatusCode::kInvalidArgument, "starts has " + std::to_string(starts.size()) +
                                                        " values but ends has " + std::to_string(ends.size()));
  }
  std::vector<int64_t> axes;
  if (node.has_input(3)) {
    FS_ASSIGN_OR_RETURN(std::vector<int64_t> raw, int_input(node, 3, "axes"));
    if (raw.size() != starts.size()) {
      return node.error(StatusCode::kInvalidArgument, "axes has " + std::to_string(raw.size()) +
                                                          " values but starts has " + std::to_string(starts.size()));
    }
    FS_ASSIGN_OR_RETURN(axes, normalize_axes(node, raw, rank, "axes"));
  } else {
    if (static_cast<int64_t>(starts.size()) > rank) {
      return node.error(StatusCode::kInvalidArgument, "starts has " + std::to_string(starts.size()) +
                                                          " values but the data has rank " + std::to_string(rank));
    }
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> steps(starts.size(), 1);
  if (node.has_input(4)) {
    FS_ASSIGN_OR_RETURN(steps, int_input(node, 4, "steps"));
    if (steps.size() != starts.size()) {
      return node.error(StatusCode::kInvalidArgument, "steps has " + std::to_string(steps.size()) +
                                                          " values but starts has " + std::to_string(starts.size()));
    }
  }

  std::vector<SliceDim> dims(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) dims[static_cast<size_t>(k)] = {0, 1, data_shape[static_cast<size_t>(k)]};
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t step = steps[i];
    if (step == 0) return node.error(StatusCode::kInvalidArgument, "steps[" + std::to_string(i) + "] is 0");
    SliceDim& sd = dims[static_cast<size_t>(axes[i])];
    sd.step = step;
    const int64_t d = data_shape[static_cast<size_t>(axes[i])];
    if (d == kUnknownDim) {
      sd.size = kUnknownDim;
      continue;
    }
    if (d == 0) {  // nothing to read; avoids clamping to the empty range [0, -1]
      sd.size = 0;
      continue;
    }
    int64_t start = starts[i];
    int64_t end = ends[i];
    // Adding d cannot overflow: start/end are negative and d is positive.
    if (start < 0) start += d;
    if (end < 0) end += d;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, d);
      end = std::clamp<int64_t>(end, 0, d);
    } else {
      start = std::clamp<int64_t>(start, 0, d - 1);
      end = std::clamp<int64_t>(end, -1, d - 1);
    }
    sd.start = start;
    sd.size = slice_extent(start, end, step);
    // One element read: the step no longer matters, and a huge one (INT64_MIN)
    // would overflow the stride products kernels form from it.
    if (sd.size <= 1) sd.step = 1;
  }
  return dims;
}

Result<PadMode> resolve_pad_mode(const NodeView& node) {
  const std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "reflect") return PadMode::kReflect;
  if (mode == "edge") return PadMode::kEdge;
  if (mode == "wrap") {
    if (node.opset() < 19) {
      return node.error(StatusCode::kInvalidModel,
                        "mode 'wrap' needs opset 19, the model uses opset " + std::to_string(node.opset()));
    }
    return PadMode::kWrap;
  }
  return node.error(StatusCode::kInvalidModel, "unknown mode '" + mode + "' (expected constant, reflect, edge, wrap)");
}

Result<PadAmounts> resolve_pads(const NodeView& node, int64_t rank) {
  if (node.opset() < 11) {
    return node.error(StatusCode::kUnsupported, "Pad before opset 11 ('pads' attribute) is not supported");
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> pads, int_input(node, 1, "pads"));
  std::vector<int64_t> axes;
  if (node.opset() >= 18 && node.has_input(3)) {
    FS_ASSIGN_OR_RETURN(std::vector<int64_t> raw, int_input(node, 3, "axes"));
    FS_ASSIGN_OR_RETURN(axes, normalize_axes(node, raw, rank, "axes"));
  } else {
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  }
  if (pads.size() != 2 * axes.size()) {
    return node.error(StatusCode::kInvalidArgument, "pads " + join(pads) + " has " + std::to_string(pads.size()) +
                                                        " values, expected " + std::to_string(2 * axes.size()) +
                                                        " (2 per padded axis)");
  }
  PadAmounts p;
  p.begin.assign(static_cast<size_t>(rank), 0);
  p.end.assign(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    p.begin[static_cast<size_t>(axes[i])] = pads[i];
    p.end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }
  return p;
}

Result<std::optional<std::vector<int64_t>>> resolve_split_sizes(const NodeView& node, int64_t axis_dim) {
  const int64_t num_outputs = static_cast<int64_t>(node.num_outputs());
  std::optional<std::vector<int64_t>> split;
  bool split_given = false;
  if (node.opset() < 13) {
    if (node.has_attr("split")) {
      split = node.attr_ints("split");
      split_given = true;
    }
  } else if (node.has_input(1)) {
    split_given = true;
    if (node.input_value(1) != nullptr) {
      FS_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_input(node, 1, "split"));
      split = std::move(v);
    }
  }
  int64_t parts = num_outputs;
  if (node.opset() >= 18 && node.has_attr("num_outputs")) {
    if (split_given) {
      return node.error(StatusCode::kInvalidModel, "both the 'split' input and the 'num_outputs' attribute are given");
    }
    parts = node.attr_int("num_outputs", num_outputs);
    if (parts < 1 || parts != num_outputs) {
      return node.error(StatusCode::kInvalidModel, "num_outputs = " + std::to_string(parts) + " but the node has " +
                                                       std::to_string(num_outputs) + " outputs");
    }
  }

  if (split_given) {
    if (!split) return std::optional<std::vector<int64_t>>();
    if (static_cast<int64_t>(split->size()) != num_outputs) {
      return node.error(StatusCode::kInvalidArgument, "split " + join(*split) + " has " +
                                                          std::to_string(split->size()) + " values but the node has " +
                                                          std::to_string(num_outputs) + " outputs");
    }
    int64_t total = 0;
    for (int64_t s : *split) {
      if (s < 0) return node.error(StatusCode::kInvalidArgument, "split " + join(*split) + " has a negative size");
      total += s;
    }
    if (axis_dim != kUnknownDim && total != axis_dim) {
      return node.error(StatusCode::kInvalidArgument, "split " + join(*split) + " sums to " + std::to_string(total) +
                                                          " but the split dim is " + std::to_string(axis_dim));
    }
    return split;
  }

  if (parts < 1) return node.error(StatusCode::kInvalidModel, "Split has no outputs");
  if (axis_dim == kUnknownDim) return std::optional<std::vector<int64_t>>();
  if (axis_dim % parts == 0) return std::optional<std::vector<int64_t>>(std::vector<int64_t>(static_cast<size_t>(parts), axis_dim / parts));
  if (node.opset() < 18) {
    return node.error(StatusCode::kInvalidArgument, "dim " + std::to_string(axis_dim) + " does not split into " +
                                                        std::to_string(parts) + " equal parts (opset " +
                                                        std::to_string(node.opset()) + " < 18)");
  }
  // Opset 18: every chunk is ceil(d / n) except the last, which takes the rest.
  const int64_t chunk = axis_dim / parts + 1;
  const int64_t last = axis_dim - chunk * (parts - 1);
  if (last < 0) {
    return node.error(StatusCode::kInvalidArgument, "dim " + std::to_string(axis_dim) + " cannot split into " +
                                                        std::to_string(parts) + " chunks of " + std::to_string(chunk));
  }
  std::vector<int64_t> sizes(static_cast<size_t>(parts), chunk);
  sizes.back() = last;
  return std::optional<std::vector<int64_t>>(std::move(sizes));
}

std::pair<int64_t, int64_t> resolve_shape_range(const NodeView& node, int64_t rank) {
  int64_t start = node.attr_int("start", 0);
  int64_t end = node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  return {start, std::max(start, end)};
}

Result<Tensor> resolve_constant(const NodeView& node) {
  for (const char* name : {"sparse_value", "value_string", "value_strings"}) {
    if (node.has_attr(name)) {
      return node.error(StatusCode::kUnsupported, std::string("attribute '") + name + "' is not supported");
    }
  }
  if (const Tensor* t = node.attr_tensor("value")) {
    if (!dtype_is_storable(t->dtype())) {
      return node.error(StatusCode::kUnsupported,
                        std::string("constant of type ") + dtype_name(t->dtype()) + " is not supported");
    }
    return *t;
  }
  if (const Attribute* a = node.attr("value_float")) return Tensor::scalar<float>(a->f);
  if (const Attribute* a = node.attr("value_floats")) return Tensor::from_vector<float>(a->floats);
  if (const Attribute* a = node.attr("value_int")) return Tensor::scalar<int64_t>(a->i);
  if (const Attribute* a = node.attr("value_ints")) return Tensor::from_vector<int64_t>(a->ints);
  return node.error(StatusCode::kInvalidModel, "Constant has none of the attributes value, value_float, "
                                               "value_floats, value_int, value_ints");
}

Result<std::vector<int64_t>> resolve_shape_input(const NodeView& node, size_t i, const char* what) {
  const Tensor* t = node.input_value(i);
  FS_CHECK(t != nullptr);
  if (!dtype_is_integer(t->dtype())) {
    return node.error(StatusCode::kInvalidArgument, std::string("input '") + what +
                                                        "' must be an integer tensor, got " + dtype_name(t->dtype()));
  }
  if (t->rank() > 1) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("input '") + what + "' must be 1-D, got shape " + t->shape().to_string());
  }
  Result<std::vector<int64_t>> v = t->to_int64_vector();
  if (!v.ok()) return node.error(v.status().code(), std::string("input '") + what + "': " + v.status().message());
  return v;
}

Result<Tensor> resolve_constant_of_shape_value(const NodeView& node) {
  const Tensor* t = node.attr_tensor("value");
  if (t == nullptr) return Tensor::scalar<float>(0.0f);
  if (t->numel() != 1) {
    return node.error(StatusCode::kInvalidArgument,
                      "attribute 'value' must hold one element, got shape " + t->shape().to_string());
  }
  if (!dtype_is_storable(t->dtype()) || t->dtype() == DType::kString) {
    return node.error(StatusCode::kUnsupported,
                      std::string("attribute 'value' of type ") + dtype_name(t->dtype()) + " is not supported");
  }
  return *t;
}

Result<int64_t> resolve_range_length(const NodeView& node, const Tensor& start, const Tensor& limit,
                                     const Tensor& delta) {
  const char* names[] = {"start", "limit", "delta"};
  const Tensor* vals[] = {&start, &limit, &delta};
  for (size_t i = 0; i < 3; ++i) {
    if (vals[i]->numel() != 1) {
      return node.error(StatusCode::kInvalidArgument, std::string(names[i]) + " must be a scalar, got shape " +
                                                          vals[i]->shape().to_string());
    }
  }
  if (dtype_is_integer(start.dtype())) {
    const int64_t s = start.element_as_int64(0), l = limit.element_as_int64(0), d = delta.element_as_int64(0);
    if (d == 0) return node.error(StatusCode::kInvalidArgument, "delta is 0");
    // ceil((l - s) / d) in integers; the difference fits for int32 bounds
    // and for the int64 bounds shapes come from.
    const int64_t diff = l - s;
    int64_t n = diff / d;
    if (n * d != diff && ((diff > 0) == (d > 0))) ++n;
    return n > 0 ? n : 0;
  }
  const double s = start.element_as_double(0), l = limit.element_as_double(0), d = delta.element_as_double(0);
  if (d == 0) return node.error(StatusCode::kInvalidArgument, "delta is 0");
  const double n = std::ceil((l - s) / d);
  if (!(n > 0)) return int64_t{0};  // also NaN bounds
  if (n > 9.0e18) return node.error(StatusCode::kInvalidArgument, "the range has too many elements");
  return static_cast<int64_t>(n);
}

}  // namespace fastserve
