// fuse_gelu: the decomposed GELU of exported transformers becomes one Gelu
// node (ONNX Gelu from opset 20; fastserve.FusedGelu, the same op, in older
// models), which fuse_matmul_bias can then fold into the MatMul before it.
//
// Matched, with x the GELU's input (read by several of these nodes) and every
// other intermediate read by the next node alone:
//   exact (torch's F.gelu, BERT, ViT):
//     e = Erf(x / sqrt2)           Div(x, 1.4142..) or Mul(x, 0.7071..)
//   tanh (GPT-2's gelu_new, F.gelu(approximate="tanh")):
//     e = Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))   x^3 = Pow(x, 3),
//                                  Mul(x, Mul(x, x)) or Mul(Mul(x, x), x)
//   then, for both:
//     y = Mul(Mul(x, e + 1), 0.5)  or  Mul(Mul(x, 0.5), e + 1)
//     or  Mul(x, Mul(e + 1, 0.5))
// with the operands of Add and Mul in either order and the constants float32
// scalars within 1e-4 (relative) of their exact values. The new node takes
// the name and output of the last node it replaces.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

constexpr int64_t kOnnxGeluOpset = 20;

class GeluFuser {
 public:
  GeluFuser(Model& model, PassContext& ctx)
      : model_(model), g_(model.graph), ctx_(ctx), consumers_(consumers_of(g_)),
        is_output_(graph_output_flags(g_)), producer_(g_.values.size(), -1), removed_(g_.nodes.size(), false) {
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      for (ValueId v : g_.nodes[n].outputs) {
        if (v != kNoValue) producer_[static_cast<size_t>(v)] = static_cast<int32_t>(n);
      }
    }
  }

  Status run() {
    const bool onnx_gelu = model_.opset() >= kOnnxGeluOpset;
    if (!onnx_gelu) {
      auto imported = model_.opsets.find(std::string(kFastServeDomain));
      if (imported != model_.opsets.end() && imported->second != kFusedOpsetVersion) return ok_status();
    }
    bool any = false;
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      if (removed_[n]) continue;
      const Node& node = g_.nodes[n];
      if (!is_default_domain(node) || node.inputs.size() != 1 || node.outputs.size() != 1) continue;
      std::optional<Match> m;
      if (node.op_type == "Erf") m = match_erf(n);
      if (node.op_type == "Tanh") m = match_tanh(n);
      if (m && match_tail(*m)) {
        rewrite(*m, onnx_gelu);
        any = true;
      }
    }
    if (any) {
      if (!onnx_gelu) model_.opsets[std::string(kFastServeDomain)] = kFusedOpsetVersion;
      remove_nodes(g_, removed_);
    }
    return ok_status();
  }

 private:
  struct Match {
    ValueId x = kNoValue;
    bool tanh = false;
    std::vector<size_t> nodes;  // replaced, the Erf/Tanh and what leads to it first
    size_t core = 0;            // the Erf / Tanh
    ValueId y = kNoValue;
  };

  const Node& node(size_t i) const { return g_.nodes[i]; }
  const Value& value(ValueId id) const { return g_.values[static_cast<size_t>(id)]; }

  // The live node producing `id`, or -1.
  int32_t producer(ValueId id) const {
    if (id == kNoValue) return -1;
    const int32_t p = producer_[static_cast<size_t>(id)];
    return p >= 0 && !removed_[static_cast<size_t>(p)] ? p : -1;
  }
  // The live node that alone reads `id`, or -1.
  int32_t reader(ValueId id) const {
    const int32_t r = sole_consumer(consumers_, is_output_, id);
    return r >= 0 && !removed_[static_cast<size_t>(r)] ? r : -1;
  }
  // Producer of `id` when it is a default-domain `op` with two inputs whose
  // output only `reader_node` reads; -1 otherwise.
  int32_t binary_producer(ValueId id, const char* op) const {
    const int32_t p = producer(id);
    if (p < 0 || reader(id) < 0) return -1;
    const Node& n = node(static_cast<size_t>(p));
    if (!is_default_domain(n) || n.op_type != op || n.inputs.size() != 2 || n.outputs.size() != 1) return -1;
    return p;
  }

  // A float32 scalar constant within 1e-4 relative of `want`.
  bool is_constant(ValueId id, double want) const {
    if (id == kNoValue) return false;
    const Value& v = value(id);
    if (!v.is_constant() || v.dtype != DType::kF32 || v.initializer.numel() != 1) return false;
    const double got = v.initializer.data<float>()[0];
    return std::fabs(got - want) <= 1e-4 * std::fabs(want);
  }
  // For a two-input node, the operand other than the constant `want`, or kNoValue.
  ValueId other_than_constant(const Node& n, double want) const {
    if (is_constant(n.inputs[1], want)) return n.inputs[0];
    if (is_constant(n.inputs[0], want)) return n.inputs[1];
    return kNoValue;
  }
  // For a two-input node reading `a`, the other operand (kNoValue when it does not read a).
  static ValueId other_operand(const Node& n, ValueId a) {
    if (n.inputs[0] == a) return n.inputs[1];
    if (n.inputs[1] == a) return n.inputs[0];
    return kNoValue;
  }

  // Erf(Div(x, sqrt2)) or Erf(Mul(x, 1/sqrt2)).
  std::optional<Match> match_erf(size_t erf) const {
    Match m;
    m.core = erf;
    const ValueId d = node(erf).inputs[0];
    int32_t p = binary_producer(d, "Div");
    if (p >= 0) {
      const Node& div = node(static_cast<size_t>(p));
      if (!is_constant(div.inputs[1], std::sqrt(2.0))) return std::nullopt;
      m.x = div.inputs[0];
    } else {
      p = binary_producer(d, "Mul");
      if (p < 0) return std::nullopt;
      m.x = other_than_constant(node(static_cast<size_t>(p)), std::sqrt(0.5));
    }
    if (m.x == kNoValue || value(m.x).dtype != DType::kF32) return std::nullopt;
    m.nodes = {static_cast<size_t>(p), erf};
    return m;
  }

  // Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, x^3)))).
  std::optional<Match> match_tanh(size_t tanh) const {
    Match m;
    m.tanh = true;
    m.core = tanh;
    const int32_t scale = binary_producer(node(tanh).inputs[0], "Mul");
    if (scale < 0) return std::nullopt;
    const ValueId s = other_than_constant(node(static_cast<size_t>(scale)), std::sqrt(2.0 / std::numbers::pi));
    const int32_t add = binary_producer(s, "Add");
    if (add < 0) return std::nullopt;
    // One operand of the Add is x, the other 0.044715 * x^3.
    for (int side = 0; side < 2; ++side) {
      const ValueId x = node(static_cast<size_t>(add)).inputs[static_cast<size_t>(side)];
      const ValueId q = node(static_cast<size_t>(add)).inputs[static_cast<size_t>(1 - side)];
      const int32_t coef = binary_producer(q, "Mul");
      if (coef < 0) continue;
      const ValueId cube = other_than_constant(node(static_cast<size_t>(coef)), 0.044715);
      std::vector<size_t> cube_nodes;
      if (!is_cube_of(cube, x, cube_nodes)) continue;
      if (value(x).dtype != DType::kF32) return std::nullopt;
      m.x = x;
      m.nodes = cube_nodes;
      m.nodes.push_back(static_cast<size_t>(coef));
      m.nodes.push_back(static_cast<size_t>(add));
      m.nodes.push_back(static_cast<size_t>(scale));
      m.nodes.push_back(tanh);
      return m;
    }
    return std::nullopt;
  }

  // cube = Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x).
  bool is_cube_of(ValueId cube, ValueId x, std::vector<size_t>& nodes) const {
    const int32_t pow = producer(cube);
    if (pow >= 0 && reader(cube) >= 0 && is_default_domain(node(static_cast<size_t>(pow))) &&
        node(static_cast<size_t>(pow)).op_type == "Pow" && node(static_cast<size_t>(pow)).inputs.size() == 2 &&
        node(static_cast<size_t>(pow)).inputs[0] == x && is_constant(node(static_cast<size_t>(pow)).inputs[1], 3.0)) {
      nodes = {static_cast<size_t>(pow)};
      return true;
    }
    const int32_t outer = binary_producer(cube, "Mul");
    if (outer < 0) return false;
    const ValueId sq = other_operand(node(static_cast<size_t>(outer)), x);
    const int32_t inner = binary_producer(sq, "Mul");
    if (inner < 0 || node(static_cast<size_t>(inner)).inputs[0] != x ||
        node(static_cast<size_t>(inner)).inputs[1] != x) {
      return false;
    }
    nodes = {static_cast<size_t>(inner), static_cast<size_t>(outer)};
    return true;
  }

  // The tail from e = Erf/Tanh output: Add(e, 1), then the products with x
  // and 0.5 in one of the three orders. Fills m.nodes and m.y.
  bool match_tail(Match& m) const {
    const ValueId e = node(m.core).outputs[0];
    const int32_t add = reader(e);
    if (add < 0 || !is_default_domain(node(static_cast<size_t>(add))) || node(static_cast<size_t>(add)).op_type != "Add" ||
        node(static_cast<size_t>(add)).inputs.size() != 2 || other_than_constant(node(static_cast<size_t>(add)), 1.0) != e) {
      return false;
    }
    const ValueId a = node(static_cast<size_t>(add)).outputs[0];
    const int32_t mul = reader(a);
    if (mul < 0 || !is_mul(static_cast<size_t>(mul))) return false;
    const Node& mn = node(static_cast<size_t>(mul));
    const ValueId other = other_operand(mn, a);
    std::vector<size_t> tail = {static_cast<size_t>(add), static_cast<size_t>(mul)};
    if (other == m.x) {  // Mul(x, e + 1), then * 0.5
      const int32_t half = reader(mn.outputs[0]);
      if (half < 0 || !is_mul(static_cast<size_t>(half)) ||
          other_than_constant(node(static_cast<size_t>(half)), 0.5) != mn.outputs[0]) {
        return false;
      }
      tail.push_back(static_cast<size_t>(half));
      m.y = node(static_cast<size_t>(half)).outputs[0];
    } else if (is_constant(other, 0.5)) {  // Mul(e + 1, 0.5), then * x
      const int32_t by_x = reader(mn.outputs[0]);
      if (by_x < 0 || !is_mul(static_cast<size_t>(by_x)) || other_operand(node(static_cast<size_t>(by_x)), mn.outputs[0]) != m.x) {
        return false;
      }
      tail.push_back(static_cast<size_t>(by_x));
      m.y = node(static_cast<size_t>(by_x)).outputs[0];
    } else {  // Mul(Mul(x, 0.5), e + 1)
      const int32_t half = binary_producer(other, "Mul");
      if (half < 0 || other_than_constant(node(static_cast<size_t>(half)), 0.5) != m.x) return false;
      tail.insert(tail.begin(), static_cast<size_t>(half));
      m.y = mn.outputs[0];
    }
    m.nodes.insert(m.nodes.end(), tail.begin(), tail.end());
    return true;
  }

  bool is_mul(size_t n) const {
    const Node& x = node(n);
    return is_default_domain(x) && x.op_type == "Mul" && x.inputs.size() == 2 && x.outputs.size() == 1;
  }

  void rewrite(const Match& m, bool onnx_gelu) {
    // The node writing y is the one that goes last in the graph; the Gelu
    // takes its slot so the order stays topological.
    size_t last = m.nodes[0];
    for (size_t n : m.nodes) last = std::max(last, n);
    std::vector<std::string> ops;
    for (size_t n : m.nodes) ops.push_back(op_key(node(n)));
    Node gelu;
    gelu.name = node(last).name;
    gelu.op_type = onnx_gelu ? "Gelu" : "FusedGelu";
    gelu.domain = onnx_gelu ? "" : std::string(kFastServeDomain);
    gelu.inputs = {m.x};
    gelu.outputs = {m.y};
    if (m.tanh) {
      Attribute a;
      a.name = "approximate";
      a.kind = Attribute::Kind::kString;
      a.s = "tanh";
      gelu.attributes.push_back(std::move(a));
    }
    ops.push_back(install_fused_node(g_, removed_, m.nodes, last, std::move(gelu)));
    ctx_.note_rewrite(ops);
  }

  Model& model_;
  Graph& g_;
  PassContext& ctx_;
  std::vector<std::vector<int32_t>> consumers_;
  std::vector<bool> is_output_;
  std::vector<int32_t> producer_;
  std::vector<bool> removed_;
};

}  // namespace

Status fuse_gelu(Model& model, PassContext& ctx) { return GeluFuser(model, ctx).run(); }

}  // namespace fastserve
