// SmoothQuant smoothing (see smooth_quant.h).
#include "quant/smooth_quant.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "passes/graph_edit.h"

namespace fastserve::quant {
namespace {

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Node n reads X as its A and a float32 constant matrix B ([K, N]; Gemm
// with transB: [N, K]).
bool smoothable_reader(const Graph& g, const Node& n, ValueId x, const std::set<std::string>& exclude) {
  if (!default_domain(n) || n.inputs.size() < 2 || n.inputs[0] != x || n.inputs[1] == x) return false;
  if (exclude.count(n.name)) return false;
  if (n.op_type == "Gemm") {
    const Attribute* ta = n.attr("transA");
    const Attribute* alpha = n.attr("alpha");
    if ((ta != nullptr && ta->i != 0) || (alpha != nullptr && alpha->f != 1.f)) return false;
  } else if (n.op_type != "MatMul") {
    return false;
  }
  const Tensor* w = constant_input(g, n, 1);
  return w != nullptr && w->dtype() == DType::kF32 && w->rank() == 2;
}

bool gemm_trans_b(const Node& n) {
  const Attribute* t = n.attr("transB");
  return n.op_type == "Gemm" && t != nullptr && t->i != 0;
}

}  // namespace

std::vector<std::string> smoothable_activations(const Model& model, const std::vector<std::string>& exclude) {
  const Graph& g = model.graph;
  const std::set<std::string> ex(exclude.begin(), exclude.end());
  std::vector<std::string> out;
  std::set<ValueId> seen;
  for (const Node& n : g.nodes) {
    if (n.inputs.empty() || n.inputs[0] == kNoValue) continue;
    const ValueId x = n.inputs[0];
    const Value& v = g.values[static_cast<size_t>(x)];
    if (v.is_constant() || seen.count(x) || !smoothable_reader(g, n, x, ex)) continue;
    seen.insert(x);
    out.push_back(v.name);
  }
  return out;
}

Result<std::map<std::string, std::vector<float>>> observe_channel_absmax(
    const Model& model, const std::vector<std::string>& tensors, std::span<const CalibrationBatch> batches,
    int num_threads) {
  std::map<std::string, std::vector<float>> out;
  FS_RETURN_IF_ERROR(for_each_calibration_tensor(
      model, tensors, batches, num_threads, [&](const std::string& name, const Tensor& t) {
        if (t.rank() == 0) return ok_status();
        const int64_t k = t.dim(t.rank() - 1);
        std::vector<float>& m = out[name];
        if (m.empty()) m.assign(static_cast<size_t>(k), 0.f);
        if (static_cast<int64_t>(m.size()) != k) return ok_status();  // a dynamic last dim: keep the first
        const float* d = t.data<float>();
        for (int64_t e = 0; e < t.numel(); ++e) {
          float& slot_max = m[static_cast<size_t>(e % k)];
          if (std::isfinite(d[e])) slot_max = std::max(slot_max, std::fabs(d[e]));
        }
        return ok_status();
      }));
  return out;
}

Result<SmoothReport> apply_smoothing(Model& model, const std::map<std::string, std::vector<float>>& absmax,
                                     double alpha, const std::vector<std::string>& exclude) {
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    return invalid_argument("--smooth-quant alpha " + std::to_string(alpha) + " is not in [0, 1]");
  }
  Graph& g = model.graph;
  const std::set<std::string> ex(exclude.begin(), exclude.end());
  SmoothReport report;
  report.s_min = INFINITY;
  report.s_max = 0;
  const std::vector<std::string> names = smoothable_activations(model, exclude);
  for (const std::string& name : names) {
    const auto stats = absmax.find(name);
    if (stats == absmax.end()) continue;
    const ValueId x = g.find_value(name);
    const auto k = static_cast<int64_t>(stats->second.size());
    std::vector<size_t> readers;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (smoothable_reader(g, g.nodes[i], x, ex)) readers.push_back(i);
    }
    // max |W[k][.]| over every reader's row k.
    std::vector<float> wmax(static_cast<size_t>(k), 0.f);
    bool fits = !readers.empty();
    for (size_t i : readers) {
      const Node& n = g.nodes[i];
      const Tensor& w = *constant_input(g, n, 1);
      const bool tb = gemm_trans_b(n);
      const int64_t wk = tb ? w.dim(1) : w.dim(0), wn = tb ? w.dim(0) : w.dim(1);
      if (wk != k) {
        fits = false;
        break;
      }
      for (int64_t r = 0; r < wk; ++r) {
        for (int64_t c = 0; c < wn; ++c) {
          const float v = std::fabs(w.data<float>()[tb ? c * wk + r : r * wn + c]);
          wmax[static_cast<size_t>(r)] = std::max(wmax[static_cast<size_t>(r)], v);
        }
      }
    }
    if (!fits) continue;
    std::vector<float> s(static_cast<size_t>(k), 1.f);
    for (int64_t r = 0; r < k; ++r) {
      const double a = stats->second[static_cast<size_t>(r)], b = wmax[static_cast<size_t>(r)];
      if (a > 0 && b > 0) {
        s[static_cast<size_t>(r)] =
            static_cast<float>(std::clamp(std::pow(a, alpha) / std::pow(b, 1.0 - alpha), 1e-5, 1e5));
      }
      report.s_min = std::min(report.s_min, s[static_cast<size_t>(r)]);
      report.s_max = std::max(report.s_max, s[static_cast<size_t>(r)]);
    }
    std::vector<float> inv(s.size());
    for (size_t r = 0; r < s.size(); ++r) inv[r] = 1.f / s[r];
    const ValueId inv_id = add_initializer(g, name + "_smooth_scale", Tensor::from_vector(inv));
    Value xs;
    xs.name = unique_value_name(g, name + "_smoothed");
    xs.dtype = DType::kF32;
    const ValueId xs_id = g.add_value(std::move(xs));
    for (size_t i : readers) {
      Node& n = g.nodes[i];
      const Tensor& w = *constant_input(g, n, 1);
      const bool tb = gemm_trans_b(n);
      const int64_t wk = tb ? w.dim(1) : w.dim(0), wn = tb ? w.dim(0) : w.dim(1);
      Tensor ws = Tensor::empty(DType::kF32, w.shape());
      for (int64_t r = 0; r < wk; ++r) {
        for (int64_t c = 0; c < wn; ++c) {
          const int64_t idx = tb ? c * wk + r : r * wn + c;
          ws.data<float>()[idx] = w.data<float>()[idx] * s[static_cast<size_t>(r)];
        }
      }
      const std::string wname = g.values[static_cast<size_t>(n.inputs[1])].name;
      const ValueId wid = add_initializer(g, wname + "_smoothed", std::move(ws));
      Node& reader = g.nodes[i];  // add_initializer may have grown g.values, not g.nodes
      reader.inputs[0] = xs_id;
      reader.inputs[1] = wid;
      ++report.weights;
    }
    Node mul;
    mul.op_type = "Mul";
    mul.name = name + "_smooth";
    mul.inputs = {x, inv_id};
    mul.outputs = {xs_id};
    g.nodes.push_back(std::move(mul));
    ++report.activations;
  }
  g.reindex();
  FS_RETURN_IF_ERROR(g.sort_topologically());
  drop_unreferenced_values(g);
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));
  if (report.activations == 0) report.s_min = report.s_max = 1.f;
  return report;
}

}  // namespace fastserve::quant
