// infer_graph_shapes: runs each op's infer function over the graph in
// topological order and merges the results into the Values.
//
// What the model declares (graph outputs, value_info) is kept where it is
// more specific than what inference derives (e.g. a symbolic batch dim the
// infer function cannot know); a definite clash between the two — a static
// dim or a dtype that differs — means the model is inconsistent and is an
// error naming the node and the value. No constant folding happens here:
// TensorInfo::value is set only for initializers and for the outputs of
// Constant nodes (literal data: a Pad's pads or a Reshape's shape that an
// exporter wrote as a Constant node is as known as an initializer).
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "graph/node_label.h"
#include "graph/op_schema.h"
#include "graph/shape_op_params.h"

namespace fastserve {

namespace {

TensorInfo info_of(const Value& v) {
  if (v.is_constant()) return TensorInfo::of(v.initializer);
  TensorInfo t;
  t.present = true;
  t.dtype = v.dtype;
  t.shape_known = v.shape_known;
  if (v.shape_known) t.shape = v.shape;
  return t;
}

// Merges inferred info into the value; `where` names the node for errors.
Status merge_into(const TensorInfo& inferred, Value& v, const std::string& where) {
  if (inferred.dtype != DType::kUndefined) {
    if (v.dtype != DType::kUndefined && v.dtype != inferred.dtype) {
      return invalid_model(where + ": output '" + v.name + "' is declared " + dtype_name(v.dtype) +
                           " but the op produces " + dtype_name(inferred.dtype));
    }
    v.dtype = inferred.dtype;
  }
  if (!inferred.shape_known) return ok_status();
  if (!v.shape_known) {
    v.shape_known = true;
    v.shape = inferred.shape;
    if (v.dim_params.size() != v.shape.rank()) v.dim_params.clear();
    return ok_status();
  }
  if (v.shape.rank() != inferred.shape.rank()) {
    return invalid_model(where + ": output '" + v.name + "' is declared with shape " + v.shape.to_string() +
                         " but the op produces rank " + std::to_string(inferred.shape.rank()) + " " +
                         inferred.shape.to_string());
  }
  for (size_t i = 0; i < v.shape.rank(); ++i) {
    const int64_t declared = v.shape[i];
    const int64_t derived = inferred.shape[i];
    if (declared >= 0 && derived >= 0 && declared != derived) {
      return invalid_model(where + ": output '" + v.name + "' is declared with shape " + v.shape.to_string() +
                           " but the op produces " + inferred.shape.to_string() + " (dim " +
                           std::to_string(i) + ")");
    }
    if (declared < 0) v.shape[i] = derived;  // keep whichever is known
  }
  return ok_status();
}

}  // namespace

Status infer_graph_shapes(Model& model) {
  const std::string display = model.display_name();
  Graph& g = model.graph;
  Result<std::vector<int32_t>> order = g.topological_order();
  if (!order.ok()) return order.status().with_context(display);

  std::vector<TensorInfo> ins, outs;
  // Data of the Constant nodes' outputs, by ValueId (undefined elsewhere).
  std::vector<Tensor> constant_outputs(g.values.size());
  for (int32_t index : order.value()) {
    const Node& node = g.nodes[static_cast<size_t>(index)];
    const OpSchema* schema = find_op_schema(node.op_type, node.domain);
    if (schema == nullptr) continue;  // unknown op: outputs keep what the model declares

    ins.clear();
    for (ValueId id : node.inputs) {
      if (id == kNoValue) {
        ins.push_back(TensorInfo{});
      } else if (constant_outputs[static_cast<size_t>(id)].defined()) {
        ins.push_back(TensorInfo::of(constant_outputs[static_cast<size_t>(id)]));
      } else {
        ins.push_back(info_of(g.values[static_cast<size_t>(id)]));
      }
    }
    outs.assign(node.outputs.size(), TensorInfo{});
    for (size_t k = 0; k < node.outputs.size(); ++k) outs[k].present = node.outputs[k] != kNoValue;

    const std::string_view domain =
        node.domain == "ai.onnx" ? std::string_view() : std::string_view(node.domain);
    const NodeView view(node.name, node.op_type, domain, model.opset(domain), &node.attributes, ins, outs);
    const std::string label = node_label(node, static_cast<size_t>(index));
    Status st = schema->infer(view, outs);
    if (!st.ok()) {
      // Infer functions name the node through node.error(); add it when one did not.
      if (st.message().find(view.describe()) == std::string::npos) st = st.with_context(label);
      return st.with_context(display);
    }
    FS_CHECK_MSG(outs.size() == node.outputs.size(), "infer function resized its outputs");
    if (node.op_type == "Constant" && domain.empty() && node.outputs.size() == 1 &&
        node.outputs[0] != kNoValue) {
      Result<Tensor> value = resolve_constant(view);
      if (value.ok()) constant_outputs[static_cast<size_t>(node.outputs[0])] = std::move(value).value();
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const ValueId id = node.outputs[k];
      if (id == kNoValue) continue;
      FS_RETURN_IF_ERROR(merge_into(outs[k], g.values[static_cast<size_t>(id)], label).with_context(display));
    }
  }
  return ok_status();
}

}  // namespace fastserve
