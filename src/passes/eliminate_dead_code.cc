// eliminate_dead_code: removes nodes none of whose outputs is read by a node
// or listed as a graph output, then the values nothing refers to any more
// (unused initializers, including weights a fusion replaced, and orphaned
// intermediates). Graph inputs stay even when unused: callers still feed them.
//
// No ONNX op in the inference subset has side effects, so an unread node can
// always go.
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {

Status eliminate_dead_code(Model& model, PassContext& ctx) {
  Graph& g = model.graph;
  std::vector<int32_t> uses = g.use_counts();
  std::vector<bool> removed(g.nodes.size(), false);
  bool any = false;
  // Nodes are in execution order (run_passes sorts them), so walking
  // backwards sees a node's readers before the node and removes a whole dead
  // chain in one sweep; the loop only repeats for graphs that are not sorted.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t n = g.nodes.size(); n-- > 0;) {
      if (removed[n]) continue;
      const Node& node = g.nodes[n];
      bool live = false;
      for (ValueId out : node.outputs) live = live || (out != kNoValue && uses[static_cast<size_t>(out)] > 0);
      if (live) continue;
      removed[n] = true;
      changed = any = true;
      for (ValueId in : node.inputs) {
        if (in != kNoValue) --uses[static_cast<size_t>(in)];
      }
      ctx.note_rewrite({op_key(node)});
    }
  }
  if (any) remove_nodes(g, removed);

  // Dropped initializers count as rewrites: they are what the report shows
  // for this pass after a fusion (the replaced weights).
  const int64_t initializers = count_initializers(g);
  drop_unreferenced_values(g);
  ctx.rewrites += initializers - count_initializers(g);
  return ok_status();
}

}  // namespace fastserve
