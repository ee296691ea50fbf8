// Shape and dtype inference of the quantization ops: QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
// ConvInteger, QLinearConv. The linear-algebra ones reuse MatMul's and
// Conv's inference on their data inputs (NodeView::with_inputs).
#include <array>
#include <string>

#include "graph/op_schema.h"
#include "graph/shape_utils.h"

namespace fastserve {
namespace {

// The dtype an output_dtype attribute names (0 or absent = none).
Result<DType> output_dtype_attr(const NodeView& node) {
  const int64_t t = node.attr_int("output_dtype", 0);
  if (t == 0) return DType::kUndefined;
  const DType d = dtype_from_onnx(static_cast<int32_t>(t));
  if (d == DType::kUndefined) {
    return node.error(StatusCode::kInvalidArgument, "output_dtype " + std::to_string(t) + " is not a known type");
  }
  return d;
}

void set_like_input(const NodeView& node, std::vector<TensorInfo>& outputs, size_t out, size_t in, DType dtype) {
  propagate_same(node, outputs, out, in);
  outputs[out].dtype = dtype;
}

// Runs `infer` on inputs `pick` of `node`, then sets the output dtype.
template <size_t N>
Status infer_on_inputs(const NodeView& node, const std::array<size_t, N>& pick, InferFn infer, DType dtype,
                       std::vector<TensorInfo>& outputs) {
  std::array<TensorInfo, N> ins;
  for (size_t i = 0; i < N; ++i) {
    if (node.has_input(pick[i])) ins[i] = node.input(pick[i]);
  }
  FS_RETURN_IF_ERROR(infer(node.with_inputs(ins), outputs));
  outputs[0].dtype = dtype;
  return ok_status();
}

}  // namespace

// y: x's shape; the zero point's type, else output_dtype (opset 21), else uint8.
Status infer_quantize_linear(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_input(0) || !node.has_input(1)) {
    return node.error(StatusCode::kInvalidArgument, "QuantizeLinear needs x and y_scale");
  }
  FS_ASSIGN_OR_RETURN(const DType attr, output_dtype_attr(node));
  DType out = DType::kU8;
  if (node.has_input(2)) {
    out = node.input_dtype(2);
    if (attr != DType::kUndefined && attr != out) {
      return node.error(StatusCode::kInvalidArgument, std::string("output_dtype ") + dtype_name(attr) +
                                                          " differs from y_zero_point's " + dtype_name(out));
    }
  } else if (attr != DType::kUndefined) {
    out = attr;
  }
  set_like_input(node, outputs, 0, 0, out);
  return ok_status();
}

// y: x's shape; float32 before opset 19, then y_scale's type (or output_dtype, opset 23).
Status infer_dequantize_linear(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_input(0) || !node.has_input(1)) {
    return node.error(StatusCode::kInvalidArgument, "DequantizeLinear needs x and x_scale");
  }
  FS_ASSIGN_OR_RETURN(const DType attr, output_dtype_attr(node));
  const DType out = attr != DType::kUndefined ? attr : node.opset() >= 19 ? node.input_dtype(1) : DType::kF32;
  set_like_input(node, outputs, 0, 0, out);
  return ok_status();
}

// y uint8 of x's shape, y_scale float32 scalar, y_zero_point uint8 scalar.
Status infer_dynamic_quantize_linear(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_input(0)) return node.error(StatusCode::kInvalidArgument, "DynamicQuantizeLinear needs x");
  set_like_input(node, outputs, 0, 0, DType::kU8);
  if (outputs.size() > 1) outputs[1] = TensorInfo::with_shape(DType::kF32, Shape{});
  if (outputs.size() > 2) outputs[2] = TensorInfo::with_shape(DType::kU8, Shape{});
  for (size_t i = 1; i < outputs.size(); ++i) outputs[i].present = true;
  return ok_status();
}

// fastserve.MatMulIntegerToFloat: MatMul(A, B)'s shape, float32.
Status infer_matmul_integer_to_float(const NodeView& node, std::vector<TensorInfo>& outputs) {
  return infer_on_inputs<2>(node, {0, 1}, &infer_matmul, DType::kF32, outputs);
}

namespace {
const Shape* known_shape_of(const NodeView& node, size_t i) {
  return node.has_input(i) && node.input(i).shape_known ? &node.input(i).shape : nullptr;
}
}  // namespace

// fastserve.BlockQuantMatMul: A [..., K] x B (K x N, or N x K with trans_b) -> [..., N], float32.
Status infer_block_quant_matmul(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const Shape* a = known_shape_of(node, 0);
  const Shape* b = known_shape_of(node, 1);
  if (b != nullptr && b->rank() != 2) {
    return node.error(StatusCode::kInvalidArgument, "B " + b->to_string() + " must be a matrix");
  }
  if (a == nullptr || b == nullptr) {
    outputs[0].present = true;
    outputs[0].dtype = DType::kF32;
    return ok_status();
  }
  const bool trans = node.attr_int("trans_b", 0) != 0;
  const int64_t k = trans ? (*b)[1] : (*b)[0], n = trans ? (*b)[0] : (*b)[1];
  if (a->rank() < 1 || ((*a)[a->rank() - 1] != kUnknownDim && (*a)[a->rank() - 1] != k)) {
    return node.error(StatusCode::kInvalidArgument,
                      "A " + a->to_string() + " does not end in K = " + std::to_string(k) + " (B " + b->to_string() + ")");
  }
  std::vector<int64_t> dims = a->dims();
  dims.back() = n;
  outputs[0] = TensorInfo::with_shape(DType::kF32, Shape(dims));
  return ok_status();
}

// Y int32 = (A - a_zero_point) x (B - b_zero_point), MatMul's shapes.
Status infer_matmul_integer(const NodeView& node, std::vector<TensorInfo>& outputs) {
  return infer_on_inputs<2>(node, {0, 1}, &infer_matmul, DType::kI32, outputs);
}

// Inputs a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp: MatMul(a, b) in y_zp's type.
Status infer_qlinear_matmul(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType out = node.has_input(7) ? node.input_dtype(7) : node.input_dtype(0);
  return infer_on_inputs<2>(node, {0, 3}, &infer_matmul, out, outputs);
}

// Inputs x, w, x_zp, w_zp: Conv(x, w)'s shape, int32.
Status infer_conv_integer(const NodeView& node, std::vector<TensorInfo>& outputs) {
  return infer_on_inputs<2>(node, {0, 1}, &infer_conv, DType::kI32, outputs);
}

// Inputs x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B: Conv(x, w, B)'s shape in y_zp's type.
Status infer_qlinear_conv(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType out = node.has_input(7) ? node.input_dtype(7) : node.input_dtype(0);
  return infer_on_inputs<3>(node, {0, 3, 8}, &infer_conv, out, outputs);
}

}  // namespace fastserve
