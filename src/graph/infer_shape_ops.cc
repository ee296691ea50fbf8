// Shape inference for the ops that only re-view their input's elements or
// report shapes: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Shape,
// Constant. (Concat, Split, Slice, Gather and Pad are in infer_region_ops.cc.)
//
// Value-dependent ops (Reshape's shape, Squeeze/Unsqueeze axes from opset
// 13) read node.input_value(i): always set at run time, set at compile time
// only for constants. Without it the output keeps what can still be known
// (usually its rank) and marks the rest kUnknownDim.
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

// Rank known, every dim unknown.
void set_unknown_dims(TensorInfo& out, size_t rank) {
  out.shape_known = true;
  out.shape = Shape(std::vector<int64_t>(rank, kUnknownDim));
}

// Product of dims [begin, end): 0 if a known dim is 0, unknown if another dim is unknown.
int64_t dims_product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  bool unknown = false;
  for (size_t i = begin; i < end; ++i) {
    if (s[i] == 0) return 0;
    if (s[i] == kUnknownDim) unknown = true;
    else p *= s[i];
  }
  return unknown ? kUnknownDim : p;
}

// Integer values of input i as int64, or an error naming the input.
Result<std::vector<int64_t>> input_ints(const NodeView& node, size_t i, const char* what) {
  const Tensor* t = node.input_value(i);
  FS_CHECK(t != nullptr);
  if (!dtype_is_integer(t->dtype())) {
    return node.error(StatusCode::kInvalidArgument, std::string("input '") + what +
                                                        "' must be an integer tensor, got " + dtype_name(t->dtype()));
  }
  Result<std::vector<int64_t>> v = t->to_int64_vector();
  if (!v.ok()) return node.error(v.status().code(), std::string("input '") + what + "': " + v.status().message());
  return v;
}

// Length of a 1-D input whose value is unknown, or kUnknownDim.
int64_t input_length(const NodeView& node, size_t i) {
  const TensorInfo& t = node.input(i);
  if (!t.shape_known) return kUnknownDim;
  if (t.shape.rank() == 0) return 1;
  if (t.shape.rank() == 1) return t.shape[0];
  return kUnknownDim;
}

// Squeeze/Unsqueeze axes: attribute before opset 13, input 1 from 13.
// `given` says whether axes were supplied at all; `known` whether their values are.
struct AxesArg {
  bool given = false;
  bool known = false;
  std::vector<int64_t> values;
  int64_t length = kUnknownDim;  // when given but not known
};

Result<AxesArg> read_axes(const NodeView& node) {
  AxesArg a;
  if (node.opset() < 13) {
    if (node.has_attr("axes")) {
      a.given = a.known = true;
      a.values = node.attr_ints("axes");
    }
  } else if (node.has_input(1)) {
    a.given = true;
    if (node.input_value(1) != nullptr) {
      a.known = true;
      FS_ASSIGN_OR_RETURN(a.values, input_ints(node, 1, "axes"));
    } else {
      a.length = input_length(node, 1);
    }
  }
  return a;
}

// "[2,-1,0]": requested values verbatim (Shape::to_string would print -1 as "?").
std::string join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Status infer_flatten(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  int64_t axis = node.attr_int("axis", 1);
  if (!x.shape_known) {
    set_unknown_dims(out, 2);
    if (axis == 0) out.shape[0] = 1;
    return ok_status();
  }
  const int64_t rank = static_cast<int64_t>(x.shape.rank());
  // Flatten's axis may equal the rank (everything goes to the outer dim).
  if (axis < -rank || axis > rank) {
    return node.error(StatusCode::kInvalidArgument, "axis = " + std::to_string(axis) + " is out of range for rank " +
                                                        std::to_string(rank) + " (expected [" + std::to_string(-rank) +
                                                        ", " + std::to_string(rank) + "])");
  }
  if (axis < 0) axis += rank;
  const size_t a = static_cast<size_t>(axis);
  out.shape_known = true;
  out.shape = Shape{dims_product(x.shape, 0, a), dims_product(x.shape, a, x.shape.rank())};
  return ok_status();
}

Status infer_reshape(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 2));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  if (node.input_value(1) == nullptr) {
    const int64_t n = input_length(node, 1);
    if (n == kUnknownDim) set_unknown_shape(out);
    else set_unknown_dims(out, static_cast<size_t>(n));
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> requested, input_ints(node, 1, "shape"));
  // allowzero (opset 14): a 0 is a literal zero-sized dim instead of "copy the input dim".
  const bool allow_zero = node.opset() >= 14 && node.attr_int("allowzero", 0) != 0;
  const size_t in_rank = x.shape_known ? x.shape.rank() : 0;

  std::vector<int64_t> dims(requested.size(), kUnknownDim);
  // An unknown input dim copied by a 0 appears on both sides of the element
  // count equation, so it cancels: [?,3,4] -> [0,-1] still gives [?,12].
  std::vector<bool> in_cancelled(in_rank, false), out_cancelled(requested.size(), false);
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < requested.size(); ++i) {
    const int64_t v = requested[i];
    if (v == -1) {
      if (infer_at >= 0) {
        return node.error(StatusCode::kInvalidArgument,
                          "shape " + join(requested) + " has more than one -1 (dims " + std::to_string(infer_at) +
                              " and " + std::to_string(i) + ")");
      }
      infer_at = static_cast<int64_t>(i);
    } else if (v < -1) {
      return node.error(StatusCode::kInvalidArgument,
                        "shape " + join(requested) + " has invalid dim " + std::to_string(v) + " at " + std::to_string(i));
    } else if (v == 0 && !allow_zero) {
      if (!x.shape_known) {
        out_cancelled[i] = true;  // unknown copy; the counts below need the input rank anyway
        continue;
      }
      if (i >= in_rank) {
        return node.error(StatusCode::kInvalidArgument, "shape " + join(requested) + " has 0 at dim " +
                                                            std::to_string(i) + " (copy the input dim) but the input " +
                                                            x.shape.to_string() + " has rank " + std::to_string(in_rank));
      }
      dims[i] = x.shape[i];
      if (dims[i] == kUnknownDim) in_cancelled[i] = out_cancelled[i] = true;
    } else {
      has_zero = has_zero || v == 0;
      dims[i] = v;
    }
  }
  if (allow_zero && has_zero && infer_at >= 0) {
    return node.error(StatusCode::kInvalidArgument,
                      "shape " + join(requested) + " has both 0 and -1, which allowzero=1 forbids");
  }
  out.shape_known = true;
  out.shape = Shape(dims);
  if (!x.shape_known) return ok_status();

  int64_t in_rest = 1, out_rest = 1;
  bool rest_known = true;
  for (size_t i = 0; i < in_rank; ++i) {
    if (in_cancelled[i]) continue;
    if (x.shape[i] == kUnknownDim) rest_known = false;
    else if (__builtin_mul_overflow(in_rest, x.shape[i], &in_rest))
      return node.error(StatusCode::kInvalidArgument, "input shape " + x.shape.to_string() + " overflows int64");
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (out_cancelled[i] || static_cast<int64_t>(i) == infer_at) continue;
    if (__builtin_mul_overflow(out_rest, dims[i], &out_rest))
      return node.error(StatusCode::kInvalidArgument, "shape " + join(requested) + " overflows int64");
  }
  if (!rest_known) return ok_status();  // the -1 (if any) stays unknown
  if (infer_at >= 0) {
    // Same rule as ONNX Runtime: the other dims must multiply to a nonzero divisor.
    if (out_rest == 0 || in_rest % out_rest != 0) {
      return node.error(StatusCode::kInvalidArgument, "cannot reshape input " + x.shape.to_string() + " to " +
                                                          join(requested) + ": the -1 dim cannot be inferred");
    }
    out.shape[static_cast<size_t>(infer_at)] = in_rest / out_rest;
  } else if (in_rest != out_rest) {
    return node.error(StatusCode::kInvalidArgument, "cannot reshape input " + x.shape.to_string() + " to " +
                                                        join(requested) + ": element counts differ");
  }
  return ok_status();
}

Status infer_transpose(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  if (!x.shape_known) {
    if (node.has_attr("perm")) set_unknown_dims(out, node.attr_ints("perm").size());
    else set_unknown_shape(out);
    return ok_status();
  }
  FS_ASSIGN_OR_RETURN(std::vector<int64_t> perm,
                      resolve_transpose_perm(node, static_cast<int64_t>(x.shape.rank())));
  std::vector<int64_t> dims(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) dims[k] = x.shape[static_cast<size_t>(perm[k])];
  out.shape_known = true;
  out.shape = Shape(dims);
  return ok_status();
}

Status infer_squeeze(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  FS_ASSIGN_OR_RETURN(AxesArg axes, read_axes(node));
  // An empty axes list means "no axes" (as in the ONNX reference and ORT).
  if (axes.known && axes.values.empty()) axes.given = false;
  if (!x.shape_known) {
    set_unknown_shape(out);
    return ok_status();
  }
  const int64_t rank = static_cast<int64_t>(x.shape.rank());
  if (axes.given && !axes.known) {
    if (axes.length == kUnknownDim || axes.length > rank) set_unknown_shape(out);
    else set_unknown_dims(out, static_cast<size_t>(rank - axes.length));
    return ok_status();
  }
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  if (axes.given) {
    for (size_t i = 0; i < axes.values.size(); ++i) {
      const std::string what = "axes[" + std::to_string(i) + "]";
      FS_ASSIGN_OR_RETURN(int64_t a, resolve_node_axis(node, axes.values[i], rank, what.c_str()));
      const size_t ua = static_cast<size_t>(a);
      if (drop[ua]) {
        return node.error(StatusCode::kInvalidArgument, "axes " + join(axes.values) + " repeats axis " + std::to_string(a));
      }
      if (x.shape[ua] != 1 && x.shape[ua] != kUnknownDim) {
        return node.error(StatusCode::kInvalidArgument, "cannot squeeze axis " + std::to_string(a) + " of input " +
                                                            x.shape.to_string() + ": its size is " +
                                                            std::to_string(x.shape[ua]) + ", not 1");
      }
      drop[ua] = true;
    }
  } else {
    // No axes: every dim of size 1 goes, so an unknown dim leaves the rank unknown.
    for (size_t k = 0; k < drop.size(); ++k) {
      if (x.shape[k] == kUnknownDim) {
        set_unknown_shape(out);
        return ok_status();
      }
      drop[k] = x.shape[k] == 1;
    }
  }
  std::vector<int64_t> dims;
  for (size_t k = 0; k < drop.size(); ++k) {
    if (!drop[k]) dims.push_back(x.shape[k]);
  }
  out.shape_known = true;
  out.shape = Shape(dims);
  return ok_status();
}

Status infer_unsqueeze(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, node.opset() < 13 ? 1 : 2));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = x.dtype;
  FS_ASSIGN_OR_RETURN(AxesArg axes, read_axes(node));
  if (!axes.given) return node.error(StatusCode::kInvalidModel, "attribute 'axes' is required");
  if (!x.shape_known) {
    set_unknown_shape(out);
    return ok_status();
  }
  const int64_t in_rank = static_cast<int64_t>(x.shape.rank());
  if (!axes.known) {
    if (axes.length == kUnknownDim) set_unknown_shape(out);
    else set_unknown_dims(out, static_cast<size_t>(in_rank + axes.length));
    return ok_status();
  }
  // Negative axes count from the back of the OUTPUT.
  const int64_t out_rank = in_rank + static_cast<int64_t>(axes.values.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (size_t i = 0; i < axes.values.size(); ++i) {
    const std::string what = "axes[" + std::to_string(i) + "]";
    FS_ASSIGN_OR_RETURN(int64_t a, resolve_node_axis(node, axes.values[i], out_rank, what.c_str()));
    if (inserted[static_cast<size_t>(a)]) {
      return node.error(StatusCode::kInvalidArgument, "axes " + join(axes.values) + " repeats axis " + std::to_string(a));
    }
    inserted[static_cast<size_t>(a)] = true;
  }
  std::vector<int64_t> dims(static_cast<size_t>(out_rank));
  size_t next_in = 0;
  for (size_t k = 0; k < dims.size(); ++k) dims[k] = inserted[k] ? 1 : x.shape[next_in++];
  out.shape_known = true;
  out.shape = Shape(dims);
  return ok_status();
}

Status infer_shape_op(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_inputs(node, 1));
  const TensorInfo& x = node.input(0);
  TensorInfo& out = outputs[0];
  out.dtype = DType::kI64;
  out.shape_known = true;
  if (!x.shape_known) {
    out.shape = Shape{kUnknownDim};
    return ok_status();
  }
  auto [start, end] = resolve_shape_range(node, static_cast<int64_t>(x.shape.rank()));
  out.shape = Shape{end - start};
  return ok_status();
}

Status infer_constant(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_ASSIGN_OR_RETURN(Tensor value, resolve_constant(node));
  TensorInfo& out = outputs[0];
  out.dtype = value.dtype();
  out.shape_known = true;
  out.shape = value.shape();
  return ok_status();
}

}  // namespace fastserve
