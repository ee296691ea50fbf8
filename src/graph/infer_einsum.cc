// Shape and dtype inference for Einsum (opset 12): the output dims are the
// sizes of the output labels (graph/einsum_equation.h). With an input of
// unknown rank the ellipsis width is unknown, so the output's rank is too.
#include <string>

#include "graph/einsum_equation.h"
#include "graph/op_schema.h"

namespace fastserve {

Status infer_einsum(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_attr("equation")) {
    return node.error(StatusCode::kInvalidArgument, "attribute equation is required");
  }
  if (node.num_inputs() == 0) return node.error(StatusCode::kInvalidArgument, "Einsum needs at least one input");
  const std::string equation = node.attr_string("equation", "");
  std::vector<size_t> ranks;
  std::vector<Shape> shapes;
  bool ranks_known = true;
  for (size_t i = 0; i < node.num_inputs(); ++i) {
    if (!node.has_input(i)) return node.error(StatusCode::kInvalidArgument, "input " + std::to_string(i) + " is missing");
    if (node.input_dtype(i) != node.input_dtype(0)) {
      return node.error(StatusCode::kInvalidArgument, "input " + std::to_string(i) + " is " +
                                                          dtype_name(node.input_dtype(i)) + ", input 0 is " +
                                                          dtype_name(node.input_dtype(0)));
    }
    ranks_known = ranks_known && node.input(i).shape_known;
    ranks.push_back(node.input(i).shape.rank());
    shapes.push_back(node.input(i).shape);
  }
  outputs[0].dtype = node.input_dtype(0);
  outputs[0].shape_known = false;
  outputs[0].shape = Shape();
  if (!ranks_known) return ok_status();
  Result<EinsumPlan> plan = parse_einsum(equation, ranks);
  if (!plan.ok()) return node.error(StatusCode::kInvalidArgument, "equation: " + plan.status().message());
  Result<std::vector<int64_t>> sizes = einsum_label_sizes(*plan, shapes);
  if (!sizes.ok()) return node.error(StatusCode::kInvalidArgument, "equation '" + equation + "': " + sizes.status().message());
  std::vector<int64_t> dims;
  for (int l : plan->output) dims.push_back((*sizes)[static_cast<size_t>(l)]);
  outputs[0].shape_known = true;
  outputs[0].shape = Shape(std::move(dims));
  return ok_status();
}

}  // namespace fastserve
