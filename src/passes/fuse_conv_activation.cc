// fuse_conv_activation: Conv [-> Add (residual)] [-> activation] becomes one
// fastserve.FusedConv (graph/ops_fastserve.def): Y = act(Conv(X, W) + B + Z).
//
// The chain is matched from each float32 Conv:
//   * Add: the Conv's output is read by an Add alone, and the Add's other
//     operand (either order) has exactly the Conv output's shape, static
//     but for a dynamic batch dim in both (no broadcasting: FusedConv adds
//     Z element for element). It becomes Z.
//   * then an activation the Add's (or Conv's) output alone feeds: Relu,
//     Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, with its
//     parameters from attributes (or, for Clip from opset 11, from constant
//     min/max inputs; a missing bound is the float limit).
// Fusing saves a pass over the output per fused node (the kernel applies Z
// and the activation while the tile is in registers) and the intermediate
// tensors.
//
// The fused node takes the place and the name of the last node it replaces
// and writes that node's output value, so graph outputs keep their names and
// the node order stays topological. The model imports {"fastserve": 1}.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "graph/fused_activation.h"
#include "graph/op_schema.h"
#include "passes/fuser.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

bool is_f32(const Value& v) { return v.dtype == DType::kF32; }

// Equal shapes, with one allowance: dim 0 (the batch) may be unknown in both,
// as in every model exported with a dynamic batch, where the two operands of
// a residual Add both carry the input's batch. Every other dim must be known
// and equal. Should the batches differ at run time anyway (an Add that
// broadcasts over the batch), FusedConv's shape check stops the run with an
// error naming the node instead of computing something else.
bool same_shape_up_to_batch(const Value& a, const Value& b) {
  if (!a.shape_known || !b.shape_known || a.shape.rank() != b.shape.rank() || a.shape.rank() == 0) return false;
  for (size_t i = 0; i < a.shape.rank(); ++i) {
    const bool both_unknown_batch = i == 0 && a.shape[i] == kUnknownDim && b.shape[i] == kUnknownDim;
    if (both_unknown_batch) continue;
    if (a.shape[i] == kUnknownDim || a.shape[i] != b.shape[i]) return false;
  }
  return true;
}

class ConvFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  // The Add's other operand when `add` adds `cur` to a value of cur's exact
  // static shape; kNoValue otherwise.
  ValueId residual_operand(const Node& add, ValueId cur) const {
    if (!is_default_domain(add) || add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) {
      return kNoValue;
    }
    const ValueId other = add.inputs[0] == cur ? add.inputs[1] : add.inputs[0];
    if (other == kNoValue || other == cur || (add.inputs[0] != cur && add.inputs[1] != cur)) return kNoValue;
    const Value& c = value(cur);
    const Value& z = value(other);
    if (!is_f32(z) || !same_shape_up_to_batch(c, z)) return kNoValue;
    return other;
  }

  void try_fuse(size_t n) override {
    const Node& conv = g_.nodes[n];
    if (!is_default_domain(conv) || conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.inputs.size() < 2 ||
        !is_f32(value(conv.outputs[0]))) {
      return;
    }
    std::vector<size_t> chain = {n};  // nodes replaced, in order
    std::vector<std::string> ops = {op_key(conv)};
    ValueId cur = conv.outputs[0];
    ValueId z = kNoValue;
    int32_t r = reader_of(cur);
    if (r >= 0) {
      const Node& add = g_.nodes[static_cast<size_t>(r)];
      z = residual_operand(add, cur);
      if (z != kNoValue) {
        chain.push_back(static_cast<size_t>(r));
        ops.push_back(op_key(add));
        cur = add.outputs[0];
        r = reader_of(cur);
      }
    }
    std::optional<ActivationAttrs> act;
    if (r >= 0 && g_.nodes[static_cast<size_t>(r)].inputs[0] == cur) {
      act = match_fused_activation(model_, g_.nodes[static_cast<size_t>(r)]);
      if (act) {
        chain.push_back(static_cast<size_t>(r));
        ops.push_back(op_key(g_.nodes[static_cast<size_t>(r)]));
        cur = g_.nodes[static_cast<size_t>(r)].outputs[0];
      }
    }
    if (chain.size() == 1) return;

    const size_t last = chain.back();
    Node fused;
    fused.name = g_.nodes[last].name.empty() ? conv.name : g_.nodes[last].name;
    fused.op_type = "FusedConv";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = {conv.inputs[0], conv.inputs[1], conv.inputs.size() > 2 ? conv.inputs[2] : kNoValue};
    if (z != kNoValue) fused.inputs.push_back(z);
    while (fused.inputs.size() > 2 && fused.inputs.back() == kNoValue) fused.inputs.pop_back();
    fused.outputs = {cur};
    fused.attributes = conv.attributes;
    if (act) add_activation_attributes(fused, *act);
    install(std::move(ops), chain, last, std::move(fused));
  }
};

}  // namespace

Status fuse_conv_activation(Model& model, PassContext& ctx) { return ConvFuser(model, ctx).run(); }

}  // namespace fastserve
