// eliminate_identity: removes nodes whose output 0 equals their input 0 at
// inference: Identity, Dropout (ONNX Dropout-12 §: with training_mode false
// the output is the input; only when nothing reads its mask output), and Cast
// to the type the input already has.
//
// The node's consumers read its input instead. When the output is a graph
// output its name must survive, so instead the node producing the input is
// made to produce the output directly (and the input's other readers read the
// output); that is impossible when the input is a graph input, a constant or
// itself a graph output, and the node then stays.
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Dropout is a pass-through when training_mode (input 2, opset 12+) is
// absent or a constant false and no one reads the mask (output 1).
bool dropout_passes_through(const Graph& g, const Node& n, const std::vector<int32_t>& uses) {
  for (size_t k = 1; k < n.outputs.size(); ++k) {
    if (n.outputs[k] != kNoValue && uses[static_cast<size_t>(n.outputs[k])] > 0) return false;
  }
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* training = constant_input(g, n, 2);
    if (training == nullptr || training->numel() != 1 || training->element_as_int64(0) != 0) return false;
  }
  return true;
}

bool is_pass_through(const Graph& g, const Node& n, const std::vector<int32_t>& uses) {
  if (!default_domain(n) || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.empty() ||
      n.outputs[0] == kNoValue) {
    return false;
  }
  if (n.op_type == "Identity") return n.outputs.size() == 1;
  if (n.op_type == "Dropout") return dropout_passes_through(g, n, uses);
  if (n.op_type == "Cast") {
    const Attribute* to = n.attr("to");
    const DType in = g.values[static_cast<size_t>(n.inputs[0])].dtype;
    return to != nullptr && to->kind == Attribute::Kind::kInt && to->i > 0 && to->i <= 64 && in != DType::kUndefined &&
           dtype_from_onnx(static_cast<int32_t>(to->i)) == in && n.outputs.size() == 1;
  }
  return false;
}

}  // namespace

Status eliminate_identity(Model& model, PassContext& ctx) {
  Graph& g = model.graph;
  g.reindex();  // Value::producer is read below
  const std::vector<int32_t> uses = g.use_counts();
  const std::vector<bool> is_output = graph_output_flags(g);
  const std::vector<bool> is_input = graph_input_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any = false;

  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    if (!is_pass_through(g, node, uses)) continue;
    if (!bypass_node(g, n, removed, is_output, is_input)) continue;
    any = true;
    ctx.note_rewrite({op_key(g.nodes[n])});
  }
  if (any) remove_nodes(g, removed);
  return ok_status();
}

}  // namespace fastserve
