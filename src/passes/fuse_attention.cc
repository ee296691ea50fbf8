// fuse_attention: the scaled-dot-product attention subgraph becomes one
// fastserve.Attention (graph/ops_fastserve.def).
//
// Matched backwards from each float32 Softmax over the last axis of a rank-4
// tensor whose output only a MatMul reads (as A: P @ V):
//   MatMul(Q, Kt) -> [Div or Mul by a float32 scalar constant]
//     -> [Where(keep, s, fill constant scalar)] -> [Add(s, mask) either order]
//     -> Softmax -> MatMul(., V) [-> Transpose(0,2,1,3)]
// Kt must come from a Transpose: perm (0,1,3,2) of K [B,H,Sk,D] (layout
// "bhsd"), or perm (0,2,3,1) of K [B,Sk,H,D], which needs Q and V from
// Transpose(0,2,1,3) and the output read by a Transpose(0,2,1,3) alone: then
// layout "bshd" absorbs all four Transposes (the head split/merge of
// tools/zoo_transformers.py's SelfAttention). In "bhsd", Q/V/output
// Transposes stay.
// Every intermediate must have that one reader (and not be a graph output);
// masks must have rank <= 4 and known dims that are 1 or the scores'
// (Attention checks the rest at run time and names the node).
// What it saves: the [B,H,Sq,Sk] scores and probabilities never reach memory,
// and the Div, mask, Softmax and Transpose passes over them are gone.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/fuser.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

struct AttentionMatch {
  std::vector<size_t> chain;
  std::vector<std::string> ops;
  ValueId q = kNoValue, kt = kNoValue, v = kNoValue;
  ValueId add_mask = kNoValue, keep_mask = kNoValue;
  float scale = 1.f;
  std::optional<float> fill;
  ValueId scores = kNoValue;  // MatMul(Q, Kt)'s output
};

class AttentionFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  // The node writing `id` when `id` is its only output and one node alone
  // reads it; -1 otherwise.
  int32_t sole_producer(ValueId id) const {
    if (id == kNoValue || reader_of(id) < 0) return -1;
    const int32_t p = value(id).producer;
    if (p < 0 || removed_[static_cast<size_t>(p)]) return -1;
    const Node& n = g_.nodes[static_cast<size_t>(p)];
    return n.outputs.size() == 1 && n.outputs[0] == id ? p : -1;
  }

  bool is_op(int32_t idx, const char* op, size_t inputs) const {
    if (idx < 0) return false;
    const Node& n = g_.nodes[static_cast<size_t>(idx)];
    return is_default_domain(n) && n.op_type == op && n.inputs.size() == inputs && n.outputs.size() == 1;
  }

  bool is_f32_rank4(ValueId id) const {
    if (id == kNoValue) return false;
    const Value& v = value(id);
    return v.dtype == DType::kF32 && v.shape_known && v.shape.rank() == 4;
  }

  std::optional<float> scalar_constant(ValueId id) const {
    if (id == kNoValue) return std::nullopt;
    const Value& v = value(id);
    if (!v.is_constant() || v.dtype != DType::kF32 || v.initializer.numel() != 1) return std::nullopt;
    return v.initializer.data<float>()[0];
  }

  // A mask of `dtype` that broadcasts to `scores` without widening it (known
  // dims only; the kernel checks the rest).
  bool mask_fits(ValueId mask, DType dtype, ValueId scores) const {
    if (mask == kNoValue) return false;
    const Value& m = value(mask);
    if (m.dtype != dtype || !m.shape_known || m.shape.rank() > 4) return false;
    const Shape& s = value(scores).shape;
    const size_t off = 4 - m.shape.rank();
    for (size_t j = 0; j < m.shape.rank(); ++j) {
      const int64_t d = m.shape[j], t = s[off + j];
      if (d != kUnknownDim && d != 1 && t != kUnknownDim && d != t) return false;
    }
    return true;
  }

  void push(AttentionMatch& m, int32_t idx) const {
    m.chain.push_back(static_cast<size_t>(idx));
    m.ops.push_back(op_key(g_.nodes[static_cast<size_t>(idx)]));
  }

  // [Where] -> [Div|Mul] -> MatMul(Q, Kt), backwards from `x`.
  bool match_scores(ValueId x, AttentionMatch& m) const {
    int32_t p = sole_producer(x);
    if (is_op(p, "Where", 3)) {
      const Node& w = g_.nodes[static_cast<size_t>(p)];
      std::optional<float> fill = scalar_constant(w.inputs[2]);
      if (!fill || w.inputs[1] == w.inputs[0] || !is_f32_rank4(w.inputs[1])) return false;
      m.keep_mask = w.inputs[0];
      m.fill = fill;
      push(m, p);
      x = w.inputs[1];
      p = sole_producer(x);
    }
    if (is_op(p, "Div", 2)) {
      const Node& d = g_.nodes[static_cast<size_t>(p)];
      std::optional<float> c = scalar_constant(d.inputs[1]);
      if (!c || *c == 0.f || !std::isfinite(*c)) return false;
      m.scale = 1.0f / *c;
      push(m, p);
      x = d.inputs[0];
      p = sole_producer(x);
    } else if (is_op(p, "Mul", 2)) {
      const Node& d = g_.nodes[static_cast<size_t>(p)];
      const size_t ci = scalar_constant(d.inputs[1]) ? 1 : 0;
      std::optional<float> c = scalar_constant(d.inputs[ci]);
      if (!c || !std::isfinite(*c)) return false;
      m.scale = *c;
      push(m, p);
      x = d.inputs[1 - ci];
      p = sole_producer(x);
    }
    if (!is_op(p, "MatMul", 2)) return false;
    const Node& mm = g_.nodes[static_cast<size_t>(p)];
    if (!is_f32_rank4(mm.inputs[0]) || !is_f32_rank4(mm.inputs[1]) || !is_f32_rank4(x)) return false;
    m.q = mm.inputs[0];
    m.kt = mm.inputs[1];
    m.scores = x;
    push(m, p);
    return m.keep_mask == kNoValue || mask_fits(m.keep_mask, DType::kBool, x);
  }

  // The Transpose writing `id` alone (see sole_producer) with this perm; -1 otherwise.
  int32_t transpose_producer(ValueId id, const std::vector<int64_t>& perm) const {
    const int32_t p = sole_producer(id);
    return is_transpose(p, perm) ? p : -1;
  }
  bool is_transpose(int32_t idx, const std::vector<int64_t>& perm) const {
    if (!is_op(idx, "Transpose", 1)) return false;
    const Attribute* a = g_.nodes[static_cast<size_t>(idx)].attr("perm");
    return a != nullptr && a->ints == perm;
  }

  void try_fuse(size_t i) override {
    const Node& sm = g_.nodes[i];
    if (!is_op(static_cast<int32_t>(i), "Softmax", 1) || !is_f32_rank4(sm.inputs[0])) return;
    const Attribute* axis_attr = sm.attr("axis");
    const int64_t axis = axis_attr != nullptr ? axis_attr->i : (model_.opset() >= 13 ? -1 : 1);
    if (axis != -1 && axis != 3) return;
    const int32_t pv_idx = reader_of(sm.outputs[0]);
    if (!is_op(pv_idx, "MatMul", 2)) return;
    const Node& pv = g_.nodes[static_cast<size_t>(pv_idx)];
    if (pv.inputs[0] != sm.outputs[0] || pv.inputs[1] == sm.outputs[0] || !is_f32_rank4(pv.inputs[1]) ||
        !is_f32_rank4(pv.outputs[0])) {
      return;
    }

    // Backwards from the Softmax: [Add(mask)], then the scores.
    AttentionMatch m;
    bool found = false;
    const int32_t add_idx = sole_producer(sm.inputs[0]);
    if (is_op(add_idx, "Add", 2)) {
      const Node& add = g_.nodes[static_cast<size_t>(add_idx)];
      for (size_t side = 0; side < 2 && !found; ++side) {
        AttentionMatch t;
        push(t, add_idx);
        const ValueId x = add.inputs[side], mask = add.inputs[1 - side];
        if (x == mask || !match_scores(x, t) || !mask_fits(mask, DType::kF32, t.scores)) continue;
        t.add_mask = mask;
        m = std::move(t);
        found = true;
      }
    } else {
      found = match_scores(sm.inputs[0], m);
    }
    if (!found) return;
    push(m, static_cast<int32_t>(i));
    push(m, pv_idx);

    // K^T, and the layout.
    ValueId k = kNoValue;
    bool k_bshd = false;
    const int32_t kt_idx = sole_producer(m.kt);
    if (is_transpose(kt_idx, {0, 1, 3, 2})) {
      k = g_.nodes[static_cast<size_t>(kt_idx)].inputs[0];
    } else if (is_transpose(kt_idx, {0, 2, 3, 1})) {
      k = g_.nodes[static_cast<size_t>(kt_idx)].inputs[0];
      k_bshd = true;
    } else {
      return;
    }
    const std::vector<int64_t> swap12 = {0, 2, 1, 3};
    const int32_t q_idx = transpose_producer(m.q, swap12);
    const int32_t v_idx = transpose_producer(pv.inputs[1], swap12);
    const int32_t y_idx = reader_of(pv.outputs[0]);
    const bool y_transposed = is_transpose(y_idx, swap12) && g_.nodes[static_cast<size_t>(y_idx)].inputs[0] == pv.outputs[0];
    const bool bshd = q_idx >= 0 && v_idx >= 0 && y_transposed;
    if (k_bshd && !bshd) return;  // K [B,Sk,H,D] with Q, V or Y in [B,H,S,*]: one layout per node
    if (value(k).dtype != DType::kF32) return;

    Node fused;
    ValueId q = m.q, v = pv.inputs[1], y = pv.outputs[0];
    m.chain.push_back(static_cast<size_t>(kt_idx));
    m.ops.push_back("Transpose");
    if (bshd && k_bshd) {
      q = g_.nodes[static_cast<size_t>(q_idx)].inputs[0];
      v = g_.nodes[static_cast<size_t>(v_idx)].inputs[0];
      y = g_.nodes[static_cast<size_t>(y_idx)].outputs[0];
      for (int32_t t : {q_idx, v_idx, y_idx}) {
        m.chain.push_back(static_cast<size_t>(t));
        m.ops.push_back("Transpose");
      }
    } else {
      k_bshd = false;
    }
    const size_t last = k_bshd ? static_cast<size_t>(y_idx) : static_cast<size_t>(pv_idx);
    fused.name = g_.nodes[last].name.empty() ? pv.name : g_.nodes[last].name;
    fused.op_type = "Attention";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = {q, k, v};
    if (m.add_mask != kNoValue || m.keep_mask != kNoValue) fused.inputs.push_back(m.add_mask);
    if (m.keep_mask != kNoValue) fused.inputs.push_back(m.keep_mask);
    fused.outputs = {y};
    Attribute scale;
    scale.name = "scale";
    scale.kind = Attribute::Kind::kFloat;
    scale.f = m.scale;
    fused.attributes.push_back(scale);
    if (m.fill) {
      Attribute fill;
      fill.name = "fill";
      fill.kind = Attribute::Kind::kFloat;
      fill.f = *m.fill;
      fused.attributes.push_back(fill);
    }
    Attribute layout;
    layout.name = "layout";
    layout.kind = Attribute::Kind::kString;
    layout.s = k_bshd ? "bshd" : "bhsd";
    fused.attributes.push_back(layout);
    install(std::move(m.ops), m.chain, last, std::move(fused));
  }
};

}  // namespace

Status fuse_attention(Model& model, PassContext& ctx) { return AttentionFuser(model, ctx).run(); }

}  // namespace fastserve
