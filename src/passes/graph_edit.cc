// Shared graph edits for the passes (see graph_edit.h).
#include "passes/graph_edit.h"

#include <utility>

namespace fastserve {

std::string op_key(const Node& node) {
  if (node.domain.empty() || node.domain == "ai.onnx") return node.op_type;
  return node.domain + "." + node.op_type;
}

std::map<std::string, int64_t> op_histogram(const Graph& g) {
  std::map<std::string, int64_t> counts;
  for (const Node& n : g.nodes) ++counts[op_key(n)];
  return counts;
}

int64_t count_initializers(const Graph& g) {
  int64_t n = 0;
  for (const Value& v : g.values) n += v.is_constant() ? 1 : 0;
  return n;
}

std::vector<std::vector<int32_t>> consumers_of(const Graph& g) {
  std::vector<std::vector<int32_t>> out(g.values.size());
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    for (ValueId in : g.nodes[n].inputs) {
      if (in != kNoValue) out[static_cast<size_t>(in)].push_back(static_cast<int32_t>(n));
    }
  }
  return out;
}

std::vector<bool> graph_output_flags(const Graph& g) {
  std::vector<bool> flags(g.values.size(), false);
  for (ValueId id : g.outputs) flags[static_cast<size_t>(id)] = true;
  return flags;
}

std::vector<bool> graph_input_flags(const Graph& g) {
  std::vector<bool> flags(g.values.size(), false);
  for (ValueId id : g.inputs) flags[static_cast<size_t>(id)] = true;
  return flags;
}

int32_t sole_consumer(const std::vector<std::vector<int32_t>>& consumers, const std::vector<bool>& is_output,
                      ValueId id) {
  if (id == kNoValue || is_output[static_cast<size_t>(id)]) return -1;
  const std::vector<int32_t>& c = consumers[static_cast<size_t>(id)];
  return c.size() == 1 ? c[0] : -1;
}

void replace_uses(Graph& g, ValueId from, ValueId to) {
  for (Node& n : g.nodes) {
    for (ValueId& in : n.inputs) {
      if (in == from) in = to;
    }
  }
}

bool bypass_node(Graph& g, size_t n, std::vector<bool>& removed, const std::vector<bool>& is_output,
                 const std::vector<bool>& is_input) {
  const ValueId in = g.nodes[n].inputs[0];
  const ValueId out = g.nodes[n].outputs[0];
  if (!is_output[static_cast<size_t>(out)]) {
    replace_uses(g, out, in);
  } else {
    Value& in_value = g.values[static_cast<size_t>(in)];
    const int32_t producer = in_value.producer;
    if (producer < 0 || is_input[static_cast<size_t>(in)] || in_value.is_constant() ||
        is_output[static_cast<size_t>(in)] || removed[static_cast<size_t>(producer)]) {
      return false;
    }
    for (ValueId& o : g.nodes[static_cast<size_t>(producer)].outputs) {
      if (o == in) o = out;
    }
    replace_uses(g, in, out);
    in_value.producer = -1;
    g.values[static_cast<size_t>(out)].producer = producer;
  }
  removed[n] = true;
  return true;
}

std::string install_fused_node(Graph& g, std::vector<bool>& removed, const std::vector<size_t>& chain, size_t last,
                               Node fused) {
  for (size_t i : chain) removed[i] = i != last;
  g.nodes[last] = std::move(fused);
  return op_key(g.nodes[last]);
}

void remove_nodes(Graph& g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (n >= removed.size() || !removed[n]) kept.push_back(std::move(g.nodes[n]));
  }
  g.nodes = std::move(kept);
  g.reindex();
}

int64_t drop_unreferenced_values(Graph& g) {
  std::vector<bool> keep(g.values.size(), false);
  auto mark = [&](ValueId id) {
    if (id != kNoValue) keep[static_cast<size_t>(id)] = true;
  };
  for (const Node& n : g.nodes) {
    for (ValueId id : n.inputs) mark(id);
    for (ValueId id : n.outputs) mark(id);
  }
  for (ValueId id : g.inputs) mark(id);
  for (ValueId id : g.outputs) mark(id);

  std::vector<ValueId> new_id(g.values.size(), kNoValue);
  std::vector<Value> kept;
  kept.reserve(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (!keep[i]) continue;
    new_id[i] = static_cast<ValueId>(kept.size());
    kept.push_back(std::move(g.values[i]));
  }
  const auto dropped = static_cast<int64_t>(g.values.size() - kept.size());
  auto remap = [&](ValueId& id) {
    if (id != kNoValue) id = new_id[static_cast<size_t>(id)];
  };
  for (Node& n : g.nodes) {
    for (ValueId& id : n.inputs) remap(id);
    for (ValueId& id : n.outputs) remap(id);
  }
  for (ValueId& id : g.inputs) remap(id);
  for (ValueId& id : g.outputs) remap(id);
  g.values = std::move(kept);
  g.reindex();
  return dropped;
}

std::string unique_value_name(const Graph& g, const std::string& base) {
  if (g.find_value(base) == kNoValue) return base;
  for (int64_t i = 1;; ++i) {
    std::string name = base + "_" + std::to_string(i);
    if (g.find_value(name) == kNoValue) return name;
  }
}

ValueId add_initializer(Graph& g, const std::string& base, Tensor t) {
  Value v;
  v.name = unique_value_name(g, base);
  v.dtype = t.dtype();
  v.shape_known = true;
  v.shape = t.shape();
  v.initializer = std::move(t);
  return g.add_value(std::move(v));
}

const Value* input_value_info(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return nullptr;
  return &g.values[static_cast<size_t>(n.inputs[i])];
}

const Tensor* constant_input(const Graph& g, const Node& n, size_t i) {
  const Value* v = input_value_info(g, n, i);
  return v != nullptr && v->is_constant() ? &v->initializer : nullptr;
}

}  // namespace fastserve
