// Shape and dtype inference for elementwise ops, activations, softmax, Dropout,
// Cast, reductions and ArgMax/ArgMin (ops.def, "Elementwise" block).
//
// Compile-time inputs may be partly unknown: every function here propagates
// unknown ranks/dims and fails only on definite mismatches (ONNX opsets 11..28).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "graph/op_schema.h"
#include "graph/shape_utils.h"

namespace fastserve {
namespace {

// Output i with an unknown shape and the given dtype.
void set_unknown_shape(std::vector<TensorInfo>& outputs, size_t i, DType dtype) {
  outputs[i].dtype = dtype;
  outputs[i].shape_known = false;
  outputs[i].shape = Shape();
  outputs[i].value = nullptr;
}

void set_shape(std::vector<TensorInfo>& outputs, size_t i, DType dtype, Shape shape) {
  outputs[i].dtype = dtype;
  outputs[i].shape_known = true;
  outputs[i].shape = std::move(shape);
  outputs[i].value = nullptr;
}

Status require_input(const NodeView& node, size_t i) {
  if (!node.has_input(i)) {
    return node.error(StatusCode::kInvalidModel, "missing required input " + std::to_string(i));
  }
  return ok_status();
}

// Softmax / LogSoftmax: the axis must be a valid axis of the input (both the
// opset 11-12 "coerce to 2-D at axis" and the opset 13+ single-axis forms
// accept [-rank, rank-1]).
Status check_softmax_axis(const NodeView& node) {
  const TensorInfo& x = node.input(0);
  if (!x.shape_known) return ok_status();
  const int64_t def = node.opset() >= 13 ? -1 : 1;
  const int64_t axis = node.attr_int("axis", def);
  const auto rank = static_cast<int64_t>(x.shape.rank());
  if (axis < -rank || axis >= rank) {
    return node.error(StatusCode::kInvalidArgument,
                      "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return ok_status();
}

// Clip: min and max (inputs 1 and 2, opset 11+) are scalars of the input's
// type. Exporters sometimes write shape [1]; accept any one-element tensor.
Status check_clip_bounds(const NodeView& node) {
  for (size_t i = 1; i <= 2; ++i) {
    if (!node.has_input(i)) continue;
    const TensorInfo& b = node.input(i);
    const char* what = i == 1 ? "min" : "max";
    if (b.dtype != DType::kUndefined && node.input(0).dtype != DType::kUndefined &&
        b.dtype != node.input(0).dtype) {
      return node.error(StatusCode::kInvalidArgument, std::string(what) + " has dtype " +
                                                          dtype_name(b.dtype) + ", input has " +
                                                          dtype_name(node.input(0).dtype));
    }
    if (b.shape_known && b.shape.is_static() && b.shape.numel() != 1) {
      return node.error(StatusCode::kInvalidArgument,
                        std::string(what) + " must be a scalar, got shape " + b.shape.to_string());
    }
  }
  return ok_status();
}

// Whether a Reduce* op takes its axes from input 1 (ReduceSum since 13, every
// other reduction since 18) rather than from the `axes` attribute. The
// noop_with_empty_axes attribute exists exactly in those versions.
bool reduce_axes_from_input(const NodeView& node) {
  if (node.op_type() == "ReduceSum") return node.opset() >= 13;
  return node.opset() >= 18;
}

}  // namespace

Status infer_same_as_input(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  const std::string_view op = node.op_type();
  if (op == "Softmax" || op == "LogSoftmax") FS_RETURN_IF_ERROR(check_softmax_axis(node));
  if (op == "Clip") FS_RETURN_IF_ERROR(check_clip_bounds(node));
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

// IsNaN, IsInf: the input's shape, bool.
Status infer_unary_to_bool(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  propagate_same(node, outputs, 0, 0);
  outputs[0].dtype = DType::kBool;
  return ok_status();
}

Status infer_dropout(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  // training_mode (input 2, opset 12+) must be one value; true selects the
  // random mask (kernels/ref/dropout.cc), which has the same shapes.
  if (const Tensor* training = node.input_value(2); training != nullptr && training->numel() != 1) {
    return node.error(StatusCode::kInvalidArgument, "training_mode must be a scalar");
  }
  propagate_same(node, outputs, 0, 0);
  // The optional mask has the input's shape and is bool.
  if (outputs.size() > 1 && outputs[1].present) {
    const TensorInfo& x = node.input(0);
    if (x.shape_known) {
      set_shape(outputs, 1, DType::kBool, x.shape);
    } else {
      set_unknown_shape(outputs, 1, DType::kBool);
    }
  }
  return ok_status();
}

Status infer_cast(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  const Attribute* to = node.attr("to");
  if (to == nullptr) return node.error(StatusCode::kInvalidModel, "missing attribute 'to'");
  const DType target = dtype_from_onnx(static_cast<int32_t>(to->i));
  // Every fixed-size numeric type, bool and the low-precision types; strings and complex are not.
  if (target == DType::kUndefined || target == DType::kString || !dtype_is_storable(target)) {
    return node.error(StatusCode::kUnsupported,
                      "cast to ONNX data type " + std::to_string(to->i) + " is not supported");
  }
  const DType source = node.input(0).dtype;
  if (source == DType::kString) {
    return node.error(StatusCode::kUnsupported, "cast from string is not supported");
  }
  propagate_same(node, outputs, 0, 0);
  outputs[0].dtype = target;
  return ok_status();
}

// CastLike: input 0's shape, input 1's dtype.
Status infer_cast_like(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  FS_RETURN_IF_ERROR(require_input(node, 1));
  const DType target = node.input_dtype(1);
  if (target == DType::kString || node.input_dtype(0) == DType::kString) {
    return node.error(StatusCode::kUnsupported, "cast to or from string is not supported");
  }
  propagate_same(node, outputs, 0, 0);
  outputs[0].dtype = target;
  return ok_status();
}

// Size: an int64 scalar whatever the input.
Status infer_size(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  set_shape(outputs, 0, DType::kI64, Shape{});
  return ok_status();
}

Status infer_reduce(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  const TensorInfo& x = node.input(0);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const bool from_input = reduce_axes_from_input(node);
  const bool noop_with_empty_axes = from_input && node.attr_int("noop_with_empty_axes", 0) != 0;

  // Axes: known (possibly empty) or unknown (a runtime input at compile time).
  bool axes_known = true;
  std::vector<int64_t> axes;
  int64_t num_axes_if_unknown = -1;  // length of an unknown axes input when its shape is known
  if (from_input) {
    if (node.has_input(1)) {
      if (const Tensor* v = node.input_value(1); v != nullptr) {
        Result<std::vector<int64_t>> vals = v->to_int64_vector();
        if (!vals.ok()) return node.error(StatusCode::kInvalidArgument, "axes: " + vals.status().message());
        axes = std::move(vals).value();
      } else {
        axes_known = false;
        const TensorInfo& ai = node.input(1);
        if (ai.shape_known && ai.shape.rank() == 1 && ai.shape[0] != kUnknownDim)
          num_axes_if_unknown = ai.shape[0];
      }
    }
  } else {
    axes = node.attr_ints("axes");
  }

  const DType dtype = x.dtype;
  if (axes_known && axes.empty() && noop_with_empty_axes) {
    propagate_same(node, outputs, 0, 0);
    return ok_status();
  }
  if (!x.shape_known) {
    set_unknown_shape(outputs, 0, dtype);
    return ok_status();
  }
  const auto rank = static_cast<int64_t>(x.shape.rank());

  if (!axes_known) {
    // Which dims are reduced is unknown. With keepdims the rank is known and
    // dims of size 1 stay 1; without it the rank is known only when the axes
    // input's length is (and an empty axes input would then reduce all).
    if (keepdims) {
      std::vector<int64_t> dims(x.shape.dims());
      for (int64_t& d : dims) d = d == 1 ? 1 : kUnknownDim;
      set_shape(outputs, 0, dtype, Shape(std::move(dims)));
    } else if (num_axes_if_unknown > 0 && num_axes_if_unknown <= rank) {
      set_shape(outputs, 0, dtype,
                Shape(std::vector<int64_t>(static_cast<size_t>(rank - num_axes_if_unknown), kUnknownDim)));
    } else {
      set_unknown_shape(outputs, 0, dtype);
    }
    return ok_status();
  }

  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return node.error(StatusCode::kInvalidArgument,
                        "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    }
    const auto n = static_cast<size_t>(a < 0 ? a + rank : a);
    if (reduced[n])
      return node.error(StatusCode::kInvalidArgument, "axis " + std::to_string(a) + " is repeated");
    reduced[n] = true;
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i < reduced.size(); ++i) {
    if (!reduced[i]) {
      dims.push_back(x.shape[i]);
    } else if (keepdims) {
      dims.push_back(1);
    }
  }
  set_shape(outputs, 0, dtype, Shape(std::move(dims)));
  return ok_status();
}

// ArgMax / ArgMin: int64 indices; the axis dim drops out (keepdims: becomes 1).
Status infer_arg_reduce(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  const TensorInfo& x = node.input(0);
  if (!x.shape_known) {
    set_unknown_shape(outputs, 0, DType::kI64);
    return ok_status();
  }
  const auto rank = static_cast<int64_t>(x.shape.rank());
  const int64_t axis = node.attr_int("axis", 0);
  const int64_t r = rank == 0 ? 1 : rank;  // a scalar reduces as a one-element vector
  if (axis < -r || axis >= r) {
    return node.error(StatusCode::kInvalidArgument,
                      "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  const int64_t a = axis < 0 ? axis + r : axis;
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != a) dims.push_back(x.shape[static_cast<size_t>(i)]);
    else if (node.attr_int("keepdims", 1) != 0) dims.push_back(1);
  }
  set_shape(outputs, 0, DType::kI64, Shape(std::move(dims)));
  return ok_status();
}

}  // namespace fastserve
