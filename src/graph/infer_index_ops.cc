// Shape inference for the indexing and rearranging ops: Trilu, CumSum, TopK,
// GatherElements, ScatterElements, GatherND, ScatterND, OneHot,
// DepthToSpace, SpaceToDepth, EyeLike.
//
// Value-dependent dims (TopK's K, OneHot's depth) are read through
// node.input_value(i) when known (run time, constants) and are kUnknownDim
// otherwise. Errors only for definite mismatches, naming the node.
#include <string>
#include <vector>

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

void set_shape(TensorInfo& out, DType dtype, Shape shape) {
  out.dtype = dtype;
  out.shape_known = true;
  out.shape = std::move(shape);
}

void set_unknown(TensorInfo& out, DType dtype) {
  out.dtype = dtype;
  out.shape_known = false;
  out.shape = Shape();
}

// Same dtype and shape as input 0, after checking the input has at least `min_rank` dims.
Status same_as_data(const NodeView& node, std::vector<TensorInfo>& outputs, size_t min_rank) {
  const TensorInfo& x = node.input(0);
  if (x.shape_known && x.shape.rank() < min_rank) {
    return node.error(StatusCode::kInvalidArgument, "input must have rank >= " + std::to_string(min_rank) +
                                                        ", got " + x.shape.to_string());
  }
  if (x.shape_known) set_shape(outputs[0], x.dtype, x.shape);
  else set_unknown(outputs[0], x.dtype);
  return ok_status();
}

}  // namespace

Status infer_trilu(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  return same_as_data(node, outputs, 2);
}

Status infer_cumsum(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  if (const Tensor* a = node.input_value(1); a != nullptr && x.shape_known) {
    if (a->numel() != 1) return node.error(StatusCode::kInvalidArgument, "axis must be a scalar");
    FS_RETURN_IF_ERROR(
        resolve_node_axis(node, a->element_as_int64(0), static_cast<int64_t>(x.shape.rank()), "input 'axis'")
            .status());
  }
  return same_as_data(node, outputs, 0);
}

Status infer_topk(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  for (size_t k = 0; k < outputs.size() && k < 2; ++k) set_unknown(outputs[k], k == 0 ? x.dtype : DType::kI64);
  if (!x.shape_known) return ok_status();
  const auto rank = static_cast<int64_t>(x.shape.rank());
  FS_ASSIGN_OR_RETURN(const int64_t axis, resolve_node_axis(node, node.attr_int("axis", -1), rank, "attribute 'axis'"));
  std::vector<int64_t> dims(x.shape.dims());
  dims[static_cast<size_t>(axis)] = kUnknownDim;
  if (const Tensor* k = node.input_value(1); k != nullptr) {
    if (k->numel() != 1) return node.error(StatusCode::kInvalidArgument, "K must hold one element");
    const int64_t kv = k->element_as_int64(0);
    const int64_t d = x.shape[static_cast<size_t>(axis)];
    if (kv < 0 || (d != kUnknownDim && kv > d)) {
      return node.error(StatusCode::kInvalidArgument,
                        "K = " + std::to_string(kv) + " is out of range for axis of size " + std::to_string(d));
    }
    dims[static_cast<size_t>(axis)] = kv;
  }
  for (size_t k = 0; k < outputs.size() && k < 2; ++k) set_shape(outputs[k], k == 0 ? x.dtype : DType::kI64, Shape(dims));
  return ok_status();
}

Status infer_gather_elements(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  const TensorInfo& idx = node.input(1);
  if (x.shape_known && idx.shape_known) {
    if (x.shape.rank() != idx.shape.rank()) {
      return node.error(StatusCode::kInvalidArgument, "indices " + idx.shape.to_string() + " and data " +
                                                          x.shape.to_string() + " differ in rank");
    }
    FS_RETURN_IF_ERROR(
        resolve_node_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(x.shape.rank()), "attribute 'axis'")
            .status());
  }
  if (idx.shape_known) set_shape(outputs[0], x.dtype, idx.shape);
  else set_unknown(outputs[0], x.dtype);
  return ok_status();
}

Status infer_scatter_elements(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 3));
  const TensorInfo& x = node.input(0);
  const TensorInfo& idx = node.input(1);
  const TensorInfo& upd = node.input(2);
  if (idx.shape_known && upd.shape_known && idx.shape != upd.shape) {
    // Unknown dims may still agree; only known ones that differ are definite.
    bool clash = idx.shape.rank() != upd.shape.rank();
    for (size_t i = 0; !clash && i < idx.shape.rank(); ++i) {
      clash = idx.shape[i] >= 0 && upd.shape[i] >= 0 && idx.shape[i] != upd.shape[i];
    }
    if (clash) {
      return node.error(StatusCode::kInvalidArgument, "indices " + idx.shape.to_string() + " and updates " +
                                                          upd.shape.to_string() + " differ in shape");
    }
  }
  if (x.dtype != DType::kUndefined && upd.dtype != DType::kUndefined && x.dtype != upd.dtype) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("updates have dtype ") + dtype_name(upd.dtype) + ", data " + dtype_name(x.dtype));
  }
  return same_as_data(node, outputs, 0);
}

Status infer_gather_nd(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  const TensorInfo& idx = node.input(1);
  const int64_t b = node.attr_int("batch_dims", 0);
  if (!x.shape_known || !idx.shape_known || idx.shape.rank() == 0 ||
      idx.shape[idx.shape.rank() - 1] == kUnknownDim) {
    set_unknown(outputs[0], x.dtype);
    return ok_status();
  }
  const auto r = static_cast<int64_t>(x.shape.rank());
  const auto q = static_cast<int64_t>(idx.shape.rank());
  const int64_t last = idx.shape[static_cast<size_t>(q - 1)];
  if (b < 0 || b >= q || b >= r || last > r - b) {
    return node.error(StatusCode::kInvalidArgument, "indices " + idx.shape.to_string() + " with batch_dims " +
                                                        std::to_string(b) + " do not fit data " + x.shape.to_string());
  }
  std::vector<int64_t> dims(idx.shape.dims().begin(), idx.shape.dims().end() - 1);
  for (int64_t k = b + last; k < r; ++k) dims.push_back(x.shape[static_cast<size_t>(k)]);
  set_shape(outputs[0], x.dtype, Shape(std::move(dims)));
  return ok_status();
}

Status infer_scatter_nd(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 3));
  const TensorInfo& x = node.input(0);
  const TensorInfo& upd = node.input(2);
  if (x.dtype != DType::kUndefined && upd.dtype != DType::kUndefined && x.dtype != upd.dtype) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("updates have dtype ") + dtype_name(upd.dtype) + ", data " + dtype_name(x.dtype));
  }
  return same_as_data(node, outputs, 0);
}

Status infer_one_hot(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 3));
  const TensorInfo& idx = node.input(0);
  const DType dtype = node.input(2).dtype;
  if (!idx.shape_known) {
    set_unknown(outputs[0], dtype);
    return ok_status();
  }
  const auto out_rank = static_cast<int64_t>(idx.shape.rank()) + 1;
  FS_ASSIGN_OR_RETURN(const int64_t axis, resolve_node_axis(node, node.attr_int("axis", -1), out_rank, "attribute 'axis'"));
  int64_t depth = kUnknownDim;
  if (const Tensor* d = node.input_value(1); d != nullptr) {
    if (d->numel() != 1) return node.error(StatusCode::kInvalidArgument, "depth must hold one element");
    depth = static_cast<int64_t>(d->element_as_double(0));
    if (depth < 1) return node.error(StatusCode::kInvalidArgument, "depth must be >= 1, got " + std::to_string(depth));
  }
  std::vector<int64_t> dims(idx.shape.dims());
  dims.insert(dims.begin() + axis, depth);
  set_shape(outputs[0], dtype, Shape(std::move(dims)));
  return ok_status();
}

Status infer_depth_space(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  const int64_t bs = node.attr_int("blocksize", 0);
  if (bs < 1) return node.error(StatusCode::kInvalidModel, "attribute 'blocksize' must be >= 1");
  if (!x.shape_known) {
    set_shape(outputs[0], x.dtype, Shape(std::vector<int64_t>(4, kUnknownDim)));
    return ok_status();
  }
  if (x.shape.rank() != 4) {
    return node.error(StatusCode::kInvalidArgument, "input must be 4-D [N,C,H,W], got " + x.shape.to_string());
  }
  const bool to_space = node.op_type() == "DepthToSpace";
  const std::string mode = node.attr_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") {
    return node.error(StatusCode::kInvalidArgument, "attribute 'mode' must be DCR or CRD, got '" + mode + "'");
  }
  auto scale = [](int64_t d, int64_t f) { return d == kUnknownDim ? kUnknownDim : d * f; };
  // Divides a known dim that must be a multiple of f.
  auto divide = [&](int64_t d, int64_t f, const char* what) -> Result<int64_t> {
    if (d == kUnknownDim) return kUnknownDim;
    if (d % f != 0) {
      return node.error(StatusCode::kInvalidArgument, std::string(what) + " " + std::to_string(d) +
                                                          " is not a multiple of " + std::to_string(f));
    }
    return d / f;
  };
  std::vector<int64_t> dims(x.shape.dims());
  if (to_space) {
    FS_ASSIGN_OR_RETURN(dims[1], divide(dims[1], bs * bs, "channels"));
    dims[2] = scale(dims[2], bs);
    dims[3] = scale(dims[3], bs);
  } else {
    dims[1] = scale(dims[1], bs * bs);
    FS_ASSIGN_OR_RETURN(dims[2], divide(dims[2], bs, "height"));
    FS_ASSIGN_OR_RETURN(dims[3], divide(dims[3], bs, "width"));
  }
  set_shape(outputs[0], x.dtype, Shape(std::move(dims)));
  return ok_status();
}

Status infer_eye_like(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  DType dtype = x.dtype;
  if (const Attribute* a = node.attr("dtype"); a != nullptr) {
    dtype = dtype_from_onnx(static_cast<int32_t>(a->i));
    if (dtype == DType::kUndefined || dtype == DType::kString || !dtype_is_storable(dtype)) {
      return node.error(StatusCode::kUnsupported, "dtype " + std::to_string(a->i) + " is not supported");
    }
  }
  if (x.shape_known && x.shape.rank() != 2) {
    return node.error(StatusCode::kInvalidArgument, "input must be 2-D, got " + x.shape.to_string());
  }
  if (x.shape_known) set_shape(outputs[0], dtype, x.shape);
  else set_shape(outputs[0], dtype, Shape{kUnknownDim, kUnknownDim});
  return ok_status();
}

}  // namespace fastserve
