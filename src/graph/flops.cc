// FLOP estimate per node from inferred shapes (conventions in flops.h).
#include "graph/flops.h"

#include <set>
#include <span>
#include <string_view>

#include "graph/op_schema.h"

namespace fastserve {
namespace {

// Static shape of value `id`, or null when unknown / not fully static.
const Shape* static_shape(const Graph& g, ValueId id) {
  if (id == kNoValue || id < 0 || static_cast<size_t>(id) >= g.values.size()) return nullptr;
  const Value& v = g.values[static_cast<size_t>(id)];
  if (v.is_constant()) return &v.initializer.shape();
  if (!v.shape_known || !v.shape.is_static()) return nullptr;
  return &v.shape;
}

// The shapes one count needs, wherever they came from (graph or run).
struct NodeShapes {
  std::span<const Shape*const> in, out;
  const Shape* input(size_t i) const { return i < in.size() ? in[i] : nullptr; }
  const Shape* output(size_t i) const { return i < out.size() ? out[i] : nullptr; }
};

bool has_input(const Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] != kNoValue; }

int64_t product(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i) p *= dims[i];
  return p;
}

bool is_one_per_element(std::string_view op) {
  static const std::set<std::string_view> kOps = {"Add",  "Sub",     "Mul",         "Div",      "Pow",
                                                  "Relu", "LeakyRelu", "Clip",       "Sigmoid",  "Tanh",
                                                  "HardSigmoid", "HardSwish"};
  return kOps.count(op) != 0;
}

int64_t conv_flops(const Node& n, const NodeShapes& s, bool transpose) {
  const Shape* x = s.input(0);
  const Shape* w = s.input(1);
  const Shape* y = s.output(0);
  if (!x || !w || !y || w->rank() < 2) return -1;
  // W is [M, C/group, k...] for Conv and [C, M/group, k...] for ConvTranspose:
  // either way dim 1 times the kernel is the fan each MAC count multiplies.
  const int64_t per = product(w->dims(), 1);
  const int64_t macs = (transpose ? x->numel() : y->numel()) * per;
  return 2 * macs + (has_input(n, 2) ? y->numel() : 0);
}

int64_t count_flops(const Node& n, const NodeShapes& s) {
  const std::string_view op = n.op_type;
  if (n.domain == kFastServeDomain && op == "FusedConv") {
    // The convolution, plus one per output element for the residual and the activation.
    const int64_t conv = conv_flops(n, s, false);
    const Shape* y = s.output(0);
    if (conv < 0 || !y) return -1;
    const Attribute* act = n.attr("activation");
    return conv + (has_input(n, 3) ? y->numel() : 0) + (act != nullptr && !act->s.empty() ? y->numel() : 0);
  }
  if ((n.domain == kFastServeDomain && op == "QConv") || (n.domain.empty() && op == "QLinearConv")) {
    // Integer multiply-adds, counted like float ones (W is input 3).
    const Shape* w = s.input(3);
    const Shape* y = s.output(0);
    if (!w || !y || w->rank() < 2) return -1;
    return 2 * y->numel() * product(w->dims(), 1);
  }
  if (n.domain == kFastServeDomain && op == "FusedMatMul") {
    // The product, plus one per output element for the bias and the activation.
    const Shape* a = s.input(0);
    const Shape* y = s.output(0);
    if (!a || !y || a->rank() == 0) return -1;
    const Attribute* act = n.attr("activation");
    return 2 * y->numel() * (*a)[a->rank() - 1] + (has_input(n, 2) ? y->numel() : 0) +
           (act != nullptr && !act->s.empty() ? y->numel() : 0);
  }
  if (n.domain == kFastServeDomain && op == "Attention") {
    // Q K^T and P V at 2 per multiply-add, plus Softmax's 3 per score.
    const Shape* q = s.input(0);
    const Shape* v = s.input(2);
    const Shape* k = s.input(1);
    if (!q || !k || !v || q->rank() != 4 || k->rank() != 4 || v->rank() != 4) return -1;
    const Attribute* layout = n.attr("layout");
    const size_t seq = layout != nullptr && layout->s == "bshd" ? 1 : 2;
    if ((*q)[3] == 0) return 0;
    const int64_t scores = q->numel() / (*q)[3] * (*k)[seq];
    return scores * (2 * ((*q)[3] + (*v)[3]) + 3);
  }
  if (!n.domain.empty()) return 0;
  if (op == "Conv" || op == "ConvTranspose") return conv_flops(n, s, op == "ConvTranspose");
  if (op == "Gemm") {
    const Shape* a = s.input(0);
    const Shape* y = s.output(0);
    if (!a || !y || a->rank() != 2) return -1;
    const Attribute* ta = n.attr("transA");
    const int64_t k = (ta && ta->i != 0) ? (*a)[0] : (*a)[1];
    return 2 * y->numel() * k + (has_input(n, 2) ? y->numel() : 0);
  }
  if (op == "MatMul") {
    const Shape* a = s.input(0);
    const Shape* y = s.output(0);
    if (!a || !y || a->rank() == 0) return -1;
    return 2 * y->numel() * (*a)[a->rank() - 1];
  }
  if (op == "MaxPool" || op == "AveragePool") {
    const Shape* y = s.output(0);
    const Attribute* k = n.attr("kernel_shape");
    if (!y || !k) return -1;
    return y->numel() * product(k->ints, 0);
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "ReduceMean") {
    const Shape* x = s.input(0);
    return x ? x->numel() : -1;
  }
  if (op == "BatchNormalization" || op == "Softmax" || op == "LogSoftmax" || is_one_per_element(op)) {
    const Shape* y = s.output(0);
    if (!y) return -1;
    const int64_t per = op == "BatchNormalization" ? 2 : (op == "Softmax" || op == "LogSoftmax") ? 3 : 1;
    return per * y->numel();
  }
  return 0;  // data movement, casts, shape ops, constants
}

}  // namespace

int64_t node_flops(const Graph& g, const Node& n) {
  std::vector<const Shape*> in, out;
  for (ValueId id : n.inputs) in.push_back(static_shape(g, id));
  for (ValueId id : n.outputs) out.push_back(static_shape(g, id));
  return count_flops(n, NodeShapes{in, out});
}

int64_t node_flops(const Node& node, std::span<const Shape* const> input_shapes,
                   std::span<const Shape* const> output_shapes) {
  return count_flops(node, NodeShapes{input_shapes, output_shapes});
}

FlopsEstimate estimate_flops(const Model& model) {
  FlopsEstimate est;
  // A copy is cheap: initializers share their buffers.
  Model m = model;
  for (ValueId id : m.graph.inputs) {
    Value& v = m.graph.values[static_cast<size_t>(id)];
    if (!v.shape_known) continue;
    for (size_t d = 0; d < v.shape.rank(); ++d) {
      if (v.shape[d] != kUnknownDim) continue;
      v.shape[d] = 1;
      const std::string dim_name = d < v.dim_params.size() && !v.dim_params[d].empty() ? v.dim_params[d] : "?";
      est.assumed_one.push_back(v.name + ":" + dim_name);
    }
  }
  bool reinferred = false;
  if (!est.assumed_one.empty()) {
    for (Value& v : m.graph.values) {
      if (v.producer >= 0 && !v.is_constant()) {
        v.shape_known = false;
        v.shape = Shape();
      }
    }
    reinferred = infer_graph_shapes(m).ok();
  }
  // If re-inference failed, count with the shapes the loader inferred.
  const Graph& g = (est.assumed_one.empty() || reinferred) ? m.graph : model.graph;

  est.per_node.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const bool known_op = find_op_schema(n.op_type, n.domain) != nullptr;
    const int64_t f = known_op ? node_flops(g, n) : -1;
    est.per_node.push_back(f);
    if (f < 0) {
      est.uncounted_nodes.push_back(!n.name.empty() ? n.name
                                                    : "#" + std::to_string(i) + " (" + n.op_type + ")");
      continue;
    }
    est.total += f;
    est.by_op_type[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type] += f;
  }
  return est;
}

}  // namespace fastserve
