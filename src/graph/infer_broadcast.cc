// Shape and dtype inference for ops whose inputs broadcast numpy-style:
// binary arithmetic (Add, Sub, Mul, Div, Pow, Mod, BitShift), comparisons and
// logic (bool output), Where (three inputs), variadic Sum/Mean/Max/Min, and
// PRelu (slope broadcast unidirectionally to X).
//
// Unknown ranks and dims propagate (broadcast_shapes); only definite
// mismatches are errors, and they name the node.
#include <string>
#include <string_view>
#include <vector>

#include "graph/op_schema.h"
#include "graph/shape_utils.h"

namespace fastserve {
namespace {

Status require_input(const NodeView& node, size_t i) {
  if (!node.has_input(i)) {
    return node.error(StatusCode::kInvalidModel, "missing required input " + std::to_string(i));
  }
  return ok_status();
}

// The one dtype of inputs [first, last): an error when two known dtypes
// differ, kUndefined when none is known.
Result<DType> common_dtype(const NodeView& node, size_t first, size_t last) {
  DType dt = DType::kUndefined;
  for (size_t i = first; i < last; ++i) {
    const DType d = node.input_dtype(i);
    if (d == DType::kUndefined) continue;
    if (dt != DType::kUndefined && d != dt) {
      return node.error(StatusCode::kInvalidArgument, std::string("input dtypes differ: ") + dtype_name(dt) +
                                                          " and " + dtype_name(d) + " (input " +
                                                          std::to_string(i) + ")");
    }
    dt = d;
  }
  return dt;
}

// Output 0 gets `dtype` and the broadcast of inputs [first, last) (unknown
// when any input's rank is).
Status broadcast_inputs(const NodeView& node, size_t first, size_t last, DType dtype,
                        std::vector<TensorInfo>& outputs) {
  TensorInfo& out = outputs[0];
  out.dtype = dtype;
  out.value = nullptr;
  out.shape_known = false;
  out.shape = Shape();
  for (size_t i = first; i < last; ++i) {
    if (!node.input(i).shape_known) return ok_status();
  }
  Shape shape = node.input(first).shape;
  for (size_t i = first + 1; i < last; ++i) {
    const Shape& s = node.input(i).shape;
    Result<Shape> b = broadcast_shapes(shape, s);
    if (!b.ok()) {
      return node.error(StatusCode::kInvalidArgument, "cannot broadcast " + shape.to_string() + " with " +
                                                          s.to_string() + " (input " + std::to_string(i) +
                                                          "): " + b.status().message());
    }
    shape = std::move(b).value();
  }
  out.shape_known = true;
  out.shape = std::move(shape);
  return ok_status();
}

}  // namespace

Status infer_broadcast_binary(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  FS_RETURN_IF_ERROR(require_input(node, 1));
  // Pow's exponent has its own type constraint (T1); the output is the base's
  // type. Every other binary op needs both inputs of one type.
  DType out_dtype = node.input_dtype(0);
  if (node.op_type() != "Pow") {
    FS_ASSIGN_OR_RETURN(out_dtype, common_dtype(node, 0, 2));
  }
  // Mod-28 defines fmod = 0 for floats (numpy.mod); earlier versions forbid it.
  if (node.op_type() == "Mod" && node.attr_int("fmod", 0) == 0 && node.opset() < 28 &&
      (out_dtype == DType::kF32 || out_dtype == DType::kF64 || out_dtype == DType::kF16 ||
       out_dtype == DType::kBF16)) {
    return node.error(StatusCode::kInvalidArgument, "fmod must be 1 for floating-point inputs");
  }
  return broadcast_inputs(node, 0, 2, out_dtype, outputs);
}

// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor: both
// inputs of one type, bool output.
Status infer_broadcast_to_bool(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  FS_RETURN_IF_ERROR(require_input(node, 1));
  FS_ASSIGN_OR_RETURN(const DType dt, common_dtype(node, 0, 2));
  const std::string_view op = node.op_type();
  if ((op == "And" || op == "Or" || op == "Xor") && dt != DType::kUndefined && dt != DType::kBool) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("inputs must be bool, got ") + dtype_name(dt));
  }
  return broadcast_inputs(node, 0, 2, DType::kBool, outputs);
}

// Where(condition, X, Y): condition is bool; X and Y share the output's type;
// all three broadcast together.
Status infer_where(const NodeView& node, std::vector<TensorInfo>& outputs) {
  for (size_t i = 0; i < 3; ++i) FS_RETURN_IF_ERROR(require_input(node, i));
  const DType cond = node.input_dtype(0);
  if (cond != DType::kUndefined && cond != DType::kBool) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("condition must be bool, got ") + dtype_name(cond));
  }
  FS_ASSIGN_OR_RETURN(const DType dt, common_dtype(node, 1, 3));
  return broadcast_inputs(node, 0, 3, dt, outputs);
}

// Sum, Mean, Max, Min: one or more inputs of one type, all broadcast together.
Status infer_variadic_broadcast(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.num_inputs() == 0) return node.error(StatusCode::kInvalidModel, "needs at least one input");
  for (size_t i = 0; i < node.num_inputs(); ++i) FS_RETURN_IF_ERROR(require_input(node, i));
  FS_ASSIGN_OR_RETURN(const DType dt, common_dtype(node, 0, node.num_inputs()));
  return broadcast_inputs(node, 0, node.num_inputs(), dt, outputs);
}

// PRelu: Y has X's shape; slope must broadcast to X unidirectionally (each of
// its dims, aligned from the right, is 1 or X's dim).
Status infer_prelu(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0));
  FS_RETURN_IF_ERROR(require_input(node, 1));
  FS_RETURN_IF_ERROR(common_dtype(node, 0, 2).status());
  const TensorInfo& x = node.input(0);
  const TensorInfo& slope = node.input(1);
  if (x.shape_known && slope.shape_known) {
    const Shape& xs = x.shape;
    const Shape& ss = slope.shape;
    bool ok = ss.rank() <= xs.rank();
    for (size_t i = 0; ok && i < ss.rank(); ++i) {
      const int64_t s = ss[i], d = xs[i + xs.rank() - ss.rank()];
      ok = s == 1 || s == kUnknownDim || d == kUnknownDim || s == d;
    }
    if (!ok) {
      return node.error(StatusCode::kInvalidArgument,
                        "slope " + ss.to_string() + " does not broadcast to X " + xs.to_string());
    }
  }
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

}  // namespace fastserve
