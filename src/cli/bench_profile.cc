// Profile rows and op-type summary (see bench_profile.h).
#include "cli/bench_profile.h"

#include <algorithm>
#include <limits>
#include <map>

#include "graph/flops.h"

namespace fastserve::cli {
namespace {

// Inputs that are initializers (weights) are left out: the shapes say what
// data flowed through the node.
std::string shapes_text(const NodeProfile& np, const Graph& g, const Node& n) {
  std::string in, out;
  for (size_t i = 0; i < n.inputs.size() && i < np.input_shapes.size(); ++i) {
    const ValueId id = n.inputs[i];
    if (id == kNoValue || g.values[static_cast<size_t>(id)].is_constant()) continue;
    in += (in.empty() ? "" : ", ") + dims_text(np.input_shapes[i]);
  }
  for (size_t i = 0; i < n.outputs.size() && i < np.output_shapes.size(); ++i) {
    if (n.outputs[i] == kNoValue) continue;
    out += (out.empty() ? "" : ", ") + dims_text(np.output_shapes[i]);
  }
  return in.empty() ? "-> " + out : in + " -> " + out;
}

int64_t run_flops(const NodeProfile& np, const Node& n) {
  std::vector<const Shape*> in, out;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    in.push_back(n.inputs[i] != kNoValue && i < np.input_shapes.size() ? &np.input_shapes[i] : nullptr);
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    out.push_back(n.outputs[i] != kNoValue && i < np.output_shapes.size() ? &np.output_shapes[i] : nullptr);
  }
  return node_flops(n, in, out);
}

}  // namespace

std::string dims_text(const Shape& shape) {
  if (shape.rank() == 0) return "scalar";
  std::string s;
  for (size_t d = 0; d < shape.rank(); ++d) s += (d ? "x" : "") + std::to_string(shape[d]);
  return s;
}

ProfileReport build_profile_report(const RunProfile& profile, const Model& model, int64_t batch) {
  const Graph& g = model.graph;
  ProfileReport r;
  r.batch = batch;
  r.runs = profile.runs;
  const double runs = static_cast<double>(std::max<int64_t>(profile.runs, 1));
  double total_ms = 0;
  for (const NodeProfile& np : profile.nodes) total_ms += np.total_ms;
  r.kernel_ms = total_ms / runs;
  r.run_ms = profile.run_ms / runs;

  std::map<std::string, OpTypeRow> by_op;
  for (const NodeProfile& np : profile.nodes) {
    const Node& n = g.nodes[static_cast<size_t>(np.node_index)];
    ProfileRow row;
    row.op = np.op_type;
    row.name = np.node_name.empty() ? "#" + std::to_string(np.node_index) : np.node_name;
    row.kernel = np.kernel_name;
    row.shapes = shapes_text(np, g, n);
    row.calls = np.calls;
    row.ms = np.calls > 0 ? np.total_ms / static_cast<double>(np.calls) : 0.0;
    row.percent = total_ms > 0 ? 100.0 * np.total_ms / total_ms : 0.0;
    const int64_t flops = run_flops(np, n);
    row.gflops = flops < 0    ? std::numeric_limits<double>::quiet_NaN()
                 : row.ms > 0 ? static_cast<double>(flops) / (row.ms * 1e6)
                              : 0.0;
    OpTypeRow& op = by_op[np.op_type];
    op.op = np.op_type;
    ++op.nodes;
    op.ms += row.ms;
    op.percent += row.percent;
    r.nodes.push_back(std::move(row));
  }
  std::stable_sort(r.nodes.begin(), r.nodes.end(), [](const ProfileRow& a, const ProfileRow& b) {
    return a.ms * static_cast<double>(a.calls) > b.ms * static_cast<double>(b.calls);
  });
  for (auto& [name, row] : by_op) r.op_types.push_back(row);
  std::stable_sort(r.op_types.begin(), r.op_types.end(),
                   [](const OpTypeRow& a, const OpTypeRow& b) { return a.ms > b.ms; });
  return r;
}

}  // namespace fastserve::cli
