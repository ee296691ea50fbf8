// verify_graph: the structural invariants every later stage relies on.
//
// Run after loading and after each pass, so a pass that breaks the graph is
// caught where it happened rather than as a crash in the executor.
#include <unordered_map>

#include "fastserve/graph.h"
#include "graph/node_label.h"

namespace fastserve {

namespace {

class GraphVerifier {
 public:
  explicit GraphVerifier(const Model& model) : model_(model), g_(model.graph) {}

  Status run() {
    FS_RETURN_IF_ERROR(check_names());
    FS_RETURN_IF_ERROR(check_graph_io_ids());
    FS_RETURN_IF_ERROR(check_producers());
    FS_RETURN_IF_ERROR(check_node_inputs());
    FS_RETURN_IF_ERROR(check_outputs_defined());
    Result<std::vector<int32_t>> order = g_.topological_order();
    if (!order.ok()) return fail(order.status().message());
    return ok_status();
  }

 private:
  Status fail(const std::string& what) const { return invalid_model(model_.display_name() + ": " + what); }

  bool in_range(ValueId id) const { return id >= 0 && static_cast<size_t>(id) < g_.values.size(); }
  const Value& value(ValueId id) const { return g_.values[static_cast<size_t>(id)]; }

  // Names are how users, value_info and the ONNX writer refer to values, so
  // every referenced value needs one, and no two values may share one.
  Status check_names() {
    std::unordered_map<std::string_view, size_t> seen;
    for (size_t i = 0; i < g_.values.size(); ++i) {
      const std::string& name = g_.values[i].name;
      if (name.empty()) continue;
      auto [it, inserted] = seen.emplace(name, i);
      if (!inserted) {
        return fail("value name '" + name + "' is used by two values (#" + std::to_string(it->second) + " and #" +
                    std::to_string(i) + ")");
      }
    }
    return ok_status();
  }

  Status require_named(ValueId id, const std::string& where) const {
    if (value(id).name.empty()) return fail(where + " refers to value #" + std::to_string(id) + ", which has no name");
    return ok_status();
  }

  Status check_graph_io_ids() {
    is_input_.assign(g_.values.size(), false);
    for (ValueId id : g_.inputs) {
      if (!in_range(id)) return fail("graph input id " + std::to_string(id) + " is out of range");
      FS_RETURN_IF_ERROR(require_named(id, "a graph input"));
      if (is_input_[static_cast<size_t>(id)]) return fail("graph input '" + value(id).name + "' is listed twice");
      is_input_[static_cast<size_t>(id)] = true;
    }
    for (ValueId id : g_.outputs) {
      if (!in_range(id)) return fail("graph output id " + std::to_string(id) + " is out of range");
      FS_RETURN_IF_ERROR(require_named(id, "a graph output"));
    }
    return ok_status();
  }

  // Each value has at most one producer, and a produced value is neither a
  // graph input nor a constant (SSA form, as ONNX requires).
  Status check_producers() {
    producer_.assign(g_.values.size(), -1);
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        const ValueId id = node.outputs[k];
        if (id == kNoValue) continue;
        if (!in_range(id)) {
          return fail(node_label(node, n) + ": output " + std::to_string(k) + " has id " + std::to_string(id) +
                      ", which is out of range");
        }
        FS_RETURN_IF_ERROR(require_named(id, node_label(node, n) + " output " + std::to_string(k)));
        const Value& v = value(id);
        const int32_t prev = producer_[static_cast<size_t>(id)];
        if (prev >= 0) {
          return fail("value '" + v.name + "' is produced by both " +
                      node_label(g_.nodes[static_cast<size_t>(prev)], static_cast<size_t>(prev)) + " and " +
                      node_label(node, n));
        }
        if (is_input_[static_cast<size_t>(id)]) {
          return fail("graph input '" + v.name + "' is also produced by " + node_label(node, n));
        }
        if (v.is_constant()) return fail("initializer '" + v.name + "' is also produced by " + node_label(node, n));
        producer_[static_cast<size_t>(id)] = static_cast<int32_t>(n);
      }
    }
    return ok_status();
  }

  bool defined(ValueId id) const {
    return producer_[static_cast<size_t>(id)] >= 0 || is_input_[static_cast<size_t>(id)] || value(id).is_constant();
  }

  Status check_node_inputs() const {
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        const ValueId id = node.inputs[k];
        if (id == kNoValue) continue;  // omitted optional input
        if (!in_range(id)) {
          return fail(node_label(node, n) + ": input " + std::to_string(k) + " has id " + std::to_string(id) +
                      ", which is out of range");
        }
        FS_RETURN_IF_ERROR(require_named(id, node_label(node, n) + " input " + std::to_string(k)));
        if (!defined(id)) {
          return fail(node_label(node, n) + ": input '" + value(id).name +
                      "' is not defined (no graph input, initializer or node output has this name)");
        }
      }
    }
    return ok_status();
  }

  Status check_outputs_defined() const {
    for (ValueId id : g_.outputs) {
      if (!defined(id)) return fail("graph output '" + value(id).name + "' is not produced by any node");
    }
    return ok_status();
  }

  const Model& model_;
  const Graph& g_;
  std::vector<bool> is_input_;
  std::vector<int32_t> producer_;
};

}  // namespace

Status verify_graph(const Model& model) { return GraphVerifier(model).run(); }

}  // namespace fastserve
