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
#include "passes/fuser.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {

namespace {

class AddActivationFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  void try_fuse(size_t i) override {
    const Node& add = g_.nodes[i];
    if (!is_default_domain(add) || add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) return;
    for (ValueId id : {add.inputs[0], add.inputs[1], add.outputs[0]}) {
      if (id == kNoValue || value(id).dtype != DType::kF32) return;
    }
    const int32_t r = reader_of(add.outputs[0]);
    if (r < 0) return;
    const Node& act_node = g_.nodes[static_cast<size_t>(r)];
    if (act_node.inputs.empty() || act_node.inputs[0] != add.outputs[0] || act_node.outputs.size() != 1) return;
    const std::optional<ActivationAttrs> act = match_fused_activation(model_, act_node, /*allow_gelu=*/true);
    if (!act) return;
    Node fused;
    fused.name = act_node.name.empty() ? add.name : act_node.name;
    fused.op_type = "FusedAdd";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = add.inputs;
    fused.outputs = act_node.outputs;
    add_activation_attributes(fused, *act);
    install({op_key(add), op_key(act_node)}, {i, static_cast<size_t>(r)}, static_cast<size_t>(r), std::move(fused));
  }
};

}  // namespace

Status fuse_add_activation(Model& model, PassContext& ctx) { return AddActivationFuser(model, ctx).run(); }

}  // namespace fastserve
