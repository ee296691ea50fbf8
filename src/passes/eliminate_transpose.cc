// eliminate_transpose: Transpose(Transpose(x, p1), p2) becomes one
// Transpose(x, c) with c[j] = p1[p2[j]] (output dim j is input dim p2[j] of
// the inner result, which is dim p1[p2[j]] of x); a Transpose whose perm is
// the identity (given or composed) is removed. Exporters leave such pairs
// around layout changes (NCHW <-> NHWC on either side of a TF op, or
// torch's permute/permute back), and each one is a full copy at run time.
//
// The inner Transpose stays while something else reads its output
// (eliminate_dead_code drops it once nothing does). A removed node's output
// may be a graph output: see bypass_node (graph_edit.h) for how its name
// survives. A perm that is not a permutation of the input's dims is left for
// shape inference and the kernel to report.
#include <optional>
#include <vector>

#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

bool is_transpose(const Node& n) {
  return (n.domain.empty() || n.domain == "ai.onnx") && n.op_type == "Transpose" && n.inputs.size() == 1 &&
         n.inputs[0] != kNoValue && n.outputs.size() == 1 && n.outputs[0] != kNoValue;
}

// The node's perm: its attribute, or the reversed dims when absent (needs
// the input's rank). nullopt when unknown or not a permutation.
std::optional<std::vector<int64_t>> perm_of(const Graph& g, const Node& n) {
  std::vector<int64_t> perm;
  const Value& in = g.values[static_cast<size_t>(n.inputs[0])];
  if (const Attribute* a = n.attr("perm"); a != nullptr) {
    if (a->kind != Attribute::Kind::kInts) return std::nullopt;
    perm = a->ints;
  } else {
    if (!in.shape_known) return std::nullopt;
    for (size_t d = in.shape.rank(); d-- > 0;) perm.push_back(static_cast<int64_t>(d));
  }
  if (in.shape_known && perm.size() != in.shape.rank()) return std::nullopt;
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[static_cast<size_t>(p)]) return std::nullopt;
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

void set_perm(Node& n, std::vector<int64_t> perm) {
  for (Attribute& a : n.attributes) {
    if (a.name == "perm") {
      a.kind = Attribute::Kind::kInts;
      a.ints = std::move(perm);
      return;
    }
  }
  Attribute a;
  a.name = "perm";
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(perm);
  n.attributes.push_back(std::move(a));
}

}  // namespace

Status eliminate_transpose(Model& model, PassContext& ctx) {
  Graph& g = model.graph;
  g.reindex();  // Value::producer is read below
  const std::vector<bool> is_output = graph_output_flags(g);
  const std::vector<bool> is_input = graph_input_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any_removed = false;

  // In graph order, so a chain of three folds into one: the second has
  // already been rewritten to read x when the third looks at it.
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (!is_transpose(g.nodes[n])) continue;
    std::optional<std::vector<int64_t>> perm = perm_of(g, g.nodes[n]);
    if (!perm) continue;
    bool composed = false;
    const int32_t p = g.values[static_cast<size_t>(g.nodes[n].inputs[0])].producer;
    if (p >= 0 && !removed[static_cast<size_t>(p)] && is_transpose(g.nodes[static_cast<size_t>(p)])) {
      const Node& inner = g.nodes[static_cast<size_t>(p)];
      std::optional<std::vector<int64_t>> inner_perm = perm_of(g, inner);
      if (inner_perm && inner_perm->size() == perm->size()) {
        std::vector<int64_t> c(perm->size());
        for (size_t j = 0; j < c.size(); ++j) c[j] = (*inner_perm)[static_cast<size_t>((*perm)[j])];
        g.nodes[n].inputs[0] = inner.inputs[0];
        *perm = c;
        set_perm(g.nodes[n], std::move(c));
        composed = true;
      }
    }
    if (is_identity(*perm) && bypass_node(g, n, removed, is_output, is_input)) {
      any_removed = true;
      ctx.note_rewrite({"Transpose"});
    } else if (composed) {
      ctx.note_rewrite({"Transpose"});
    }
  }
  if (any_removed) remove_nodes(g, removed);
  return ok_status();
}

}  // namespace fastserve
