#include "prune/parameter_copies.h"

#include "passes/graph_edit.h"

namespace fastserve::prune {

ParameterCopies make_parameter_copies(Graph& g) {
  ParameterCopies out;
  const std::vector<int32_t> uses = g.use_counts();
  const std::vector<bool> is_input = graph_input_flags(g);
  // The initializer an Identity node passes on, per output value.
  std::vector<ValueId> identity_of(g.values.size(), kNoValue);
  for (const Node& n : g.nodes) {
    if (n.op_type != "Identity" || !n.domain.empty() || n.inputs.size() != 1 || n.outputs.size() != 1)
      continue;
    const ValueId src = n.inputs[0];
    if (src != kNoValue && g.values[static_cast<size_t>(src)].is_constant() &&
        !is_input[static_cast<size_t>(src)]) {
      identity_of[static_cast<size_t>(n.outputs[0])] = src;
    }
  }
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    if (g.nodes[ni].op_type == "Identity") continue;
    for (size_t i = 0; i < g.nodes[ni].inputs.size(); ++i) {
      const ValueId v = g.nodes[ni].inputs[i];
      if (v == kNoValue || static_cast<size_t>(v) >= identity_of.size()) continue;
      ValueId original = identity_of[static_cast<size_t>(v)];
      if (original == kNoValue) {
        const Value& val = g.values[static_cast<size_t>(v)];
        if (!val.is_constant() || is_input[static_cast<size_t>(v)] || uses[static_cast<size_t>(v)] < 2)
          continue;
        original = v;
      }
      if (g.values[static_cast<size_t>(original)].initializer.dtype() != DType::kF32) continue;
      // add_initializer may move g.values: copy the name and tensor first.
      const std::string name = g.values[static_cast<size_t>(original)].name;
      Tensor data = g.values[static_cast<size_t>(original)].initializer;
      const ValueId copy = add_initializer(g, name, std::move(data));
      g.nodes[ni].inputs[i] = copy;
      out.uses.push_back({ni, i, copy, original});
    }
  }
  return out;
}

void restore_unchanged_copies(Graph& g, const ParameterCopies& copies) {
  for (const ParameterCopies::Use& u : copies.uses) {
    const Tensor& c = g.values[static_cast<size_t>(u.copy)].initializer;
    const Tensor& o = g.values[static_cast<size_t>(u.original)].initializer;
    if (c.raw_data() == o.raw_data() && c.shape() == o.shape()) g.nodes[u.node].inputs[u.input] = u.original;
  }
  const std::vector<int32_t> uses = g.use_counts();
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any = false;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    const Node& n = g.nodes[ni];
    if (n.op_type != "Identity" || n.outputs.size() != 1 || n.outputs[0] == kNoValue) continue;
    const size_t o = static_cast<size_t>(n.outputs[0]);
    if (uses[o] == 0 && !is_output[o]) removed[ni] = any = true;
  }
  if (any) remove_nodes(g, removed);
  drop_unreferenced_values(g);
}

}  // namespace fastserve::prune
