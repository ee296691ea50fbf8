// Prunable-layer discovery and weight helpers (see prunable.h).
#include "prune/prunable.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>

#include "passes/graph_edit.h"

namespace fastserve::prune {

std::string layer_name(const Graph& g, const Node& n) {
  if (!n.name.empty()) return n.name;
  return n.outputs.empty() ? std::string("(unnamed)") : g.values[static_cast<size_t>(n.outputs[0])].name;
}

std::vector<PrunableLayer> find_prunable_layers(const Graph& g) {
  std::vector<PrunableLayer> out;
  std::set<ValueId> seen;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty()) continue;
    if (n.op_type != "Conv" && n.op_type != "Gemm" && n.op_type != "MatMul") continue;
    if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) continue;
    const Value& w = g.values[static_cast<size_t>(n.inputs[1])];
    if (!w.is_constant() || w.initializer.dtype() != DType::kF32 || w.initializer.numel() == 0) continue;
    if (!seen.insert(n.inputs[1]).second) continue;
    out.push_back(PrunableLayer{i, n.inputs[1], layer_name(g, n)});
  }
  return out;
}

float* writable_weight(Graph& g, ValueId id) {
  Value& v = g.values[static_cast<size_t>(id)];
  // clone() owns its bytes; a mapped initializer would otherwise be written
  // through a read-only (private) mapping.
  v.initializer = v.initializer.clone();
  return v.initializer.data<float>();
}

int64_t count_zeros(const Tensor& t) {
  const float* d = t.data<float>();
  int64_t zeros = 0;
  for (int64_t i = 0; i < t.numel(); ++i) zeros += d[i] == 0.f ? 1 : 0;
  return zeros;
}

int64_t initializer_bytes(const Graph& g) {
  int64_t total = 0;
  for (const Value& v : g.values) {
    if (v.is_constant()) total += static_cast<int64_t>(v.initializer.nbytes());
  }
  return total;
}

void zero_smallest(float* data, int64_t n, int64_t count) {
  count = std::clamp<int64_t>(count, 0, n);
  if (count == 0) return;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  auto smaller = [&](int64_t a, int64_t b) {
    const float fa = std::fabs(data[a]), fb = std::fabs(data[b]);
    return fa < fb || (fa == fb && a < b);
  };
  std::nth_element(order.begin(), order.begin() + (count - 1), order.end(), smaller);
  for (int64_t i = 0; i < count; ++i) data[order[static_cast<size_t>(i)]] = 0.f;
}

double layer_sparsity(const PruneOptions& options, const std::string& name) {
  auto it = options.per_layer.find(name);
  return it != options.per_layer.end() ? it->second : options.sparsity;
}

}  // namespace fastserve::prune
