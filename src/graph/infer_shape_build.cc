// Shape inference for the ops that build tensors from shape arguments:
// ConstantOfShape, Expand, Range, Tile — the int64 shape arithmetic PyTorch
// exporters emit.
//
// Their output shape depends on an input's value (the shape, the repeats,
// the Range bounds). It is read through node.input_value(i): always set at
// run time, and at compile time for initializers — which fold_constants
// makes of Constant nodes and folded shape chains — so downstream dims are
// known. Without a value the output keeps what can still be known (the rank
// from the shape input's length) and marks the rest kUnknownDim.
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "graph/shape_op_params.h"
#include "graph/shape_utils.h"

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

void set_shape(TensorInfo& out, DType dtype, Shape shape) {
  out.dtype = dtype;
  out.shape_known = true;
  out.shape = std::move(shape);
}

// Rank known from a 1-D input's length, every dim unknown; or nothing known.
void set_rank_from_length(TensorInfo& out, DType dtype, const TensorInfo& len_input) {
  out.dtype = dtype;
  if (len_input.shape_known && len_input.shape.rank() == 1 && len_input.shape[0] != kUnknownDim) {
    out.shape_known = true;
    out.shape = Shape(std::vector<int64_t>(static_cast<size_t>(len_input.shape[0]), kUnknownDim));
  } else {
    out.shape_known = false;
    out.shape = Shape();
  }
}

}  // namespace

Status infer_constant_of_shape(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  FS_ASSIGN_OR_RETURN(const Tensor value, resolve_constant_of_shape_value(node));
  TensorInfo& out = outputs[0];
  if (node.input_value(0) == nullptr) {
    set_rank_from_length(out, value.dtype(), node.input(0));
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> dims, resolve_shape_input(node, 0, "input"));
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      return node.error(StatusCode::kInvalidArgument,
                        "input: dim " + std::to_string(i) + " is negative (" + std::to_string(dims[i]) + ")");
    }
  }
  set_shape(out, value.dtype(), Shape(std::move(dims)));
  return ok_status();
}

Status infer_expand(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  if (node.input_value(1) == nullptr) {
    // The result's rank is max(rank(x), len(shape)); its dims need the values.
    set_rank_from_length(out, x.dtype, node.input(1));
    if (!x.shape_known) {
      out.shape_known = false;
      out.shape = Shape();
    } else if (out.shape_known && x.shape.rank() > out.shape.rank()) {
      out.shape = Shape(std::vector<int64_t>(x.shape.rank(), kUnknownDim));
    }
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> requested, resolve_shape_input(node, 1, "shape"));
  for (size_t i = 0; i < requested.size(); ++i) {
    if (requested[i] < 0) {
      return node.error(StatusCode::kInvalidArgument,
                        "shape: dim " + std::to_string(i) + " is negative (" + std::to_string(requested[i]) + ")");
    }
  }
  if (!x.shape_known) {
    // The input may have more dims than the shape: nothing is known.
    out.dtype = x.dtype;
    out.shape_known = false;
    out.shape = Shape();
    return ok_status();
  }
  Result<Shape> s = broadcast_shapes(x.shape, Shape(requested));
  if (!s.ok()) {
    return node.error(StatusCode::kInvalidArgument, "cannot expand " + x.shape.to_string() + " to " +
                                                        Shape(requested).to_string() + ": " + s.status().message());
  }
  set_shape(out, x.dtype, std::move(s).value());
  return ok_status();
}

Status infer_range(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 3));
  const DType dtype = node.input(0).dtype;
  for (size_t i = 1; i < 3; ++i) {
    const DType d = node.input(i).dtype;
    if (dtype != DType::kUndefined && d != DType::kUndefined && d != dtype) {
      return node.error(StatusCode::kInvalidArgument, std::string(i == 1 ? "limit" : "delta") + " has dtype " +
                                                          dtype_name(d) + ", start has " + dtype_name(dtype));
    }
  }
  TensorInfo& out = outputs[0];
  const Tensor* start = node.input_value(0);
  const Tensor* limit = node.input_value(1);
  const Tensor* delta = node.input_value(2);
  if (start == nullptr || limit == nullptr || delta == nullptr) {
    set_shape(out, dtype, Shape{kUnknownDim});
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(const int64_t n, resolve_range_length(node, *start, *limit, *delta));
  set_shape(out, dtype, Shape{n});
  return ok_status();
}

Status infer_tile(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  if (node.input_value(1) == nullptr) {
    // The repeats have one entry per input dim: the rank is the input's.
    set_rank_from_length(out, x.dtype, node.input(1));
    if (x.shape_known) {
      std::vector<int64_t> dims(x.shape.rank(), kUnknownDim);
      for (size_t i = 0; i < dims.size(); ++i) {
        if (x.shape[i] == 0) dims[i] = 0;  // any repeat of nothing is nothing
      }
      set_shape(out, x.dtype, Shape(std::move(dims)));
    }
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, resolve_shape_input(node, 1, "repeats"));
  if (!x.shape_known) {
    out.dtype = x.dtype;
    out.shape_known = true;
    out.shape = Shape(std::vector<int64_t>(repeats.size(), kUnknownDim));
    return ok_status();
  }
  if (repeats.size() != x.shape.rank()) {
    return node.error(StatusCode::kInvalidArgument, "repeats has " + std::to_string(repeats.size()) +
                                                        " entries, the input has rank " +
                                                        std::to_string(x.shape.rank()));
  }
  std::vector<int64_t> dims(repeats.size());
  for (size_t i = 0; i < repeats.size(); ++i) {
    if (repeats[i] < 0) {
      return node.error(StatusCode::kInvalidArgument,
                        "repeats[" + std::to_string(i) + "] is negative (" + std::to_string(repeats[i]) + ")");
    }
    dims[i] = x.shape[i] == kUnknownDim ? (repeats[i] == 0 ? 0 : kUnknownDim) : x.shape[i] * repeats[i];
  }
  set_shape(out, x.dtype, Shape(std::move(dims)));
  return ok_status();
}

}  // namespace fastserve
