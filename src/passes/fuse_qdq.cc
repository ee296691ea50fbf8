// fuse_qdq: QDQ import. The quantized models ONNX Runtime's quantize_static
// (QuantFormat.QDQ), QAT exporters and `fastserve quantize` write describe
// every integer op as float math between DequantizeLinear (DQ) and
// QuantizeLinear (Q) nodes. This pass turns each pattern into one integer op
// (graph/ops_fastserve.def) that reads and writes the 8-bit tensors:
//
//   DQ(x) -> Conv(DQ(w), bias) [-> Relu] -> Q        QConv (2-D, NHWC)
//   DQ(a), DQ(b) -> Add [-> Relu] -> Q               QAdd (same shapes)
//   DQ(x) -> GlobalAveragePool -> Q                  QGlobalAveragePool
//   DQ(x) -> MaxPool / Flatten / Reshape -> Q        the op on the 8-bit data,
//                                                    when Q has DQ's scale and zero point
//   DQ(x) -> Gemm / MatMul(DQ(w), bias)              MatMulIntegerToFloat (the
//                                                    float output stays: what
//                                                    follows reads it as before)
//
// int8 activations are first re-expressed as uint8 with the zero point
// moved by 128 (shift_signed_activations: exact), so symmetric and uint8
// QDQ models take the same kernels.
//
// Conditions: activations quantized per tensor with constant float32
// scales and constant zero points; w a constant 8-bit tensor with per-tensor
// or per-output-channel (axis 0) scales; bias absent, an int32 constant
// behind a DQ (re-expressed in units of x_scale * w_scale[m] when its scale
// differs), or a float32 constant (quantized to those units); the Conv's
// (Relu's) output read by the Q alone. ORT drops a Relu before a Q whose
// zero point is the range minimum (the Q's saturation is the Relu); a
// Relu kept in the file becomes the clamp at y_zero_point. What matches
// nothing stays as it is and runs in float on the DQ / Q kernels.
//
// Layout: QConv and QGlobalAveragePool read NHWC, and a MaxPool on 8-bit
// data becomes MaxPoolNhwc when its input is NHWC; QAdd follows its inputs.
// So u8 activations stay channels-last from one integer op to the next, and
// a Transpose is put only where a region meets the rest of the graph (the
// first QConv's input, a DQ still reading an NHWC value, graph outputs).
// Values keep their names: an NHWC value that something NCHW also reads is
// renamed <name>_nhwc, and the Transpose back writes the original.
//
// Only where the session has a fast INT8 GEMM (PassContext::fast_int8).
// Runs first among the fusions (level 2): the float fusions would otherwise
// take the Conv and Relu. Weight DQs must still be there, so the pass
// manager keeps fold_constants off DequantizeLinear until this pass has
// run, then folds the rest (pass_manager.cc).
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/fuser.h"
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

bool eight_bit(DType t) { return t == DType::kU8 || t == DType::kI8; }

// A per-tensor quantization: data value (8-bit), scale, zero point (kNoValue: 0).
struct ActQuant {
  ValueId data = kNoValue, scale = kNoValue, zero_point = kNoValue;
};

// Constant weights behind a DQ.
struct WeightQuant {
  ValueId data = kNoValue, scale = kNoValue, zero_point = kNoValue;
};

class QdqFuser : public Fuser {
 public:
  using Fuser::Fuser;

  Status run_all() {
    FS_RETURN_IF_ERROR(run());
    if (!fused_any_) return ok_status();
    drop_unread_dequantize();
    return to_channels_last();
  }

 private:
  const Node* producer_of(ValueId id) const {
    if (id == kNoValue) return nullptr;
    const int32_t p = value(id).producer;
    return p >= 0 && !removed_[static_cast<size_t>(p)] ? &g_.nodes[static_cast<size_t>(p)] : nullptr;
  }

  static bool is_op(const Node& n, const char* type) { return n.domain.empty() && n.op_type == type; }

  const Tensor* constant(ValueId id) const {
    if (id == kNoValue) return nullptr;
    const Value& v = value(id);
    return v.is_constant() ? &v.initializer : nullptr;
  }

  bool scalar_f32_constant(ValueId id) const {
    const Tensor* t = constant(id);
    return t != nullptr && t->dtype() == DType::kF32 && t->numel() == 1;
  }

  // Absent, or a one-value 8-bit constant.
  bool scalar_zp_constant(ValueId id) const {
    if (id == kNoValue) return true;
    const Tensor* t = constant(id);
    return t != nullptr && eight_bit(t->dtype()) && t->numel() == 1;
  }

  static ValueId input_or_none(const Node& n, size_t i) { return i < n.inputs.size() ? n.inputs[i] : kNoValue; }

  // `id` is the output of a per-tensor DQ of an 8-bit activation.
  std::optional<ActQuant> activation_dq(ValueId id) const {
    const Node* dq = producer_of(id);
    if (dq == nullptr || !is_op(*dq, "DequantizeLinear") || dq->inputs.size() < 2) return std::nullopt;
    ActQuant q{dq->inputs[0], dq->inputs[1], input_or_none(*dq, 2)};
    if (!eight_bit(value(q.data).dtype) || !scalar_f32_constant(q.scale) || !scalar_zp_constant(q.zero_point)) {
      return std::nullopt;
    }
    if (value(id).dtype != DType::kF32) return std::nullopt;
    return q;
  }

  // The one Q reading float value `id` (per tensor, constant parameters); its index in *q_index.
  std::optional<ActQuant> sole_quantize(ValueId id, size_t* q_index) const {
    const int32_t r = reader_of(id);
    if (r < 0) return std::nullopt;
    const Node& q = g_.nodes[static_cast<size_t>(r)];
    if (!is_op(q, "QuantizeLinear") || q.inputs.size() < 2 || q.inputs[0] != id || q.outputs.size() != 1) {
      return std::nullopt;
    }
    ActQuant out{q.outputs[0], q.inputs[1], input_or_none(q, 2)};
    if (!scalar_f32_constant(out.scale) || !scalar_zp_constant(out.zero_point) || !eight_bit(value(out.data).dtype)) {
      return std::nullopt;
    }
    *q_index = static_cast<size_t>(r);
    return out;
  }

  // Two per-tensor parameter pairs with the same values (and zero-point type).
  bool same_quantization(const ActQuant& a, const ActQuant& b) const {
    if (constant(a.scale)->element_as_double(0) != constant(b.scale)->element_as_double(0)) return false;
    const Tensor* za = constant(a.zero_point);
    const Tensor* zb = constant(b.zero_point);
    const double va = za != nullptr ? za->element_as_double(0) : 0.0, vb = zb != nullptr ? zb->element_as_double(0) : 0.0;
    const DType ta = za != nullptr ? za->dtype() : DType::kU8, tb = zb != nullptr ? zb->dtype() : DType::kU8;
    return va == vb && ta == tb && value(a.data).dtype == value(b.data).dtype;
  }

  // `id` is a DQ of constant 8-bit weights [M, ...] with a per-tensor or axis-0 scale.
  std::optional<WeightQuant> weight_dq(ValueId id, int64_t m) const {
    const Node* dq = producer_of(id);
    if (dq == nullptr || !is_op(*dq, "DequantizeLinear") || dq->inputs.size() < 2) return std::nullopt;
    WeightQuant w{dq->inputs[0], dq->inputs[1], input_or_none(*dq, 2)};
    const Tensor* data = constant(w.data);
    const Tensor* scale = constant(w.scale);
    if (data == nullptr || !eight_bit(data->dtype()) || scale == nullptr || scale->dtype() != DType::kF32) {
      return std::nullopt;
    }
    if (dq->attr("block_size") != nullptr && dq->attr("block_size")->i != 0) return std::nullopt;
    if (scale->numel() != 1) {
      const Attribute* axis = dq->attr("axis");
      const int64_t ax = axis != nullptr ? axis->i : 1;
      if ((ax != 0 && ax != -static_cast<int64_t>(data->rank())) || scale->rank() != 1 || scale->numel() != m) {
        return std::nullopt;
      }
    }
    if (w.zero_point != kNoValue) {
      const Tensor* zp = constant(w.zero_point);
      if (zp == nullptr || zp->dtype() != data->dtype() || zp->numel() != scale->numel()) return std::nullopt;
    }
    return w;
  }

  // The bias as int32 in units of x_scale * w_scale[m]: the DQ'd int32 as it
  // is when its scale is that product, else re-expressed (or quantized from
  // float32). kNoValue when there is none; nullopt when it cannot be used.
  std::optional<ValueId> integer_bias(ValueId id, const ActQuant& x, const WeightQuant& w, int64_t m) {
    if (id == kNoValue) return kNoValue;
    const double xs = constant(x.scale)->element_as_double(0);
    const Tensor* ws = constant(w.scale);
    auto unit = [&](int64_t c) { return static_cast<double>(static_cast<float>(xs) *
                                                            static_cast<float>(ws->element_as_double(ws->numel() == 1 ? 0 : c))); };
    std::vector<double> real(static_cast<size_t>(m));
    ValueId as_is = kNoValue;
    if (const Tensor* f = constant(id); f != nullptr) {
      if (f->dtype() != DType::kF32 || f->numel() != m) return std::nullopt;
      for (int64_t c = 0; c < m; ++c) real[static_cast<size_t>(c)] = f->element_as_double(c);
    } else {
      const Node* dq = producer_of(id);
      if (dq == nullptr || !is_op(*dq, "DequantizeLinear") || dq->inputs.size() < 2) return std::nullopt;
      const Tensor* b = constant(dq->inputs[0]);
      const Tensor* bs = constant(dq->inputs[1]);
      const Tensor* bz = constant(input_or_none(*dq, 2));
      if (b == nullptr || b->dtype() != DType::kI32 || b->numel() != m || bs == nullptr || bs->dtype() != DType::kF32 ||
          (bs->numel() != 1 && bs->numel() != m) || (input_or_none(*dq, 2) != kNoValue && bz == nullptr)) {
        return std::nullopt;
      }
      bool exact = true;
      for (int64_t c = 0; c < m; ++c) {
        if (bz != nullptr && bz->element_as_double(bz->numel() == 1 ? 0 : c) != 0.0) return std::nullopt;
        const double s = bs->element_as_double(bs->numel() == 1 ? 0 : c);
        real[static_cast<size_t>(c)] = b->element_as_double(c) * s;
        exact = exact && std::abs(s - unit(c)) <= 1e-6 * std::abs(unit(c));
      }
      if (exact) as_is = dq->inputs[0];
    }
    if (as_is != kNoValue) return as_is;
    std::vector<int32_t> q(static_cast<size_t>(m));
    for (int64_t c = 0; c < m; ++c) {
      const double u = unit(c);
      if (!(u > 0.0)) return std::nullopt;
      const double v = std::nearbyint(real[static_cast<size_t>(c)] / u);
      if (std::abs(v) > 2147483647.0) return std::nullopt;
      q[static_cast<size_t>(c)] = static_cast<int32_t>(v);
    }
    return add_initializer(g_, value(id).name + "_int32", Tensor::from_vector<int32_t>(q));
  }

  // `id`'s float value, read by [Relu ->] Q alone: the chain's node indices
  // are appended to `chain`.
  std::optional<ActQuant> output_quantize(ValueId id, std::vector<size_t>& chain, bool* relu) {
    *relu = false;
    size_t qi = 0;
    if (auto q = sole_quantize(id, &qi)) {
      chain.push_back(qi);
      return q;
    }
    const int32_t r = reader_of(id);
    if (r < 0) return std::nullopt;
    const Node& act = g_.nodes[static_cast<size_t>(r)];
    if (!is_op(act, "Relu") || act.outputs.size() != 1) return std::nullopt;
    auto q = sole_quantize(act.outputs[0], &qi);
    if (!q) return std::nullopt;
    *relu = true;
    chain.push_back(static_cast<size_t>(r));
    chain.push_back(qi);
    return q;
  }

  static bool rank4(const Value& v) { return v.shape_known && v.shape.rank() == 4; }

  // Same rank-4 shape, the batch dim possibly unknown in both.
  static bool same_shape(const Value& a, const Value& b) {
    if (!rank4(a) || !rank4(b)) return false;
    for (size_t i = 0; i < 4; ++i) {
      if (i == 0 && a.shape[0] == kUnknownDim && b.shape[0] == kUnknownDim) continue;
      if (a.shape[i] == kUnknownDim || a.shape[i] != b.shape[i]) return false;
    }
    return true;
  }

  Node make_node(const Node& like, const char* op_type, const char* domain) const {
    Node n;
    n.name = like.name;
    n.op_type = op_type;
    n.domain = domain;
    return n;
  }

  static Attribute string_attr(const char* name, const char* s) {
    Attribute a;
    a.name = name;
    a.kind = Attribute::Kind::kString;
    a.s = s;
    return a;
  }

  void emit(std::vector<size_t> chain, Node fused) {
    std::vector<std::string> ops;
    for (size_t c : chain) ops.push_back(op_key(g_.nodes[c]));
    const size_t last = chain.back();
    install(std::move(ops), chain, last, std::move(fused));
    fused_any_ = true;
  }

  void try_conv(size_t i) {
    const Node& conv = g_.nodes[i];
    if (conv.inputs.size() < 2 || conv.outputs.size() != 1) return;
    const Value& wv = value(conv.inputs[1]);
    if (!rank4(wv) || !wv.shape.is_static() || !rank4(value(conv.inputs[0]))) return;
    const int64_t m = wv.shape[0];
    auto x = activation_dq(conv.inputs[0]);
    if (!x || value(x->data).dtype != DType::kU8) return;
    auto w = weight_dq(conv.inputs[1], m);
    if (!w) return;
    std::vector<size_t> chain = {i};
    bool relu = false;
    auto y = output_quantize(conv.outputs[0], chain, &relu);
    if (!y) return;
    auto bias = integer_bias(input_or_none(conv, 2), *x, *w, m);
    if (!bias) return;
    Node fused = make_node(g_.nodes[chain.back()], "QConv", "fastserve");
    fused.inputs = {x->data, x->scale, x->zero_point, w->data, w->scale, w->zero_point, y->scale, y->zero_point};
    if (*bias != kNoValue) fused.inputs.push_back(*bias);
    fused.outputs = {y->data};
    fused.attributes = conv.attributes;
    if (relu) fused.attributes.push_back(string_attr("activation", "Relu"));
    emit(std::move(chain), std::move(fused));
  }

  void try_add(size_t i) {
    const Node& add = g_.nodes[i];
    if (add.inputs.size() != 2 || add.outputs.size() != 1) return;
    if (!same_shape(value(add.inputs[0]), value(add.inputs[1]))) return;
    auto a = activation_dq(add.inputs[0]);
    auto b = activation_dq(add.inputs[1]);
    if (!a || !b || value(a->data).dtype != value(b->data).dtype) return;
    std::vector<size_t> chain = {i};
    bool relu = false;
    auto y = output_quantize(add.outputs[0], chain, &relu);
    if (!y) return;
    Node fused = make_node(g_.nodes[chain.back()], "QAdd", "fastserve");
    fused.inputs = {a->data, a->scale, a->zero_point, b->data, b->scale, b->zero_point, y->scale, y->zero_point};
    fused.outputs = {y->data};
    if (relu) fused.attributes.push_back(string_attr("activation", "Relu"));
    emit(std::move(chain), std::move(fused));
  }

  void try_global_average_pool(size_t i) {
    const Node& pool = g_.nodes[i];
    if (pool.inputs.size() != 1 || pool.outputs.size() != 1 || !rank4(value(pool.inputs[0]))) return;
    auto x = activation_dq(pool.inputs[0]);
    if (!x) return;
    std::vector<size_t> chain = {i};
    size_t qi = 0;
    auto y = sole_quantize(pool.outputs[0], &qi);
    if (!y) return;
    chain.push_back(qi);
    Node fused = make_node(g_.nodes[qi], "QGlobalAveragePool", "fastserve");
    fused.inputs = {x->data, x->scale, x->zero_point, y->scale, y->zero_point};
    fused.outputs = {y->data};
    emit(std::move(chain), std::move(fused));
  }

  // MaxPool, Flatten, Reshape: the same op on the 8-bit data when Q undoes DQ exactly.
  void try_pass_through(size_t i) {
    const Node& op = g_.nodes[i];
    if (op.inputs.empty() || op.outputs.size() != 1) return;
    if (op.op_type == "MaxPool" && (op.attr("storage_order") != nullptr && op.attr("storage_order")->i != 0)) return;
    auto x = activation_dq(op.inputs[0]);
    if (!x) return;
    size_t qi = 0;
    auto y = sole_quantize(op.outputs[0], &qi);
    if (!y || !same_quantization(*x, *y)) return;
    Node fused = op;
    fused.name = g_.nodes[qi].name.empty() ? op.name : g_.nodes[qi].name;
    fused.inputs[0] = x->data;
    fused.outputs = {y->data};
    emit({i, qi}, std::move(fused));
  }

  // Gemm (alpha = beta = 1, no transA) or MatMul with constant DQ'd
  // weights: fastserve.MatMulIntegerToFloat(x_q, W as [K, N], x_zp, w_zp,
  // x_s * w_s[n], bias as float), the int8 GEMM with the scales applied to
  // its int32 result. The output is the same float value, so a Q after it
  // (or anything else) reads it unchanged.
  void try_matmul(size_t i) {
    const Node& mm = g_.nodes[i];
    const bool gemm = mm.op_type == "Gemm";
    if (mm.inputs.size() < 2 || mm.outputs.size() != 1) return;
    auto attr_or = [&](const char* name, double d) {
      const Attribute* a = mm.attr(name);
      return a == nullptr ? d : a->kind == Attribute::Kind::kFloat ? static_cast<double>(a->f) : static_cast<double>(a->i);
    };
    if (gemm && (attr_or("alpha", 1.0) != 1.0 || attr_or("beta", 1.0) != 1.0 || attr_or("transA", 0) != 0)) return;
    const bool trans_b = gemm && attr_or("transB", 0) != 0;
    const Value& wv = value(mm.inputs[1]);
    if (!wv.shape_known || wv.shape.rank() != 2 || !wv.shape.is_static()) return;
    const int64_t k = wv.shape[trans_b ? 1 : 0], n = wv.shape[trans_b ? 0 : 1];
    auto x = activation_dq(mm.inputs[0]);
    if (!x) return;
    const Node* wdq = producer_of(mm.inputs[1]);
    if (wdq == nullptr || !is_op(*wdq, "DequantizeLinear") || wdq->inputs.size() < 2) return;
    const Tensor* w = constant(wdq->inputs[0]);
    const Tensor* ws = constant(wdq->inputs[1]);
    const Tensor* wz = constant(input_or_none(*wdq, 2));
    if (w == nullptr || !eight_bit(w->dtype()) || ws == nullptr || ws->dtype() != DType::kF32) return;
    if (input_or_none(*wdq, 2) != kNoValue && (wz == nullptr || wz->numel() != ws->numel())) return;
    if (ws->numel() != 1) {
      const Attribute* axis = wdq->attr("axis");
      const int64_t ax = axis != nullptr ? axis->i : 1;
      const int64_t n_axis = trans_b ? 0 : 1;
      if ((ax != n_axis && ax != n_axis - 2) || ws->numel() != n) return;
    }
    const double xs = constant(x->scale)->element_as_double(0);
    std::vector<float> scale(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      scale[static_cast<size_t>(j)] = static_cast<float>(xs) * static_cast<float>(ws->element_as_double(ws->numel() == 1 ? 0 : j));
    }
    // The bias as float32 [N] (the value its DQ computes), if any.
    ValueId bias = kNoValue;
    const ValueId c = gemm ? input_or_none(mm, 2) : kNoValue;
    if (c != kNoValue) {
      std::vector<float> b(static_cast<size_t>(n));
      if (const Tensor* f = constant(c); f != nullptr) {
        if (f->dtype() != DType::kF32 || f->numel() != n) return;
        for (int64_t j = 0; j < n; ++j) b[static_cast<size_t>(j)] = static_cast<float>(f->element_as_double(j));
      } else {
        const Node* bdq = producer_of(c);
        if (bdq == nullptr || !is_op(*bdq, "DequantizeLinear") || bdq->inputs.size() < 2) return;
        const Tensor* bq = constant(bdq->inputs[0]);
        const Tensor* bs = constant(bdq->inputs[1]);
        const Tensor* bz = constant(input_or_none(*bdq, 2));
        if (bq == nullptr || bq->dtype() != DType::kI32 || bq->numel() != n || bs == nullptr ||
            bs->dtype() != DType::kF32 || (bs->numel() != 1 && bs->numel() != n)) {
          return;
        }
        for (int64_t j = 0; j < n; ++j) {
          const double z = bz != nullptr ? bz->element_as_double(bz->numel() == 1 ? 0 : j) : 0.0;
          b[static_cast<size_t>(j)] = static_cast<float>(bq->element_as_double(j) - z) *
                                      static_cast<float>(bs->element_as_double(bs->numel() == 1 ? 0 : j));
        }
      }
      bias = add_initializer(g_, value(c).name + "_f32", Tensor::from_vector<float>(b));
    }
    // W as [K, N] (the GEMM packs B from that layout). `w` pointed into
    // g_.values, which add_initializer above may have reallocated: look the
    // constant up again.
    ValueId b_kn = wdq->inputs[0];
    if (trans_b) {
      const Tensor wt = *constant(wdq->inputs[0]);
      Tensor t = Tensor::empty(wt.dtype(), Shape{k, n});
      const auto* src = static_cast<const uint8_t*>(wt.raw_data());
      auto* dst = static_cast<uint8_t*>(t.raw_data());
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t q = 0; q < k; ++q) dst[q * n + r] = src[r * k + q];
      }
      b_kn = add_initializer(g_, value(wdq->inputs[0]).name + "_kn", std::move(t));
    }
    Node fused = make_node(mm, "MatMulIntegerToFloat", "fastserve");
    fused.inputs = {x->data, b_kn, x->zero_point, input_or_none(*wdq, 2),
                    add_initializer(g_, mm.name + "_scale", Tensor::from_vector<float>(scale))};
    if (bias != kNoValue) fused.inputs.push_back(bias);
    fused.outputs = {mm.outputs[0]};
    emit({i}, std::move(fused));
  }

  void try_fuse(size_t i) override {
    const Node& n = g_.nodes[i];
    if (!n.domain.empty()) return;
    if (n.op_type == "Gemm" || n.op_type == "MatMul") {
      try_matmul(i);
    } else if (n.op_type == "Conv") {
      try_conv(i);
    } else if (n.op_type == "Add") {
      try_add(i);
    } else if (n.op_type == "GlobalAveragePool") {
      try_global_average_pool(i);
    } else if (n.op_type == "MaxPool" || n.op_type == "Flatten" || n.op_type == "Reshape") {
      try_pass_through(i);
    }
  }

  // The DQs the fused ops replaced (weights, biases, activations nothing
  // else reads): gone before the layout step, which would otherwise give
  // each a Transpose back to NCHW, and before fold_constants, which would
  // dequantize the weights for nothing.
  void drop_unread_dequantize() {
    const auto consumers = consumers_of(g_);
    const std::vector<bool> outputs = graph_output_flags(g_);
    std::vector<bool> drop(g_.nodes.size(), false);
    bool any = false;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& n = g_.nodes[i];
      if (!is_op(n, "DequantizeLinear") || n.outputs.size() != 1) continue;
      const auto out = static_cast<size_t>(n.outputs[0]);
      if (consumers[out].empty() && !outputs[out]) drop[i] = any = true;
    }
    if (any) remove_nodes(g_, drop);
  }

  // --- layout ---------------------------------------------------------------

  // Input slots of node `n` that want NHWC data (given which values are NHWC so far).
  static std::vector<size_t> nhwc_slots(const Node& n, const std::vector<bool>& nhwc, const Graph& g) {
    if (n.domain == kFastServeDomain && (n.op_type == "QConv" || n.op_type == "QGlobalAveragePool")) return {0};
    if (n.domain == kFastServeDomain && n.op_type == "MaxPoolNhwc") return {0};
    if (n.domain == kFastServeDomain && n.op_type == "QAdd") {
      const Value& a = g.values[static_cast<size_t>(n.inputs[0])];
      const Value& b = g.values[static_cast<size_t>(n.inputs[3])];
      const bool either = nhwc[static_cast<size_t>(n.inputs[0])] || nhwc[static_cast<size_t>(n.inputs[3])];
      if (either && rank4(a) && rank4(b)) return {0, 3};
    }
    return {};
  }

  ValueId add_transpose(ValueId from, ValueId to, const std::vector<int64_t>& perm, const std::string& suffix) {
    if (to == kNoValue) {
      Value v;
      v.name = unique_value_name(g_, value(from).name + suffix);
      v.dtype = value(from).dtype;
      to = g_.add_value(std::move(v));
    }
    Node t;
    t.name = value(to).name;
    t.op_type = "Transpose";
    t.inputs = {from};
    t.outputs = {to};
    Attribute a;
    a.name = "perm";
    a.kind = Attribute::Kind::kInts;
    a.ints = perm;
    t.attributes.push_back(std::move(a));
    g_.nodes.push_back(std::move(t));
    return to;
  }

  Status to_channels_last() {
    // Graph order is topological here: fusion kept it, and removed nodes are gone.
    std::vector<bool> nhwc(g_.values.size(), false);
    std::vector<std::vector<size_t>> slots(g_.nodes.size());
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      Node& n = g_.nodes[i];
      const bool pool_8bit = n.domain.empty() && n.op_type == "MaxPool" && n.outputs.size() == 1 &&
                             eight_bit(value(n.inputs[0]).dtype) && nhwc[static_cast<size_t>(n.inputs[0])] &&
                             n.attr("kernel_shape") != nullptr && n.attr("kernel_shape")->ints.size() == 2;
      if (pool_8bit) {
        n.op_type = "MaxPoolNhwc";
        n.domain = std::string(kFastServeDomain);
      }
      slots[i] = nhwc_slots(n, nhwc, g_);
      const bool writes_nhwc = n.domain == kFastServeDomain &&
                               (n.op_type == "QConv" || n.op_type == "MaxPoolNhwc" || (n.op_type == "QAdd" && !slots[i].empty()));
      if (writes_nhwc) nhwc[static_cast<size_t>(n.outputs[0])] = true;
    }
    const size_t original_nodes = g_.nodes.size();
    // NCHW values NHWC slots read: one Transpose each.
    std::map<ValueId, ValueId> to_nhwc;
    for (size_t i = 0; i < original_nodes; ++i) {
      for (size_t s : slots[i]) {
        const ValueId v = g_.nodes[i].inputs[s];
        if (nhwc[static_cast<size_t>(v)]) continue;
        auto it = to_nhwc.find(v);
        if (it == to_nhwc.end()) {
          const ValueId t = add_transpose(v, kNoValue, {0, 2, 3, 1}, "_nhwc");
          nhwc.push_back(true);
          it = to_nhwc.emplace(v, t).first;
        }
        g_.nodes[i].inputs[s] = it->second;
      }
    }
    // NHWC values something else reads (or the graph returns): the producer
    // writes <name>_nhwc, and a Transpose back writes the original value.
    const auto consumers = consumers_of(g_);
    const std::vector<bool> outputs = graph_output_flags(g_);
    const size_t values = nhwc.size();
    for (size_t v = 0; v < values && v < consumers.size(); ++v) {
      if (!nhwc[v] || to_nhwc_target(to_nhwc, static_cast<ValueId>(v))) continue;
      Value& val = g_.values[v];
      val.shape_known = false;
      val.shape = Shape();
      val.dim_params.clear();
      bool nchw_reader = outputs[v];
      for (int32_t c : consumers[v]) {
        const Node& n = g_.nodes[static_cast<size_t>(c)];
        const std::vector<size_t>& ok = static_cast<size_t>(c) < original_nodes ? slots[static_cast<size_t>(c)]
                                                                               : std::vector<size_t>{};
        for (size_t s = 0; s < n.inputs.size(); ++s) {
          if (n.inputs[s] == static_cast<ValueId>(v) && std::find(ok.begin(), ok.end(), s) == ok.end()) nchw_reader = true;
        }
      }
      if (!nchw_reader) continue;
      const ValueId orig = static_cast<ValueId>(v);
      Value renamed;
      renamed.name = unique_value_name(g_, g_.values[v].name + "_nhwc");
      renamed.dtype = g_.values[v].dtype;
      const ValueId nid = g_.add_value(std::move(renamed));
      for (int32_t c : consumers[v]) {
        if (static_cast<size_t>(c) >= original_nodes) continue;
        Node& n = g_.nodes[static_cast<size_t>(c)];
        for (size_t s : slots[static_cast<size_t>(c)]) {
          if (n.inputs[s] == orig) n.inputs[s] = nid;
        }
      }
      const int32_t prod = g_.values[v].producer;
      Node& p = g_.nodes[static_cast<size_t>(prod)];
      for (ValueId& o : p.outputs) {
        if (o == orig) o = nid;
      }
      g_.values[v].dtype = g_.values[static_cast<size_t>(nid)].dtype;
      add_transpose(nid, orig, {0, 3, 1, 2}, "");
      // The original value is NCHW again, with its shape re-inferred.
    }
    g_.reindex();
    return g_.sort_topologically();
  }

  static bool to_nhwc_target(const std::map<ValueId, ValueId>& m, ValueId v) {
    for (const auto& [from, to] : m) {
      if (to == v) return true;
    }
    return false;
  }

  bool fused_any_ = false;
};

}  // namespace

namespace {

// int8 activations (symmetric quantization, some QAT exports) become uint8
// ones with the zero point moved by 128: Q's saturate(round(x / s) + zp)
// over [-128, 127] plus 128 is exactly saturate(round(x / s) + zp + 128)
// over [0, 255], and every DQ reading it subtracts the moved zero point, so
// each DQ output is unchanged while the integer kernels (uint8 inputs) can
// take the tensor. Only for a Q with constant per-tensor parameters whose
// output only DQs with the same parameters read (not a graph output).
int64_t shift_signed_activations(Model& model) {
  Graph& g = model.graph;
  const std::vector<std::vector<int32_t>> readers = consumers_of(g);
  const std::vector<bool> is_output = graph_output_flags(g);
  auto scalar = [&](ValueId id, DType dt) -> const Tensor* {
    if (id == kNoValue) return nullptr;
    const Value& v = g.values[static_cast<size_t>(id)];
    return v.is_constant() && v.initializer.dtype() == dt && v.initializer.numel() == 1 ? &v.initializer : nullptr;
  };
  int64_t shifted = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& q = g.nodes[i];
    if (!q.domain.empty() || q.op_type != "QuantizeLinear" || q.inputs.size() < 3 || q.outputs.size() != 1 ||
        q.attr("output_dtype") != nullptr) {
      continue;
    }
    const Tensor* scale = scalar(q.inputs[1], DType::kF32);
    const Tensor* zp = scalar(q.inputs[2], DType::kI8);
    const ValueId y = q.outputs[0];
    if (scale == nullptr || zp == nullptr || is_output[static_cast<size_t>(y)] || readers[static_cast<size_t>(y)].empty()) {
      continue;
    }
    bool ok = true;
    for (int32_t r : readers[static_cast<size_t>(y)]) {
      const Node& dq = g.nodes[static_cast<size_t>(r)];
      const Tensor* ds = dq.inputs.size() > 1 ? scalar(dq.inputs[1], DType::kF32) : nullptr;
      const Tensor* dz = dq.inputs.size() > 2 ? scalar(dq.inputs[2], DType::kI8) : nullptr;
      ok = ok && dq.domain.empty() && dq.op_type == "DequantizeLinear" && dq.inputs[0] == y && ds != nullptr &&
           dz != nullptr && ds->data<float>()[0] == scale->data<float>()[0] &&
           dz->data<int8_t>()[0] == zp->data<int8_t>()[0];
    }
    if (!ok) continue;
    const auto moved = static_cast<uint8_t>(int{zp->data<int8_t>()[0]} + 128);
    const ValueId uzp = add_initializer(g, g.values[static_cast<size_t>(q.inputs[2])].name + "_u8", Tensor::scalar(moved));
    g.nodes[i].inputs[2] = uzp;
    for (int32_t r : readers[static_cast<size_t>(y)]) g.nodes[static_cast<size_t>(r)].inputs[2] = uzp;
    g.values[static_cast<size_t>(y)].dtype = DType::kU8;
    ++shifted;
  }
  return shifted;
}

}  // namespace

Status fuse_qdq(Model& model, PassContext& ctx) {
  if (!ctx.fast_int8) return ok_status();  // the float path is faster there (pass_manager.h)
  if (shift_signed_activations(model) > 0) {
    ctx.note_rewrite({"QuantizeLinear", "DequantizeLinear"});
    drop_unreferenced_values(model.graph);
  }
  return QdqFuser(model, ctx).run_all();
}

}  // namespace fastserve
