// prune_model: checks the options, selects the layers, runs the method
// (see prune.h) and fills the report's totals.
#include "prune/prune.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "prune/methods.h"
#include "prune/parameter_copies.h"

namespace fastserve::prune {
namespace {

bool valid_sparsity(double s) { return std::isfinite(s) && s >= 0.0 && s < 1.0; }

void add_totals(const Graph& g, const std::vector<PrunableLayer>& layers, int64_t& weights, int64_t& zeros) {
  weights = 0;
  zeros = 0;
  for (const PrunableLayer& l : layers) {
    const Tensor& w = g.values[static_cast<size_t>(l.weight)].initializer;
    weights += w.numel();
    zeros += count_zeros(w);
  }
}

}  // namespace

Result<PruneMethod> parse_prune_method(const std::string& name) {
  if (name == "magnitude") return PruneMethod::kMagnitude;
  if (name == "channel") return PruneMethod::kChannel;
  if (name == "2:4") return PruneMethod::kTwoFour;
  return invalid_argument("unknown pruning method '" + name + "' (methods: magnitude, channel, 2:4)");
}

const char* prune_method_name(PruneMethod method) {
  switch (method) {
    case PruneMethod::kMagnitude:
      return "magnitude";
    case PruneMethod::kChannel:
      return "channel";
    case PruneMethod::kTwoFour:
      return "2:4";
  }
  return "?";
}

Result<PruneReport> prune_model(Model& model, const PruneOptions& options) {
  Graph& g = model.graph;
  const std::string who = model.display_name();
  if (!valid_sparsity(options.sparsity)) {
    return invalid_argument(fmt::format("sparsity {} is outside [0, 1)", options.sparsity));
  }
  const int64_t bytes_before = initializer_bytes(g);
  // Channel pruning cuts biases and BN parameters too: shared ones get a
  // copy per use first (restored below where uncut).
  ParameterCopies copies;
  if (options.method == PruneMethod::kChannel) copies = make_parameter_copies(g);
  const std::vector<PrunableLayer> all = find_prunable_layers(g);
  std::set<std::string> names;
  for (const PrunableLayer& l : all) names.insert(l.name);
  auto check_name = [&](const std::string& name, const char* flag) -> Status {
    if (names.count(name) > 0) return ok_status();
    const bool is_node =
        std::any_of(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.name == name; });
    return invalid_argument(
        who + ": " + flag + " '" + name + "' " +
        (is_node ? "is not a prunable layer (a Conv, Gemm or MatMul with a float32 constant weight)"
                 : "names no node of the model"));
  };
  for (const auto& [name, s] : options.per_layer) {
    FS_RETURN_IF_ERROR(check_name(name, "--per-layer"));
    if (!valid_sparsity(s))
      return invalid_argument(fmt::format("--per-layer {}={} is outside [0, 1)", name, s));
    if (options.method == PruneMethod::kTwoFour) {
      return invalid_argument("--per-layer does not apply to 2:4, whose sparsity is 0.5 in every layer");
    }
  }
  const std::set<std::string> exclude(options.exclude.begin(), options.exclude.end());
  for (const std::string& name : exclude) {
    FS_RETURN_IF_ERROR(check_name(name, "--exclude"));
    if (options.per_layer.count(name) > 0) {
      return invalid_argument("'" + name + "' is both excluded and given a --per-layer sparsity");
    }
  }
  if (all.empty()) {
    return invalid_argument(who +
                            ": nothing to prune (no Conv, Gemm or MatMul with a float32 constant weight)");
  }
  std::vector<PrunableLayer> layers;
  PruneReport report;
  for (const PrunableLayer& l : all) {
    if (exclude.count(l.name) > 0) {
      report.kept.push_back(l.name + ": excluded");
    } else {
      layers.push_back(l);
    }
  }
  if (layers.empty()) return invalid_argument(who + ": nothing to prune (every prunable layer is excluded)");
  report.bytes_before = bytes_before;
  add_totals(g, layers, report.weights_before, report.zeros_before);
  switch (options.method) {
    case PruneMethod::kMagnitude:
      FS_RETURN_IF_ERROR(prune_magnitude(model, layers, options, report));
      break;
    case PruneMethod::kTwoFour:
      FS_RETURN_IF_ERROR(prune_two_four(model, layers, report));
      break;
    case PruneMethod::kChannel:
      FS_RETURN_IF_ERROR(prune_channels(model, layers, options, report));
      if (report.layers.empty()) {
        std::string reasons = report.kept.empty() ? std::string("none prunable") : std::string();
        for (size_t i = 0; i < report.kept.size() && i < 4; ++i) reasons += (i ? "; " : "") + report.kept[i];
        if (report.kept.size() > 4) reasons += fmt::format("; and {} more", report.kept.size() - 4);
        return invalid_argument(who + ": no layer can lose channels (" + reasons + ")");
      }
      break;
  }
  add_totals(g, layers, report.weights_after, report.zeros_after);
  if (!copies.uses.empty()) restore_unchanged_copies(g, copies);  // renumbers: `layers` is stale after it
  report.bytes_after = initializer_bytes(g);
  return report;
}

}  // namespace fastserve::prune
