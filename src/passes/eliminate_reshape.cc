// eliminate_reshape: chains of pure reshapes collapse, and reshapes that
// change nothing go.
//
//   Reshape(R(x), s) -> Reshape(x, s), where R is a Reshape, Flatten, Squeeze
//     or Unsqueeze whose output only this Reshape reads (R then goes). Every
//     one of them keeps the elements in order, so only the final shape
//     matters; but a 0 in s (allowzero unset) copies a dim of R's output,
//     which x may not have. So s is kept only when it has no 0 (or allowzero
//     is set); otherwise the rewrite needs the Reshape's output shape to be
//     fully static, and that shape becomes its new shape input.
//   Reshape / Flatten / Squeeze / Unsqueeze whose output shape is static and
//     equal to its input's is removed (its readers read the input). A removed
//     node's output may be a graph output: see bypass_node (graph_edit.h).
#include <string>
#include <vector>

#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

constexpr int64_t kAllowZeroOpset = 14;

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Reshape, Flatten, Squeeze, Unsqueeze: the output holds the input's
// elements in the same order.
bool is_pure_reshape(const Node& n) {
  if (!default_domain(n) || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.size() != 1 ||
      n.outputs[0] == kNoValue) {
    return false;
  }
  return n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze";
}

bool is_reshape(const Node& n) { return is_pure_reshape(n) && n.op_type == "Reshape" && n.inputs.size() == 2; }

bool static_shape(const Value& v) { return v.shape_known && v.shape.is_static(); }

// Whether the constant shape input of Reshape `n` can be read against any
// input of the same number of elements: no 0 that copies an input dim.
bool shape_reads_no_input_dim(const Model& model, const Graph& g, const Node& n) {
  const Tensor* s = constant_input(g, n, 1);
  if (s == nullptr) return false;
  const Attribute* allow = n.attr("allowzero");
  if (model.opset() >= kAllowZeroOpset && allow != nullptr && allow->i != 0) return true;
  Result<std::vector<int64_t>> dims = s->to_int64_vector();
  if (!dims.ok()) return false;
  for (int64_t d : *dims) {
    if (d == 0) return false;
  }
  return true;
}

}  // namespace

Status eliminate_reshape(Model& model, PassContext& ctx) {
  Graph& g = model.graph;
  g.reindex();  // Value::producer is read below
  const std::vector<std::vector<int32_t>> consumers = consumers_of(g);
  const std::vector<bool> is_output = graph_output_flags(g);
  const std::vector<bool> is_input = graph_input_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any_removed = false;

  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (!is_pure_reshape(g.nodes[n])) continue;

    // Reshape of a reshape read by nobody else: read the original input.
    if (is_reshape(g.nodes[n])) {
      const ValueId mid = g.nodes[n].inputs[0];
      const int32_t p = g.values[static_cast<size_t>(mid)].producer;
      // sole_consumer counts slots in the graph as it was; the rewrites
      // below only ever drop readers, so a sole reader stays one.
      if (p >= 0 && !removed[static_cast<size_t>(p)] && is_pure_reshape(g.nodes[static_cast<size_t>(p)]) &&
          sole_consumer(consumers, is_output, mid) == static_cast<int32_t>(n)) {
        const Value& out = g.values[static_cast<size_t>(g.nodes[n].outputs[0])];
        bool ok = shape_reads_no_input_dim(model, g, g.nodes[n]);
        if (!ok && static_shape(out)) {
          // Spell the output shape out: nothing left to copy from the input.
          // (Copies first: add_initializer grows g.values, which `out` points into.)
          const std::string base = g.nodes[n].name.empty() ? out.name : g.nodes[n].name;
          Tensor dims = Tensor::from_vector<int64_t>(out.shape.dims());
          const ValueId shape = add_initializer(g, base + "_shape", std::move(dims));
          g.nodes[n].inputs[1] = shape;
          ok = true;
        }
        if (ok) {
          const std::string inner_op = g.nodes[static_cast<size_t>(p)].op_type;
          g.nodes[n].inputs[0] = g.nodes[static_cast<size_t>(p)].inputs[0];
          removed[static_cast<size_t>(p)] = true;
          any_removed = true;
          ctx.note_rewrite({inner_op, "Reshape"});
        }
      }
    }

    // A reshape to the shape its input already has.
    const Node& node = g.nodes[n];
    const Value& in = g.values[static_cast<size_t>(node.inputs[0])];
    const Value& out = g.values[static_cast<size_t>(node.outputs[0])];
    if (static_shape(in) && static_shape(out) && in.shape == out.shape) {
      const std::string op = node.op_type;
      if (bypass_node(g, n, removed, is_output, is_input)) {
        any_removed = true;
        ctx.note_rewrite({op});
      }
    }
  }
  if (any_removed) remove_nodes(g, removed);
  return ok_status();
}

}  // namespace fastserve
