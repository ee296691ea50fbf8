// Shape inference for the ops that select or assemble regions of their
// inputs: Concat, Split, Slice, Gather, Pad. (The pure re-viewing ops are in
// infer_shape_ops.cc.)
//
// Argument resolution shared with the kernels lives in shape_op_params.h.
// With unknown argument values (compile time, non-constant inputs) the rank
// is still known for all of these, and only the affected dims are unknown.
#include <algorithm>
#include <string>

#include "graph/op_schema.h"
#include "graph/shape_op_params.h"

namespace fastserve {
namespace {

Status require_inputs(const NodeView& node, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!node.has_input(i)) {
      return node.error(StatusCode::kInvalidModel, "required input " + std::to_string(i) + " is missing");
    }
  }
  return ok_status();
}

void set_unknown_shape(TensorInfo& out) {
  out.shape_known = false;
  out.shape = Shape();
}

// Whether input i is absent or has a value now.
bool value_known_or_absent(const NodeView& node, size_t i) {
  return !node.has_input(i) || node.input_value(i) != nullptr;
}

// Marks the dims input `axes_input` names unknown. When that input is absent
// the first `axes_prefix_len` dims are (Slice's default axes); when neither
// is known, every dim.
void mark_dims_unknown(const NodeView& node, size_t axes_input, int64_t axes_prefix_len, TensorInfo& out) {
  const int64_t rank = static_cast<int64_t>(out.shape.rank());
  if (node.has_input(axes_input)) {
    if (const Tensor* axes = node.input_value(axes_input)) {
      Result<std::vector<int64_t>> v = axes->to_int64_vector();
      if (v.ok()) {
        for (int64_t a : v.value()) {
          if (a >= -rank && a < rank) out.shape[static_cast<size_t>(a < 0 ? a + rank : a)] = kUnknownDim;
        }
        return;
      }
    }
  } else if (axes_prefix_len != kUnknownDim) {
    for (int64_t k = 0; k < std::min(axes_prefix_len, rank); ++k) out.shape[static_cast<size_t>(k)] = kUnknownDim;
    return;
  }
  for (int64_t& d : out.shape.dims()) d = kUnknownDim;
}

// Length of 1-D input i from its shape, or kUnknownDim.
int64_t input_length(const NodeView& node, size_t i) {
  if (!node.has_input(i)) return kUnknownDim;
  const TensorInfo& t = node.input(i);
  if (!t.shape_known || t.shape.rank() != 1) return kUnknownDim;
  return t.shape[0];
}

}  // namespace

Status infer_concat(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.num_inputs() == 0) return node.error(StatusCode::kInvalidModel, "Concat needs at least one input");
  FS_RETURN_IF_ERROR(require_inputs(node, node.num_inputs()));
  if (!node.has_attr("axis") && node.opset() >= 4) {
    return node.error(StatusCode::kInvalidModel, "attribute 'axis' is required");
  }
  TensorInfo& out = outputs[0];
  out.dtype = DType::kUndefined;
  const TensorInfo* ranked = nullptr;  // first input with a known rank
  size_t ranked_i = 0;
  for (size_t i = 0; i < node.num_inputs(); ++i) {
    const TensorInfo& in = node.input(i);
    if (in.dtype != DType::kUndefined) {
      if (out.dtype == DType::kUndefined) out.dtype = in.dtype;
      else if (in.dtype != out.dtype) {
        return node.error(StatusCode::kInvalidArgument, "input " + std::to_string(i) + " is " + dtype_name(in.dtype) +
                                                            " but an earlier input is " + dtype_name(out.dtype));
      }
    }
    if (!in.shape_known) continue;
    if (ranked == nullptr) {
      ranked = &in;
      ranked_i = i;
    } else if (in.shape.rank() != ranked->shape.rank()) {
      return node.error(StatusCode::kInvalidArgument,
                        "input " + std::to_string(i) + " " + in.shape.to_string() + " has rank " +
                            std::to_string(in.shape.rank()) + " but input " + std::to_string(ranked_i) + " " +
                            ranked->shape.to_string() + " has rank " + std::to_string(ranked->shape.rank()));
    }
  }
  if (ranked == nullptr) {
    set_unknown_shape(out);
    return ok_status();
  }
  const int64_t rank = static_cast<int64_t>(ranked->shape.rank());
  if (rank == 0) return node.error(StatusCode::kInvalidArgument, "cannot concatenate scalars (rank 0)");
  // Concat-1 had an optional axis defaulting to 1.
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(node, node.attr_int("axis", 1), rank, "axis"));

  std::vector<int64_t> dims(static_cast<size_t>(rank), kUnknownDim);
  int64_t axis_sum = 0;
  bool axis_known = true;
  for (size_t i = 0; i < node.num_inputs(); ++i) {
    const TensorInfo& in = node.input(i);
    if (!in.shape_known) {
      axis_known = false;
      continue;
    }
    for (size_t k = 0; k < dims.size(); ++k) {
      const int64_t d = in.shape[k];
      if (static_cast<int64_t>(k) == axis) {
        if (d == kUnknownDim) axis_known = false;
        else axis_sum += d;
      } else if (d != kUnknownDim) {
        if (dims[k] != kUnknownDim && dims[k] != d) {
          return node.error(StatusCode::kInvalidArgument,
                            "input " + std::to_string(i) + " " + in.shape.to_string() + " has dim " + std::to_string(k) +
                                " = " + std::to_string(d) + " but another input has " + std::to_string(dims[k]) +
                                " (only axis " + std::to_string(axis) + " may differ)");
        }
        dims[k] = d;
      }
    }
  }
  dims[static_cast<size_t>(axis)] = axis_known ? axis_sum : kUnknownDim;
  out.shape_known = true;
  out.shape = Shape(dims);
  return ok_status();
}

Status infer_split(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  for (TensorInfo& out : outputs) {
    out.dtype = x.dtype;
    set_unknown_shape(out);
  }
  if (!x.shape_known) return ok_status();
  const int64_t rank = static_cast<int64_t>(x.shape.rank());
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(node, node.attr_int("axis", 0), rank, "axis"));
  FS_ASSIGN_OR_RETURN(auto sizes, resolve_split_sizes(node, x.shape[static_cast<size_t>(axis)]));
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].shape_known = true;
    outputs[i].shape = x.shape;
    outputs[i].shape[static_cast<size_t>(axis)] = sizes ? (*sizes)[i] : kUnknownDim;
  }
  return ok_status();
}

Status infer_slice(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.opset() < 10) {
    return node.error(StatusCode::kUnsupported, "Slice before opset 10 (starts/ends attributes) is not supported");
  }
  FS_RETURN_IF_ERROR(require_inputs(node, 3));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  if (!x.shape_known) {
    set_unknown_shape(out);
    return ok_status();
  }
  out.shape_known = true;
  out.shape = x.shape;  // Slice keeps the rank
  if (!(value_known_or_absent(node, 1) && value_known_or_absent(node, 2) && value_known_or_absent(node, 3) &&
        value_known_or_absent(node, 4))) {
    mark_dims_unknown(node, 3, input_length(node, 1), out);
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<SliceDim> dims, resolve_slice(node, x.shape));
  for (size_t k = 0; k < dims.size(); ++k) out.shape[k] = dims[k].size;
  return ok_status();
}

Status infer_gather(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& data = node.input(0);
  const TensorInfo& indices = node.input(1);
  TensorInfo& out = outputs[0];
  out.dtype = data.dtype;
  if (indices.dtype != DType::kUndefined && indices.dtype != DType::kI32 && indices.dtype != DType::kI64) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("indices must be int32 or int64, got ") + dtype_name(indices.dtype));
  }
  if (!data.shape_known || !indices.shape_known) {
    set_unknown_shape(out);
    return ok_status();
  }
  const int64_t rank = static_cast<int64_t>(data.shape.rank());
  if (rank == 0) return node.error(StatusCode::kInvalidArgument, "cannot gather from a scalar (rank 0)");
  FS_ASSIGN_OR_RETURN(int64_t axis, resolve_node_axis(node, node.attr_int("axis", 0), rank, "axis"));
  const std::vector<int64_t>& d = data.shape.dims();
  std::vector<int64_t> dims(d.begin(), d.begin() + axis);
  dims.insert(dims.end(), indices.shape.dims().begin(), indices.shape.dims().end());
  dims.insert(dims.end(), d.begin() + axis + 1, d.end());
  out.shape_known = true;
  out.shape = Shape(dims);

  // Out-of-range indices are a definite error whenever both are known (at run
  // time always); checking here names the node before any kernel runs.
  const int64_t axis_dim = d[static_cast<size_t>(axis)];
  const Tensor* iv = node.input_value(1);
  if (iv != nullptr && axis_dim != kUnknownDim) {
    for (int64_t i = 0; i < iv->numel(); ++i) {
      const int64_t idx = iv->element_as_int64(i);
      if (idx < -axis_dim || idx >= axis_dim) {
        return node.error(StatusCode::kOutOfRange, "index " + std::to_string(idx) + " (indices element " +
                                                       std::to_string(i) + ") is out of range for axis " +
                                                       std::to_string(axis) + " of size " + std::to_string(axis_dim));
      }
    }
  }
  return ok_status();
}

Status infer_pad(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.opset() < 11) {
    return node.error(StatusCode::kUnsupported, "Pad before opset 11 ('pads' attribute) is not supported");
  }
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  FS_ASSIGN_OR_RETURN(PadMode mode, resolve_pad_mode(node));
  if (node.has_input(2)) {
    const DType cv = node.input_dtype(2);
    if (cv != DType::kUndefined && x.dtype != DType::kUndefined && cv != x.dtype) {
      return node.error(StatusCode::kInvalidArgument, std::string("constant_value is ") + dtype_name(cv) +
                                                          " but the data is " + dtype_name(x.dtype));
    }
  }
  if (!x.shape_known) {
    set_unknown_shape(out);
    return ok_status();
  }
  out.shape_known = true;
  out.shape = x.shape;
  const bool axes_used = node.opset() >= 18 && node.has_input(3);
  if (node.input_value(1) == nullptr || (axes_used && node.input_value(3) == nullptr)) {
    if (axes_used) mark_dims_unknown(node, 3, kUnknownDim, out);
    else for (int64_t& d : out.shape.dims()) d = kUnknownDim;
    return ok_status();
  }
  const int64_t rank = static_cast<int64_t>(x.shape.rank());
  FS_ASSIGN_OR_RETURN(PadAmounts pads, resolve_pads(node, rank));
  for (size_t k = 0; k < x.shape.rank(); ++k) {
    const int64_t d = x.shape[k];
    const int64_t b = pads.begin[k], e = pads.end[k];
    if (d == kUnknownDim) {
      if (b != 0 || e != 0) out.shape[k] = kUnknownDim;
      continue;
    }
    if (d + b + e < 0) {
      return node.error(StatusCode::kInvalidArgument, "pads " + std::to_string(b) + ", " + std::to_string(e) +
                                                          " on dim " + std::to_string(k) + " of size " +
                                                          std::to_string(d) + " give a negative size");
    }
    if (mode != PadMode::kConstant && d == 0 && (b > 0 || e > 0)) {
      return node.error(StatusCode::kInvalidArgument, "cannot pad dim " + std::to_string(k) +
                                                          " of size 0 in mode '" + node.attr_string("mode", "") +
                                                          "': there is nothing to copy from");
    }
    out.shape[k] = d + b + e;
  }
  return ok_status();
}

}  // namespace fastserve
