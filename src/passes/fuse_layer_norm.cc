// fuse_layer_norm: the decomposed LayerNorm that exporters write below opset
// 17 (torch) or from TF/Keras becomes one LayerNormalization node (opset 17+)
// or fastserve.FusedLayerNorm, the same op, in older models.
//
// Matched, with X read by the first ReduceMean and the Sub (X may have other
// readers), D read by the square and the normalizing node only, and every
// other intermediate read by the next node alone (and not a graph output):
//   mean = ReduceMean(X, axes, keepdims=1)      axes: the trailing k dims
//   D    = Sub(X, mean)
//   var  = ReduceMean(Pow(D, 2) | Mul(D, D))    the same axes, keepdims=1; 2 float or int
//   s    = Sqrt(Add(var, eps))                  eps a constant scalar
//   N    = Div(D, s)  |  Mul(D, Reciprocal(s))
//   Y    = Add(Mul(N, gamma), beta)             each optional
// ReduceMean's axes are an attribute before opset 18 and a constant input
// from 18 on; negative axes count from the end; no axes means all dims.
// gamma and beta must be float32 constants that broadcast over the
// normalized dims only (leading 1s; each dim 1 or X's), so Y keeps X's
// shape. They are expanded to X's normalized dims, which the CPU kernels
// read as one row (kernels/cpu/layer_norm); without gamma the Scale is ones.
// X must be float32 with a known rank and static normalized dims.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

constexpr int64_t kOnnxLayerNormOpset = 17;
constexpr int64_t kReduceAxesInputOpset = 18;

class LayerNormFuser {
 public:
  LayerNormFuser(Model& model, PassContext& ctx)
      : model_(model), g_(model.graph), ctx_(ctx), consumers_(consumers_of(g_)),
        is_output_(graph_output_flags(g_)), removed_(g_.nodes.size(), false) {}

  Status run() {
    const bool onnx_op = model_.opset() >= kOnnxLayerNormOpset;
    if (!onnx_op) {
      auto imported = model_.opsets.find(std::string(kFastServeDomain));
      if (imported != model_.opsets.end() && imported->second != kFusedOpsetVersion) return ok_status();
    }
    bool any = false;
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      if (removed_[n] || !is_op(n, "ReduceMean")) continue;
      std::optional<Match> m = match(n);
      if (!m) continue;
      rewrite(*m, onnx_op);
      any = true;
    }
    if (any) {
      if (!onnx_op) model_.opsets[std::string(kFastServeDomain)] = kFusedOpsetVersion;
      remove_nodes(g_, removed_);
    }
    return ok_status();
  }

 private:
  struct Match {
    ValueId x = kNoValue;
    int64_t axis = 0;  // first normalized dim
    float epsilon = 0.f;
    ValueId gamma = kNoValue, beta = kNoValue;
    std::vector<size_t> nodes;
    ValueId y = kNoValue;
  };

  const Node& node(size_t i) const { return g_.nodes[i]; }
  const Value& value(ValueId id) const { return g_.values[static_cast<size_t>(id)]; }

  bool is_op(size_t n, const char* op) const {
    const Node& x = node(n);
    return !removed_[n] && is_default_domain(x) && x.op_type == op && x.outputs.size() == 1 &&
           x.outputs[0] != kNoValue;
  }
  // The live node that alone reads `id` (and `id` is no graph output), or -1.
  int32_t reader(ValueId id) const {
    const int32_t r = sole_consumer(consumers_, is_output_, id);
    return r >= 0 && !removed_[static_cast<size_t>(r)] ? r : -1;
  }
  // The sole reader of `id` when it is a two-input `op`, else -1.
  int32_t binary_reader(ValueId id, const char* op) const {
    const int32_t r = reader(id);
    if (r < 0 || !is_op(static_cast<size_t>(r), op) || node(static_cast<size_t>(r)).inputs.size() != 2) return -1;
    return r;
  }
  static ValueId other_operand(const Node& n, ValueId a) {
    if (n.inputs[0] == a) return n.inputs[1];
    if (n.inputs[1] == a) return n.inputs[0];
    return kNoValue;
  }
  // A one-element float constant (or, with `integers`, an integer one:
  // Pow's exponent may be an int64 2), or nullopt.
  std::optional<double> scalar_constant(ValueId id, bool integers = false) const {
    if (id == kNoValue) return std::nullopt;
    const Value& v = value(id);
    if (!v.is_constant() || v.initializer.numel() != 1) return std::nullopt;
    const bool ok = v.dtype == DType::kF32 || v.dtype == DType::kF64 || (integers && dtype_is_integer(v.dtype));
    if (!ok) return std::nullopt;
    return v.initializer.element_as_double(0);
  }

  // The first reduced dim of a ReduceMean with keepdims=1 whose axes are the
  // trailing dims of its input (rank `rank`), or -1.
  int64_t trailing_axis(size_t n, int64_t rank) const {
    const Node& r = node(n);
    if (r.inputs.empty() || r.inputs[0] == kNoValue) return -1;
    if (const Attribute* k = r.attr("keepdims"); k != nullptr && k->i == 0) return -1;
    std::vector<int64_t> axes;
    if (model_.opset() >= kReduceAxesInputOpset) {
      if (const Attribute* noop = r.attr("noop_with_empty_axes"); noop != nullptr && noop->i != 0) return -1;
      if (r.inputs.size() > 1 && r.inputs[1] != kNoValue) {
        const Tensor* t = constant_input(g_, r, 1);
        if (t == nullptr) return -1;
        Result<std::vector<int64_t>> v = t->to_int64_vector();
        if (!v.ok()) return -1;
        axes = std::move(v).value();
      }
    } else {
      if (r.inputs.size() > 1) return -1;
      if (const Attribute* a = r.attr("axes"); a != nullptr) axes = a->ints;
    }
    if (axes.empty()) return rank > 0 ? 0 : -1;  // every dim
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) return -1;
      const auto d = static_cast<size_t>(a < 0 ? a + rank : a);
      if (reduced[d]) return -1;
      reduced[d] = true;
    }
    const int64_t first = rank - static_cast<int64_t>(axes.size());
    for (int64_t d = first; d < rank; ++d) {
      if (!reduced[static_cast<size_t>(d)]) return -1;
    }
    return first;
  }

  // A float32 constant that broadcasts over X's dims from `axis` on only
  // (so it leaves the product's shape X's).
  bool is_row_constant(ValueId id, const Shape& x, int64_t axis) const {
    if (id == kNoValue) return false;
    const Value& v = value(id);
    if (!v.is_constant() || v.dtype != DType::kF32) return false;
    const Shape& s = v.initializer.shape();
    if (s.rank() > x.rank()) return false;
    for (size_t i = 0; i < s.rank(); ++i) {
      const size_t xd = x.rank() - s.rank() + i;
      if (s[i] == 1) continue;
      if (static_cast<int64_t>(xd) < axis || s[i] != x[xd]) return false;
    }
    return true;
  }

  std::optional<Match> match(size_t mean_node) const {
    Match m;
    m.x = node(mean_node).inputs.empty() ? kNoValue : node(mean_node).inputs[0];
    if (m.x == kNoValue) return std::nullopt;
    const Value& xv = value(m.x);
    if (xv.dtype != DType::kF32 || !xv.shape_known || xv.shape.rank() == 0) return std::nullopt;
    const auto rank = static_cast<int64_t>(xv.shape.rank());
    m.axis = trailing_axis(mean_node, rank);
    if (m.axis < 0) return std::nullopt;
    for (int64_t d = m.axis; d < rank; ++d) {
      if (xv.shape[static_cast<size_t>(d)] == kUnknownDim) return std::nullopt;
    }

    // D = Sub(X, mean)
    const ValueId mean = node(mean_node).outputs[0];
    const int32_t sub = binary_reader(mean, "Sub");
    if (sub < 0 || node(static_cast<size_t>(sub)).inputs[0] != m.x || node(static_cast<size_t>(sub)).inputs[1] != mean)
      return std::nullopt;
    const ValueId d = node(static_cast<size_t>(sub)).outputs[0];
    if (is_output_[static_cast<size_t>(d)]) return std::nullopt;

    // D's readers: the square (Pow(D, 2), or Mul(D, D) reading it twice) and
    // the normalizing Div / Mul; nobody else.
    std::vector<int32_t> readers = consumers_[static_cast<size_t>(d)];
    std::sort(readers.begin(), readers.end());
    readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
    if (readers.size() != 2) return std::nullopt;
    int32_t sq = -1, norm = -1;
    for (int32_t r : readers) {
      const auto ri = static_cast<size_t>(r);
      const Node& rn = node(ri);
      if (removed_[ri] || rn.inputs.size() != 2) return std::nullopt;
      const bool pow = is_op(ri, "Pow") && rn.inputs[0] == d && scalar_constant(rn.inputs[1], /*integers=*/true) == 2.0;
      const bool mul_dd = is_op(ri, "Mul") && rn.inputs[0] == d && rn.inputs[1] == d;
      if (pow || mul_dd) {
        sq = r;
      } else {
        norm = r;
      }
    }
    if (sq < 0 || norm < 0) return std::nullopt;
    const size_t reads_of_d = consumers_[static_cast<size_t>(d)].size();
    const bool sq_is_mul = node(static_cast<size_t>(sq)).op_type == "Mul";
    if (reads_of_d != (sq_is_mul ? 3u : 2u)) return std::nullopt;  // the norm node reads D once

    // var = ReduceMean(sq) over the same dims
    const int32_t var_node = reader(node(static_cast<size_t>(sq)).outputs[0]);
    if (var_node < 0 || !is_op(static_cast<size_t>(var_node), "ReduceMean") ||
        trailing_axis(static_cast<size_t>(var_node), rank) != m.axis) {
      return std::nullopt;
    }
    // s = Sqrt(Add(var, eps))
    const ValueId var = node(static_cast<size_t>(var_node)).outputs[0];
    const int32_t add_eps = binary_reader(var, "Add");
    if (add_eps < 0) return std::nullopt;
    const std::optional<double> eps = scalar_constant(other_operand(node(static_cast<size_t>(add_eps)), var));
    if (!eps || *eps < 0) return std::nullopt;
    m.epsilon = static_cast<float>(*eps);
    const int32_t sqrt = reader(node(static_cast<size_t>(add_eps)).outputs[0]);
    if (sqrt < 0 || !is_op(static_cast<size_t>(sqrt), "Sqrt")) return std::nullopt;
    const ValueId s = node(static_cast<size_t>(sqrt)).outputs[0];

    // N = Div(D, s) or Mul(D, Reciprocal(s))
    m.nodes = {mean_node, static_cast<size_t>(sub), static_cast<size_t>(sq), static_cast<size_t>(var_node),
               static_cast<size_t>(add_eps), static_cast<size_t>(sqrt)};
    const Node& nn = node(static_cast<size_t>(norm));
    if (is_op(static_cast<size_t>(norm), "Div")) {
      if (nn.inputs[0] != d || nn.inputs[1] != s || reader(s) != norm) return std::nullopt;
    } else if (is_op(static_cast<size_t>(norm), "Mul")) {
      const int32_t recip = reader(s);
      if (recip < 0 || !is_op(static_cast<size_t>(recip), "Reciprocal")) return std::nullopt;
      const ValueId inv = node(static_cast<size_t>(recip)).outputs[0];
      if (reader(inv) != norm || other_operand(nn, d) != inv) return std::nullopt;
      m.nodes.push_back(static_cast<size_t>(recip));
    } else {
      return std::nullopt;
    }
    m.nodes.push_back(static_cast<size_t>(norm));
    m.y = nn.outputs[0];

    // Optional Mul(N, gamma), then optional Add(., beta).
    if (const int32_t mul = binary_reader(m.y, "Mul"); mul >= 0) {
      const ValueId gamma = other_operand(node(static_cast<size_t>(mul)), m.y);
      if (is_row_constant(gamma, xv.shape, m.axis)) {
        m.gamma = gamma;
        m.nodes.push_back(static_cast<size_t>(mul));
        m.y = node(static_cast<size_t>(mul)).outputs[0];
      }
    }
    if (const int32_t add = binary_reader(m.y, "Add"); add >= 0) {
      const ValueId beta = other_operand(node(static_cast<size_t>(add)), m.y);
      if (is_row_constant(beta, xv.shape, m.axis)) {
        m.beta = beta;
        m.nodes.push_back(static_cast<size_t>(add));
        m.y = node(static_cast<size_t>(add)).outputs[0];
      }
    }
    return m;
  }

  // `t` (or ones when undefined) broadcast to X's normalized dims.
  static Tensor row_operand(const Tensor* t, const Shape& x, int64_t axis, float fill) {
    std::vector<int64_t> dims(x.dims().begin() + axis, x.dims().end());
    Tensor out = Tensor::empty(DType::kF32, Shape(dims));
    float* o = out.data<float>();
    const int64_t n = out.numel();
    if (t == nullptr) {
      std::fill(o, o + n, fill);
      return out;
    }
    // Strides of t aligned to the normalized dims (0 where t has 1 or no dim).
    const Shape& s = t->shape();
    std::vector<int64_t> strides(dims.size(), 0);
    int64_t stride = 1;
    for (size_t i = 0; i < s.rank(); ++i) {
      const size_t sd = s.rank() - 1 - i;
      if (i < dims.size() && s[sd] != 1) strides[dims.size() - 1 - i] = stride;
      stride *= s[sd];
    }
    const float* src = t->data<float>();
    std::vector<int64_t> idx(dims.size(), 0);
    for (int64_t e = 0; e < n; ++e) {
      int64_t off = 0;
      for (size_t k = 0; k < dims.size(); ++k) off += idx[k] * strides[k];
      o[e] = src[off];
      for (size_t k = dims.size(); k-- > 0;) {
        if (++idx[k] < dims[k]) break;
        idx[k] = 0;
      }
    }
    return out;
  }

  void rewrite(const Match& m, bool onnx_op) {
    size_t last = m.nodes[0];
    for (size_t n : m.nodes) last = std::max(last, n);
    std::vector<std::string> ops;
    for (size_t n : m.nodes) ops.push_back(op_key(node(n)));
    // Copies: add_initializer grows g_.values, which would move what refers into it.
    const Shape x = value(m.x).shape;
    const Tensor gamma = m.gamma == kNoValue ? Tensor() : value(m.gamma).initializer;
    const Tensor beta = m.beta == kNoValue ? Tensor() : value(m.beta).initializer;
    const std::string base = node(last).name.empty() ? value(m.y).name : node(last).name;
    const ValueId scale =
        add_initializer(g_, base + "_scale", row_operand(gamma.defined() ? &gamma : nullptr, x, m.axis, 1.f));
    Node ln;
    ln.name = node(last).name;
    ln.op_type = onnx_op ? "LayerNormalization" : "FusedLayerNorm";
    ln.domain = onnx_op ? "" : std::string(kFastServeDomain);
    ln.inputs = {m.x, scale};
    if (beta.defined()) ln.inputs.push_back(add_initializer(g_, base + "_bias", row_operand(&beta, x, m.axis, 0.f)));
    ln.outputs = {m.y};
    Attribute axis;
    axis.name = "axis";
    axis.kind = Attribute::Kind::kInt;
    axis.i = m.axis;
    Attribute eps;
    eps.name = "epsilon";
    eps.kind = Attribute::Kind::kFloat;
    eps.f = m.epsilon;
    ln.attributes = {std::move(axis), std::move(eps)};
    ops.push_back(install_fused_node(g_, removed_, m.nodes, last, std::move(ln)));
    ctx_.note_rewrite(ops);
  }

  Model& model_;
  Graph& g_;
  PassContext& ctx_;
  std::vector<std::vector<int32_t>> consumers_;
  std::vector<bool> is_output_;
  std::vector<bool> removed_;
};

}  // namespace

Status fuse_layer_norm(Model& model, PassContext& ctx) { return LayerNormFuser(model, ctx).run(); }

}  // namespace fastserve
