// fuse_add_activation: Add -> activation becomes one fastserve.FusedAdd
// (graph/ops_fastserve.def): Y = act(A + B), numpy broadcasting as Add.
//
// Matched from each float32 Add (default domain, two float32 inputs) whose
// sum is read by one activation node alone, as its input 0, and is not a
// graph output: those FusedConv takes (passes/match_activation.h) and Gelu.
// It runs after fuse_conv_activation and fuse_matmul_bias, which fold an Add
// that follows a Conv (residual) or a MatMul (bias) into those ops first.
// What it saves: one pass over the sum; the activation runs on each row
// block of it while that is still in L1. The fused node takes the place and
// name of the activation.
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {

Status fuse_add_activation(Model& model, PassContext& ctx) {
  auto imported = model.opsets.find(std::string(kFastServeDomain));
  if (imported != model.opsets.end() && imported->second != kFusedOpsetVersion) return ok_status();
  Graph& g = model.graph;
  const std::vector<std::vector<int32_t>> consumers = consumers_of(g);
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (removed[i] || !is_default_domain(add) || add.op_type != "Add" || add.inputs.size() != 2 ||
        add.outputs.size() != 1) {
      continue;
    }
    bool f32 = true;
    for (ValueId id : {add.inputs[0], add.inputs[1], add.outputs[0]}) {
      f32 = f32 && id != kNoValue && g.values[static_cast<size_t>(id)].dtype == DType::kF32;
    }
    if (!f32) continue;
    const int32_t r = sole_consumer(consumers, is_output, add.outputs[0]);
    if (r < 0 || removed[static_cast<size_t>(r)]) continue;
    const Node& act_node = g.nodes[static_cast<size_t>(r)];
    if (act_node.inputs.empty() || act_node.inputs[0] != add.outputs[0] || act_node.outputs.size() != 1) continue;
    const std::optional<ActivationAttrs> act = match_fused_activation(model, act_node, /*allow_gelu=*/true);
    if (!act) continue;
    Node fused;
    fused.name = act_node.name.empty() ? add.name : act_node.name;
    fused.op_type = "FusedAdd";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = add.inputs;
    fused.outputs = act_node.outputs;
    add_activation_attributes(fused, *act);
    const std::vector<std::string> ops = {op_key(add), op_key(act_node),
                                          install_fused_node(g, removed, {i, static_cast<size_t>(r)},
                                                             static_cast<size_t>(r), std::move(fused))};
    any = true;
    ctx.note_rewrite(ops);
  }
  if (any) {
    model.opsets[std::string(kFastServeDomain)] = kFusedOpsetVersion;
    remove_nodes(g, removed);
  }
  return ok_status();
}

}  // namespace fastserve
