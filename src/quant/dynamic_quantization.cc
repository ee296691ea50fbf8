// Dynamic INT8 quantization of MatMuls (see dynamic_quantization.h).
#include "quant/dynamic_quantization.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "core/quantize.h"
#include "passes/graph_edit.h"
#include "quant/graph_building.h"
#include "quant/static_quantization.h"

namespace fastserve::quant {
namespace {

constexpr int32_t kOnnxFloat = 1;

int64_t initializer_bytes(const Graph& g) {
  int64_t total = 0;
  for (const Value& v : g.values) {
    if (v.is_constant()) total += static_cast<int64_t>(v.initializer.nbytes());
  }
  return total;
}

struct QuantizedWeight {
  Tensor q;                 // int8 [K, N]
  Tensor scale, zero_point; // float / int8, scalar or [N]
  QuantizedLayer stats;
};

Result<QuantizedWeight> quantize_weight(const Tensor& w, bool per_channel) {
  const int64_t k = w.dim(0), n = w.dim(1);
  const QuantLayout layout = per_channel ? QuantLayout{1, 0} : QuantLayout{};
  FS_ASSIGN_OR_RETURN(std::vector<QuantParams> params, choose_quant_params_for(w, layout, DType::kI8, true));
  FS_ASSIGN_OR_RETURN(Tensor q, quantize_tensor(w, layout, params, DType::kI8));
  FS_ASSIGN_OR_RETURN(Tensor back, dequantize_tensor(q, layout, params));
  QuantizedWeight out;
  out.q = std::move(q);
  const Shape pshape = per_channel ? Shape{n} : Shape{};
  out.scale = Tensor::empty(DType::kF32, pshape);
  out.zero_point = Tensor::zeros(DType::kI8, pshape);
  out.stats.scale_min = INFINITY;
  out.stats.scale_max = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    out.scale.data<float>()[i] = params[i].scale;
    out.stats.scale_min = std::min(out.stats.scale_min, params[i].scale);
    out.stats.scale_max = std::max(out.stats.scale_max, params[i].scale);
  }
  double err = 0, sig = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double d = static_cast<double>(w.data<float>()[i]) - back.data<float>()[i];
    err += d * d;
    sig += static_cast<double>(w.data<float>()[i]) * w.data<float>()[i];
  }
  out.stats.k = k;
  out.stats.n = n;
  out.stats.mse = w.numel() > 0 ? err / static_cast<double>(w.numel()) : 0;
  out.stats.snr_db = err > 0 ? 10.0 * std::log10(sig / err) : INFINITY;
  return out;
}

}  // namespace

Result<DynamicQuantReport> quantize_dynamic(Model& model, const DynamicQuantOptions& options) {
  Graph& g = model.graph;
  const std::string who = model.display_name();
  if (std::string which; is_quantized_model(model, &which)) {
    return invalid_argument(who + ": already quantized (" + which + ")");
  }
  if (model.opset("") < 11) {
    return invalid_argument(who + ": opset " + std::to_string(model.opset("")) +
                            " is below 11, which DynamicQuantizeLinear needs");
  }
  std::set<std::string> exclude(options.exclude.begin(), options.exclude.end());
  for (const std::string& name : exclude) {
    const bool found = std::any_of(g.nodes.begin(), g.nodes.end(),
                                   [&](const Node& n) { return n.name == name && n.op_type == "MatMul"; });
    if (!found) return invalid_argument(who + ": --exclude '" + name + "' names no MatMul node");
  }

  // Activation dtypes decide what is quantized: infer them (a file need not
  // carry value_info).
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));
  DynamicQuantReport report;
  report.weight_bytes_before = initializer_bytes(g);
  std::vector<Node> out_nodes;
  out_nodes.reserve(g.nodes.size() * 2);
  // One DynamicQuantizeLinear per activation value: its (A_q, A_scale, A_zp).
  std::map<ValueId, std::array<ValueId, 3>> quantized_inputs;
  std::set<ValueId> replaced_weights;
  const std::vector<Node> nodes = g.nodes;  // g.values grows below; nodes are rebuilt
  for (const Node& n : nodes) {
    const bool matmul = (n.domain.empty() || n.domain == "ai.onnx") && n.op_type == "MatMul" && n.inputs.size() == 2;
    const Tensor* w = matmul ? constant_input(g, n, 1) : nullptr;
    std::string why;
    if (matmul && w == nullptr) why = "B is not a constant";
    if (w != nullptr && (w->dtype() != DType::kF32 || w->rank() != 2)) why = "B is not a float32 matrix";
    if (matmul && exclude.count(n.name)) why = "excluded";
    if (matmul && g.values[static_cast<size_t>(n.inputs[0])].dtype != DType::kF32) why = "A is not float32";
    if (!matmul || !why.empty()) {
      if (matmul) report.kept.push_back((n.name.empty() ? std::string("(unnamed)") : n.name) + ": " + why);
      out_nodes.push_back(n);
      continue;
    }
    const ValueId a = n.inputs[0], b = n.inputs[1];
    const std::string base = n.name.empty() ? g.values[static_cast<size_t>(n.outputs[0])].name : n.name;
    FS_ASSIGN_OR_RETURN(QuantizedWeight qw, quantize_weight(*w, options.per_channel));
    const std::string wname = g.values[static_cast<size_t>(b)].name;
    qw.stats.node = n.name;
    qw.stats.weight = wname;
    report.layers.push_back(qw.stats);
    const ValueId w_q = add_initializer(g, wname + "_quantized", std::move(qw.q));
    const ValueId w_scale = add_initializer(g, wname + "_scale", std::move(qw.scale));
    const ValueId w_zp = add_initializer(g, wname + "_zero_point", std::move(qw.zero_point));
    replaced_weights.insert(b);

    auto found = quantized_inputs.find(a);
    if (found == quantized_inputs.end()) {
      const std::string aname = g.values[static_cast<size_t>(a)].name;
      const ValueId aq = new_value(g, aname + "_quantized", DType::kU8);
      const ValueId as = new_value(g, aname + "_scale", DType::kF32);
      const ValueId az = new_value(g, aname + "_zero_point", DType::kU8);
      out_nodes.push_back(make_node("DynamicQuantizeLinear", aname + "_DynamicQuantizeLinear", {a}, {aq, as, az}));
      found = quantized_inputs.emplace(a, std::array<ValueId, 3>{aq, as, az}).first;
    }
    const auto [aq, as, az] = found->second;
    const ValueId acc = new_value(g, base + "_MatMulInteger_output", DType::kI32);
    const ValueId accf = new_value(g, base + "_cast_output", DType::kF32);
    const ValueId scale = new_value(g, base + "_scale", DType::kF32);
    out_nodes.push_back(make_node("MatMulInteger", base + "_MatMulInteger", {aq, w_q, az, w_zp}, {acc}));
    out_nodes.push_back(make_node("Cast", base + "_cast", {acc}, {accf}, {int_attr("to", kOnnxFloat)}));
    out_nodes.push_back(make_node("Mul", base + "_scales_mul", {as, w_scale}, {scale}));
    out_nodes.push_back(make_node("Mul", n.name.empty() ? base + "_output_mul" : n.name, {accf, scale}, {n.outputs[0]}));
  }
  if (report.layers.empty()) {
    return invalid_argument(who + ": nothing to quantize (no MatMul with a float32 constant matrix B" +
                            (report.kept.empty() ? std::string(")") : "; kept: " + report.kept.front() + ")"));
  }
  g.nodes = std::move(out_nodes);
  g.reindex();
  drop_unreferenced_values(g);  // the float weights no other node reads
  report.weight_bytes_after = initializer_bytes(g);
  return report;
}

}  // namespace fastserve::quant
