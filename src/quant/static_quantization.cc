// Static (QDQ) quantization (see static_quantization.h).
#include "quant/static_quantization.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "passes/graph_edit.h"
#include "quant/graph_building.h"

namespace fastserve::quant {
namespace {

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool is_op(const Node& n, const char* op) { return default_domain(n) && n.op_type == op; }

bool is_pass_through(const Node& n) {
  static const std::set<std::string> kOps = {"MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze"};
  if (!default_domain(n) || kOps.count(n.op_type) == 0) return false;
  // MaxPool's optional Indices output is not a value range.
  return !(n.op_type == "MaxPool" && n.outputs.size() > 1 && n.outputs[1] != kNoValue);
}

// Ops whose definition did not change between opset 13 and 21, so a model
// can be raised to opset 21 (int4 DequantizeLinear) without changing meaning.
bool stable_13_to_21(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Conv", "Gemm", "MatMul", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "MaxPool",
      "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze",
      "Unsqueeze", "Add", "Sub", "Mul", "Div", "Concat", "Gather", "Shape", "Identity", "Clip", "Erf", "Sqrt",
      "Pow", "Where", "Slice", "Cast", "Constant", "BatchNormalization", "Dropout", "Gelu", "Exp", "Neg",
      "HardSigmoid", "HardSwish", "Elu", "Tile", "Expand", "Equal", "Less", "Greater", "Not", "ArgMax",
      "LayerNormalization", "Softplus", "Abs", "Floor", "Ceil", "Round", "Max", "Min", "Sum", "Mean",
      "QuantizeLinear", "DequantizeLinear"};
  return kOps.count(op) > 0;
}

bool float_activation(const Graph& g, ValueId v) {
  if (v == kNoValue) return false;
  const Value& val = g.values[static_cast<size_t>(v)];
  return !val.is_constant() && val.dtype == DType::kF32;
}

std::string node_label(const Graph& g, const Node& n) {
  if (!n.name.empty()) return n.name;
  return n.outputs.empty() || n.outputs[0] == kNoValue ? n.op_type
                                                        : g.values[static_cast<size_t>(n.outputs[0])].name;
}

// Why a weighted-op candidate cannot be quantized ("" when it can).
std::string weighted_candidate_problem(const Graph& g, const Node& n) {
  if (n.inputs.size() < 2 || !float_activation(g, n.inputs[0])) return "its input is not a float32 activation";
  const Tensor* w = constant_input(g, n, 1);
  if (w == nullptr) return "its weight is not a constant";
  if (w->dtype() != DType::kF32) return "its weight is not float32";
  if (n.op_type == "Conv" && w->rank() < 3) return "its weight has rank < 3";
  if (n.op_type != "Conv" && w->rank() != 2) return "its weight is not a matrix";
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* b = constant_input(g, n, 2);
    if (b == nullptr || b->dtype() != DType::kF32) return "its bias is not a float32 constant";
    if (n.op_type == "Gemm" && b->rank() != 1) return "its bias is not a vector";
  }
  if (n.op_type == "Gemm") {
    const Attribute* alpha = n.attr("alpha");
    const Attribute* beta = n.attr("beta");
    const Attribute* trans_a = n.attr("transA");
    if (alpha != nullptr && alpha->f != 1.f) return "alpha != 1";
    if (beta != nullptr && beta->f != 1.f) return "beta != 1";
    if (trans_a != nullptr && trans_a->i != 0) return "transA = 1";
  }
  return "";
}

bool trans_b(const Node& n) {
  const Attribute* t = n.attr("transB");
  return n.op_type == "Gemm" && t != nullptr && t->i != 0;
}

// The weight axis that indexes output channels, and the reduction axis.
int64_t output_axis(const Node& n) { return n.op_type == "Conv" ? 0 : (trans_b(n) ? 0 : 1); }
int64_t reduction_axis(const Node& n) { return n.op_type == "Conv" ? 1 : (trans_b(n) ? 1 : 0); }

int64_t initializer_bytes(const Graph& g) {
  int64_t total = 0;
  for (const Value& v : g.values) {
    if (!v.is_constant()) continue;
    const Tensor& t = v.initializer;
    // int4 is held one per byte but stored two per byte in the file.
    total += (t.dtype() == DType::kI4 || t.dtype() == DType::kU4) ? (t.numel() + 1) / 2
                                                                  : static_cast<int64_t>(t.nbytes());
  }
  return total;
}

struct QuantizedWeight {
  Tensor q, scale;
  QuantLayout layout;
  std::vector<QuantParams> params;
  StaticQuantLayer stats;
};

Result<QuantizedWeight> quantize_weight(const Tensor& w, const Node& n, const StaticQuantOptions& o) {
  QuantizedWeight out;
  DType qtype = DType::kI8;
  Shape scale_shape;
  if (o.weights == WeightBits::kInt4) {
    qtype = DType::kI4;
    const int64_t axis = reduction_axis(n);
    if (w.dim(static_cast<size_t>(axis)) >= o.block) {
      out.layout = QuantLayout{axis, o.block};
      std::vector<int64_t> dims = w.shape().dims();
      dims[static_cast<size_t>(axis)] = (dims[static_cast<size_t>(axis)] + o.block - 1) / o.block;
      scale_shape = Shape(dims);
      out.stats.granularity = "blocks of " + std::to_string(o.block);
    } else {  // a first conv with one input channel: a block would be a few weights
      out.layout = QuantLayout{output_axis(n), 0};
      scale_shape = Shape{w.dim(static_cast<size_t>(output_axis(n)))};
      out.stats.granularity = "per channel";
    }
  } else if (o.per_channel) {
    out.layout = QuantLayout{output_axis(n), 0};
    scale_shape = Shape{w.dim(static_cast<size_t>(output_axis(n)))};
    out.stats.granularity = "per channel";
  } else {
    out.stats.granularity = "per tensor";
  }
  FS_ASSIGN_OR_RETURN(out.params, choose_quant_params_for(w, out.layout, qtype, /*symmetric=*/true));
  FS_ASSIGN_OR_RETURN(out.q, quantize_tensor(w, out.layout, out.params, qtype));
  FS_ASSIGN_OR_RETURN(Tensor back, dequantize_tensor(out.q, out.layout, out.params));
  out.scale = Tensor::empty(DType::kF32, scale_shape);
  out.stats.scale_min = std::numeric_limits<float>::infinity();
  out.stats.scale_max = 0;
  for (size_t i = 0; i < out.params.size(); ++i) {
    out.scale.data<float>()[i] = out.params[i].scale;
    out.stats.scale_min = std::min(out.stats.scale_min, out.params[i].scale);
    out.stats.scale_max = std::max(out.stats.scale_max, out.params[i].scale);
  }
  double err = 0, sig = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double x = w.data<float>()[i];
    const double d = x - back.data<float>()[i];
    err += d * d;
    sig += x * x;
  }
  out.stats.weight_shape = w.shape();
  out.stats.mse = w.numel() > 0 ? err / static_cast<double>(w.numel()) : 0;
  out.stats.snr_db = err > 0 ? 10.0 * std::log10(sig / err) : std::numeric_limits<double>::infinity();
  return out;
}

// int32 bias b / (x_scale * w_scale[c]), zero point 0, as integer kernels
// add it to their accumulators.
void quantize_bias(const Tensor& b, float x_scale, const std::vector<QuantParams>& w_params, Tensor* q,
                   Tensor* scale) {
  const int64_t c = b.numel();
  *q = Tensor::empty(DType::kI32, b.shape());
  *scale = Tensor::empty(DType::kF32, w_params.size() == 1 ? Shape{} : Shape{c});
  for (int64_t i = 0; i < c; ++i) {
    const float ws = w_params.size() == 1 ? w_params[0].scale : w_params[static_cast<size_t>(i)].scale;
    const float s = x_scale * ws;
    if (w_params.size() != 1 || i == 0) scale->data<float>()[w_params.size() == 1 ? 0 : i] = s;
    const double v = s > 0 ? std::nearbyint(static_cast<double>(b.data<float>()[i]) / s) : 0.0;
    q->data<int32_t>()[i] = static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0));
  }
}

}  // namespace

bool is_quantized_model(const Model& model, std::string* which) {
  static const std::set<std::string> kOps = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
                                             "MatMulInteger",  "ConvInteger",      "QLinearMatMul",
                                             "QLinearConv",    "QLinearAdd",       "MatMulNBits"};
  for (const Node& n : model.graph.nodes) {
    if ((default_domain(n) || n.domain == "com.microsoft") && kOps.count(n.op_type) > 0) {
      if (which != nullptr) *which = "node '" + n.name + "' is " + n.op_type;
      return true;
    }
  }
  return false;
}

Result<StaticQuantPlan> plan_static_quantization(const Model& model, const StaticQuantOptions& options) {
  const std::string who = model.display_name();
  std::string which;
  if (is_quantized_model(model, &which)) return invalid_argument(who + ": already quantized (" + which + ")");
  Model m = model;  // shapes and dtypes inferred on a copy (the tensors are shared)
  FS_RETURN_IF_ERROR(infer_graph_shapes(m));
  const Graph& g = m.graph;
  const std::set<std::string> exclude(options.exclude.begin(), options.exclude.end());
  for (const std::string& name : exclude) {
    const bool found = std::any_of(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.name == name; });
    if (!found) return invalid_argument(who + ": --exclude '" + name + "' names no node of the model");
  }
  const int64_t opset = model.opset("");
  if (options.quantize_activations && opset < 10) {
    return invalid_argument(who + ": opset " + std::to_string(opset) + " is below 10, which QuantizeLinear needs");
  }
  if (options.weights == WeightBits::kInt8 && options.per_channel && opset < 13) {
    return invalid_argument(who + ": opset " + std::to_string(opset) +
                            " is below 13, which per-channel DequantizeLinear (axis) needs; use --per-tensor");
  }
  if (options.weights == WeightBits::kInt4) {
    if (options.block < 1) return invalid_argument("--block " + std::to_string(options.block) + " must be >= 1");
    if (opset < 21) {
      if (opset < 13) {
        return invalid_argument(who + ": opset " + std::to_string(opset) +
                                " is below 13; int4 weights need the model raised to opset 21");
      }
      for (const Node& n : g.nodes) {
        if (default_domain(n) && !stable_13_to_21(n.op_type)) {
          return invalid_argument(who + ": int4 weights need opset 21, and node '" + n.name + "' (" + n.op_type +
                                  ") may mean something else there than at opset " + std::to_string(opset));
        }
      }
    }
  }

  FS_ASSIGN_OR_RETURN(std::vector<int32_t> order, g.topological_order());
  StaticQuantPlan plan;
  // A value inside a quantized region: written by a quantized node, or by
  // a Relu whose input is (the Relu runs between DQ and Q).
  std::vector<bool> in_region(g.values.size(), false);
  std::vector<bool> inherits(g.values.size(), false);  // written by a quantized pass-through op
  std::vector<bool> needs_range(g.values.size(), false);
  std::set<int32_t> quantized;
  for (int32_t idx : order) {
    const Node& n = g.nodes[static_cast<size_t>(idx)];
    const bool weighted_op = is_op(n, "Conv") || is_op(n, "Gemm") || is_op(n, "MatMul");
    if (weighted_op) {
      std::string why = weighted_candidate_problem(g, n);
      if (why.empty() && exclude.count(n.name)) why = "excluded";
      if (!why.empty()) {
        plan.kept.push_back(node_label(g, n) + ": " + why);
        continue;
      }
      plan.weighted.push_back(idx);
      quantized.insert(idx);
      if (options.quantize_activations) needs_range[static_cast<size_t>(n.inputs[0])] = true;
    } else if (options.quantize_activations && !exclude.count(n.name)) {
      const bool add = is_op(n, "Add") && n.inputs.size() == 2 && float_activation(g, n.inputs[0]) &&
                       float_activation(g, n.inputs[1]);
      const bool pool = (is_op(n, "AveragePool") || is_op(n, "GlobalAveragePool")) && !n.inputs.empty() &&
                        float_activation(g, n.inputs[0]);
      const bool through = is_pass_through(n) && !n.inputs.empty() && float_activation(g, n.inputs[0]) &&
                           in_region[static_cast<size_t>(n.inputs[0])];
      if (add || pool || through) {
        plan.activation_ops.push_back(idx);
        quantized.insert(idx);
        needs_range[static_cast<size_t>(n.inputs[0])] = true;
        if (add) needs_range[static_cast<size_t>(n.inputs[1])] = true;
        if (through) inherits[static_cast<size_t>(n.outputs[0])] = true;
      }
    }
    if (quantized.count(idx)) {
      for (ValueId out : n.outputs) {
        if (out != kNoValue) in_region[static_cast<size_t>(out)] = true;
      }
    } else if (is_op(n, "Relu") && !n.inputs.empty() && n.inputs[0] != kNoValue &&
               in_region[static_cast<size_t>(n.inputs[0])]) {
      in_region[static_cast<size_t>(n.outputs[0])] = true;
    }
  }
  if (plan.weighted.empty()) {
    return invalid_argument(who + ": nothing to quantize (no Conv, Gemm or MatMul with a float32 constant weight" +
                            (plan.kept.empty() ? std::string(")") : "; kept: " + plan.kept.front() + ")"));
  }
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (needs_range[v] && !inherits[v]) plan.calibrate.push_back(g.values[v].name);
  }
  return plan;
}

Result<StaticQuantReport> quantize_static(Model& model, const StaticQuantPlan& plan,
                                          const std::map<std::string, RangeObserver>& ranges,
                                          const StaticQuantOptions& options) {
  const std::string who = model.display_name();
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));
  Graph& g = model.graph;
  StaticQuantReport report;
  report.kept = plan.kept;
  report.weight_bytes_before = initializer_bytes(g);
  report.opset_before = model.opset("");

  // Activation parameters: calibrated ones first, then inherited ones in
  // graph order (a pass-through op's output takes its input's).
  const DType act_type = options.symmetric_activations ? DType::kI8 : DType::kU8;
  std::map<ValueId, QuantizedTensorInfo> act;
  if (options.quantize_activations) {
    for (const std::string& name : plan.calibrate) {
      const auto it = ranges.find(name);
      if (it == ranges.end()) return invalid_argument(who + ": calibration has no range for tensor '" + name + "'");
      Result<std::pair<float, float>> r = it->second.range(options.method, options.percentile);
      if (!r.ok()) return r.status().with_context(who + ": tensor '" + name + "'");
      QuantizedTensorInfo info;
      info.tensor = name;
      info.rmin = r->first;
      info.rmax = r->second;
      info.dtype = act_type;
      FS_ASSIGN_OR_RETURN(info.params,
                          choose_quant_params(info.rmin, info.rmax, act_type, options.symmetric_activations));
      act[g.find_value(name)] = info;
    }
    FS_ASSIGN_OR_RETURN(std::vector<int32_t> order, g.topological_order());
    const std::set<int32_t> act_ops(plan.activation_ops.begin(), plan.activation_ops.end());
    for (int32_t idx : order) {
      const Node& n = g.nodes[static_cast<size_t>(idx)];
      if (!act_ops.count(idx) || !is_pass_through(n)) continue;
      const auto in = act.find(n.inputs[0]);
      if (in == act.end()) return internal_error(who + ": node '" + n.name + "': its input has no quantization");
      QuantizedTensorInfo info = in->second;
      info.tensor = g.values[static_cast<size_t>(n.outputs[0])].name;
      info.inherited_from = in->second.inherited_from.empty() ? in->second.tensor : in->second.inherited_from;
      act[n.outputs[0]] = info;
    }
  }

  const std::set<int32_t> weighted(plan.weighted.begin(), plan.weighted.end());
  const std::set<int32_t> act_ops(plan.activation_ops.begin(), plan.activation_ops.end());
  std::map<ValueId, ValueId> dq_of;  // quantized activation -> its DequantizeLinear output
  std::vector<Node> out_nodes;
  out_nodes.reserve(g.nodes.size() * 3);
  const std::vector<Node> nodes = g.nodes;
  auto dequantized = [&](ValueId v) -> ValueId {
    auto found = dq_of.find(v);
    if (found != dq_of.end()) return found->second;
    const QuantizedTensorInfo& info = act.at(v);
    const std::string name = g.values[static_cast<size_t>(v)].name;
    const ValueId scale = add_initializer(g, name + "_scale", Tensor::scalar(info.params.scale));
    const ValueId zp = add_initializer(g, name + "_zero_point",
                                       info.dtype == DType::kU8
                                           ? Tensor::scalar(static_cast<uint8_t>(info.params.zero_point))
                                           : Tensor::scalar(static_cast<int8_t>(info.params.zero_point)));
    const ValueId q = new_value(g, name + "_quantized", info.dtype);
    const ValueId dq = new_value(g, name + "_dequantized", DType::kF32);
    out_nodes.push_back(make_node("QuantizeLinear", name + "_QuantizeLinear", {v, scale, zp}, {q}));
    out_nodes.push_back(make_node("DequantizeLinear", name + "_DequantizeLinear", {q, scale, zp}, {dq}));
    dq_of.emplace(v, dq);
    return dq;
  };

  for (size_t idx = 0; idx < nodes.size(); ++idx) {
    Node n = nodes[idx];
    const bool is_weighted = weighted.count(static_cast<int32_t>(idx)) > 0;
    const bool is_act = act_ops.count(static_cast<int32_t>(idx)) > 0;
    if (!is_weighted && !is_act) {
      out_nodes.push_back(std::move(n));
      continue;
    }
    const size_t data_inputs = is_op(n, "Add") ? 2 : 1;
    for (size_t i = 0; i < data_inputs && options.quantize_activations; ++i) {
      if (act.count(n.inputs[i])) n.inputs[i] = dequantized(n.inputs[i]);
    }
    if (is_weighted) {
      const ValueId wv = n.inputs[1];
      const std::string wname = g.values[static_cast<size_t>(wv)].name;
      const Tensor w = g.values[static_cast<size_t>(wv)].initializer;
      FS_ASSIGN_OR_RETURN(QuantizedWeight qw, quantize_weight(w, n, options));
      qw.stats.node = node_label(g, n);
      qw.stats.op = n.op_type;
      qw.stats.weight = wname;
      const DType qtype = qw.q.dtype();
      const Shape zp_shape = qw.scale.shape();
      const ValueId w_q = add_initializer(g, wname + "_quantized", std::move(qw.q));
      const ValueId w_s = add_initializer(g, wname + "_scale", qw.scale);
      const ValueId w_z = add_initializer(g, wname + "_zero_point", Tensor::zeros(qtype, zp_shape));
      const ValueId w_dq = new_value(g, wname + "_dequantized", DType::kF32);
      std::vector<Attribute> attrs;
      if (qw.layout.axis != kPerTensorAxis) attrs.push_back(int_attr("axis", qw.layout.axis));
      if (qw.layout.block != 0) attrs.push_back(int_attr("block_size", qw.layout.block));
      out_nodes.push_back(make_node("DequantizeLinear", wname + "_DequantizeLinear", {w_q, w_s, w_z}, {w_dq}, attrs));
      n.inputs[1] = w_dq;
      // With a quantized input and int8 weights, the bias goes int32.
      const auto in = act.find(nodes[idx].inputs[0]);
      if (options.quantize_activations && options.weights == WeightBits::kInt8 && in != act.end() &&
          n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
        const ValueId bv = n.inputs[2];
        const std::string bname = g.values[static_cast<size_t>(bv)].name;
        Tensor bq, bs;
        quantize_bias(g.values[static_cast<size_t>(bv)].initializer, in->second.params.scale, qw.params, &bq, &bs);
        const Shape bz_shape = bs.shape();
        const ValueId b_q = add_initializer(g, bname + "_quantized", std::move(bq));
        const ValueId b_s = add_initializer(g, bname + "_scale", std::move(bs));
        const ValueId b_z = add_initializer(g, bname + "_zero_point", Tensor::zeros(DType::kI32, bz_shape));
        const ValueId b_dq = new_value(g, bname + "_dequantized", DType::kF32);
        std::vector<Attribute> battrs;
        if (bz_shape.rank() == 1) battrs.push_back(int_attr("axis", 0));
        out_nodes.push_back(make_node("DequantizeLinear", bname + "_DequantizeLinear", {b_q, b_s, b_z}, {b_dq}, battrs));
        n.inputs[2] = b_dq;
      }
      if (in != act.end()) qw.stats.input = in->second.tensor;
      report.layers.push_back(std::move(qw.stats));
    }
    out_nodes.push_back(std::move(n));
  }
  for (StaticQuantLayer& l : report.layers) {
    // The layer's output is quantized when a quantized reader asked for it
    // (directly, or after a Relu).
    const Node* node = nullptr;
    for (const Node& n : nodes) {
      if (node_label(g, n) == l.node) node = &n;
    }
    if (node == nullptr) continue;
    ValueId out = node->outputs[0];
    if (!act.count(out)) {
      for (const Node& n : nodes) {
        if (is_op(n, "Relu") && !n.inputs.empty() && n.inputs[0] == out && act.count(n.outputs[0])) {
          out = n.outputs[0];
        }
      }
    }
    if (act.count(out)) l.output = act.at(out).tensor;
  }
  for (const auto& [id, info] : act) report.activations.push_back(info);
  std::sort(report.activations.begin(), report.activations.end(),
            [&](const QuantizedTensorInfo& a, const QuantizedTensorInfo& b) { return a.tensor < b.tensor; });

  g.nodes = std::move(out_nodes);
  g.reindex();
  FS_RETURN_IF_ERROR(g.sort_topologically());
  drop_unreferenced_values(g);
  if (options.weights == WeightBits::kInt4 && model.opset("") < 21) {
    model.opsets[""] = 21;
    model.ir_version = std::max<int64_t>(model.ir_version, 10);  // int4 types
  }
  report.opset_after = model.opset("");
  report.weight_bytes_after = initializer_bytes(g);
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));
  return report;
}

}  // namespace fastserve::quant
