// Graph IR bookkeeping: the name index, producers, topological order.
#include "fastserve/graph.h"

#include <functional>
#include <queue>

#include "graph/node_label.h"

namespace fastserve {

std::string node_label(const Node& node, size_t index) {
  if (node.name.empty()) return "node #" + std::to_string(index) + " (" + node.op_type + ")";
  return "node '" + node.name + "' (" + node.op_type + ")";
}

const Attribute* Node::attr(std::string_view attr_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

ValueId Graph::find_value(std::string_view value_name) const {
  if (value_name.empty()) return kNoValue;
  auto it = index_.find(value_name);
  if (it != index_.end() && static_cast<size_t>(it->second) < values.size() &&
      values[static_cast<size_t>(it->second)].name == value_name) {
    return it->second;
  }
  // The index is stale when a pass edited `values` directly: fall back to a scan
  // rather than answer wrongly (reindex() makes it fast again).
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == value_name) return static_cast<ValueId>(i);
  }
  return kNoValue;
}

ValueId Graph::add_value(Value v) {
  FS_CHECK_MSG(v.name.empty() || find_value(v.name) == kNoValue, "add_value: duplicate value name");
  const auto id = static_cast<ValueId>(values.size());
  if (!v.name.empty()) index_[v.name] = id;
  values.push_back(std::move(v));
  return id;
}

void Graph::reindex() {
  index_.clear();
  for (size_t i = 0; i < values.size(); ++i) {
    values[i].producer = -1;
    if (!values[i].name.empty()) index_.emplace(values[i].name, static_cast<ValueId>(i));  // first wins
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (ValueId out : nodes[n].outputs) {
      if (out >= 0 && static_cast<size_t>(out) < values.size()) {
        values[static_cast<size_t>(out)].producer = static_cast<int32_t>(n);
      }
    }
  }
}

Result<std::vector<int32_t>> Graph::topological_order() const {
  // Kahn's algorithm with a min-heap of ready node indices: among the nodes
  // that are ready, the earliest in file order runs first, so an already
  // sorted graph keeps its order exactly.
  const size_t num_nodes = nodes.size();
  std::vector<int32_t> producer(values.size(), -1);
  for (size_t n = 0; n < num_nodes; ++n) {
    for (ValueId out : nodes[n].outputs) {
      if (out >= 0 && static_cast<size_t>(out) < values.size() && producer[static_cast<size_t>(out)] < 0) {
        producer[static_cast<size_t>(out)] = static_cast<int32_t>(n);
      }
    }
  }
  std::vector<bool> is_input(values.size(), false);
  for (ValueId id : inputs) {
    if (id >= 0 && static_cast<size_t>(id) < values.size()) is_input[static_cast<size_t>(id)] = true;
  }

  std::vector<int32_t> pending(num_nodes, 0);          // unfinished producer edges per node
  std::vector<std::vector<int32_t>> consumers(num_nodes);  // one entry per consuming input slot
  for (size_t n = 0; n < num_nodes; ++n) {
    for (ValueId in : nodes[n].inputs) {
      if (in == kNoValue) continue;
      if (in < 0 || static_cast<size_t>(in) >= values.size()) {
        return invalid_model(node_label(nodes[n], n) + ": input id " + std::to_string(in) + " is out of range");
      }
      const int32_t p = producer[static_cast<size_t>(in)];
      if (p < 0) {
        const Value& v = values[static_cast<size_t>(in)];
        if (!v.is_constant() && !is_input[static_cast<size_t>(in)]) {
          return invalid_model("value '" + v.name + "' used by " + node_label(nodes[n], n) +
                               " is never defined (no graph input, initializer or node output)");
        }
        continue;
      }
      ++pending[n];
      consumers[static_cast<size_t>(p)].push_back(static_cast<int32_t>(n));
    }
  }

  std::priority_queue<int32_t, std::vector<int32_t>, std::greater<>> ready;
  for (size_t n = 0; n < num_nodes; ++n) {
    if (pending[n] == 0) ready.push(static_cast<int32_t>(n));
  }
  std::vector<int32_t> order;
  order.reserve(num_nodes);
  while (!ready.empty()) {
    const int32_t n = ready.top();
    ready.pop();
    order.push_back(n);
    for (int32_t c : consumers[static_cast<size_t>(n)]) {
      if (--pending[static_cast<size_t>(c)] == 0) ready.push(c);
    }
  }
  if (order.size() == num_nodes) return order;

  // Some nodes never became ready. Every one of them waits on an unfinished
  // producer, so walking producers backwards from any of them must revisit a
  // node: that node lies on a cycle (nodes merely downstream of it do not).
  size_t start = 0;
  while (pending[start] == 0) ++start;
  std::vector<bool> visited(num_nodes, false);
  size_t cur = start;
  std::string via;
  while (!visited[cur]) {
    visited[cur] = true;
    for (ValueId in : nodes[cur].inputs) {
      if (in == kNoValue) continue;
      const int32_t p = producer[static_cast<size_t>(in)];
      if (p >= 0 && pending[static_cast<size_t>(p)] > 0) {
        cur = static_cast<size_t>(p);
        via = values[static_cast<size_t>(in)].name;
        break;
      }
    }
  }
  return invalid_model("graph has a cycle through " + node_label(nodes[cur], cur) + " (via its output '" + via + "')");
}

Status Graph::sort_topologically() {
  FS_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order());
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (int32_t n : order) sorted.push_back(std::move(nodes[static_cast<size_t>(n)]));
  nodes = std::move(sorted);
  reindex();
  return ok_status();
}

std::vector<int32_t> Graph::use_counts() const {
  std::vector<int32_t> counts(values.size(), 0);
  for (const Node& n : nodes) {
    for (ValueId in : n.inputs) {
      if (in >= 0 && static_cast<size_t>(in) < values.size()) ++counts[static_cast<size_t>(in)];
    }
  }
  for (ValueId out : outputs) {
    if (out >= 0 && static_cast<size_t>(out) < values.size()) ++counts[static_cast<size_t>(out)];
  }
  return counts;
}

int64_t Model::opset(std::string_view domain) const {
  // "ai.onnx" and "" both mean the default domain; accept either spelling in the map.
  const bool default_domain = domain.empty() || domain == "ai.onnx";
  for (const auto& [d, version] : opsets) {
    if (d == domain || (default_domain && (d.empty() || d == "ai.onnx"))) return version;
  }
  return 0;  // domain not imported
}

std::string Model::display_name() const { return path.empty() ? std::string("<memory>") : path; }

}  // namespace fastserve
