// Shape and dtype inference of the QDQ-import ops (graph/ops_fastserve.def):
// QConv, QAdd, MaxPoolNhwc, QGlobalAveragePool. The NHWC ones permute their
// input to NCHW, run the NCHW op's inference, and permute the result back,
// so the window rules are exactly Conv's and MaxPool's.
#include <array>
#include <string>

#include "graph/op_schema.h"

namespace fastserve {
namespace {

// [N, H, W, C] -> [N, C, H, W] (perm {0, 3, 1, 2}) and back ({0, 2, 3, 1}).
Shape permute4(const Shape& s, const std::array<size_t, 4>& perm) {
  return Shape({s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]});
}
constexpr std::array<size_t, 4> kToNchw = {0, 3, 1, 2};
constexpr std::array<size_t, 4> kToNhwc = {0, 2, 3, 1};

// The output dtype: the output zero point's type when present, else uint8.
DType requant_dtype(const NodeView& node, size_t zp_input) {
  return node.has_input(zp_input) ? node.input_dtype(zp_input) : DType::kU8;
}

Status check_activation(const NodeView& node) {
  const std::string act = node.attr_string("activation", "");
  if (act.empty() || act == "Relu") return ok_status();
  return node.error(StatusCode::kInvalidArgument, "activation \"" + act + "\" is not \"\" or \"Relu\"");
}

// Input 0 as NCHW when it is a rank-4 NHWC tensor; an error for another rank.
Result<TensorInfo> nchw_view_of_input0(const NodeView& node) {
  TensorInfo x = node.input(0);
  x.value = nullptr;
  if (!x.shape_known) return x;
  if (x.shape.rank() != 4) {
    return node.error(StatusCode::kInvalidArgument, "x " + x.shape.to_string() + " is not NHWC [N, H, W, C]");
  }
  x.shape = permute4(x.shape, kToNchw);
  return x;
}

// Runs the NCHW op's inference on `ins` and permutes output 0 to NHWC.
Status infer_as_nchw(const NodeView& node, std::span<const TensorInfo> ins, InferFn infer, DType dtype,
                     std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(infer(node.with_inputs(ins), outputs));
  TensorInfo& y = outputs[0];
  y.dtype = dtype;
  if (y.shape_known && y.shape.rank() == 4) y.shape = permute4(y.shape, kToNhwc);
  return ok_status();
}

}  // namespace

Status infer_qconv(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.num_inputs() < 8 || !node.has_input(0) || !node.has_input(3)) {
    return node.error(StatusCode::kInvalidArgument, "QConv needs x, x_scale, x_zero_point, w, w_scale, "
                                                    "w_zero_point, y_scale, y_zero_point");
  }
  FS_RETURN_IF_ERROR(check_activation(node));
  FS_ASSIGN_OR_RETURN(TensorInfo x, nchw_view_of_input0(node));
  std::array<TensorInfo, 3> ins = {x, node.input(3), node.has_input(8) ? node.input(8) : TensorInfo{}};
  return infer_as_nchw(node, ins, &infer_conv, requant_dtype(node, 7), outputs);
}

Status infer_qadd(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.num_inputs() < 7 || !node.has_input(0) || !node.has_input(3)) {
    return node.error(StatusCode::kInvalidArgument, "QAdd needs A, A_scale, A_zero_point, B, B_scale, "
                                                    "B_zero_point, C_scale");
  }
  FS_RETURN_IF_ERROR(check_activation(node));
  const TensorInfo &a = node.input(0), &b = node.input(3);
  if (a.shape_known && b.shape_known && a.shape.is_static() && b.shape.is_static() && a.shape != b.shape) {
    return node.error(StatusCode::kInvalidArgument,
                      "A " + a.shape.to_string() + " and B " + b.shape.to_string() + " differ (QAdd does not broadcast)");
  }
  outputs[0] = a.shape_known ? TensorInfo::with_shape(requant_dtype(node, 7), a.shape) : b;
  outputs[0].present = true;
  outputs[0].value = nullptr;
  outputs[0].dtype = requant_dtype(node, 7);
  return ok_status();
}

Status infer_max_pool_nhwc(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_input(0)) return node.error(StatusCode::kInvalidArgument, "MaxPoolNhwc needs X");
  if (outputs.size() > 1) return node.error(StatusCode::kInvalidArgument, "MaxPoolNhwc has no Indices output");
  FS_ASSIGN_OR_RETURN(TensorInfo x, nchw_view_of_input0(node));
  std::array<TensorInfo, 1> ins = {x};
  return infer_as_nchw(node, ins, &infer_pool, node.input_dtype(0), outputs);
}

Status infer_qglobal_average_pool(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (node.num_inputs() < 4 || !node.has_input(0)) {
    return node.error(StatusCode::kInvalidArgument, "QGlobalAveragePool needs x, x_scale, x_zero_point, y_scale");
  }
  FS_ASSIGN_OR_RETURN(TensorInfo x, nchw_view_of_input0(node));
  const DType dtype = requant_dtype(node, 4);
  if (!x.shape_known) {
    outputs[0] = TensorInfo{true, dtype, false, Shape{}, nullptr};
    return ok_status();
  }
  outputs[0] = TensorInfo::with_shape(dtype, Shape({x.shape[0], x.shape[1], 1, 1}));
  return ok_status();
}

}  // namespace fastserve
