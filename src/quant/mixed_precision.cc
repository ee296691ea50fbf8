// choose_float_layers (see mixed_precision.h).
#include "quant/mixed_precision.h"

#include <algorithm>
#include <cmath>

namespace fastserve::quant {

Result<MixedPrecisionResult> choose_float_layers(const std::vector<std::string>& layers, double float_accuracy,
                                                 double max_drop, const AccuracyFn& evaluate) {
  if (!(max_drop >= 0) || !std::isfinite(max_drop)) {
    return invalid_argument("--max-accuracy-drop " + std::to_string(max_drop) + " must be a number >= 0");
  }
  MixedPrecisionResult r;
  r.float_accuracy = float_accuracy;
  FS_ASSIGN_OR_RETURN(r.all_quantized_accuracy, evaluate({}));
  ++r.evaluations;
  r.final_accuracy = r.all_quantized_accuracy;
  auto within = [&](double acc) { return float_accuracy - acc <= max_drop + 1e-9; };
  if (within(r.final_accuracy)) {
    r.budget_met = true;
    return r;
  }
  for (const std::string& layer : layers) {
    FS_ASSIGN_OR_RETURN(double acc, evaluate({layer}));
    ++r.evaluations;
    r.sensitivity.emplace_back(layer, acc - r.all_quantized_accuracy);
  }
  // Stable: equally sensitive layers keep graph order.
  std::stable_sort(r.sensitivity.begin(), r.sensitivity.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  // At least one layer stays quantized: an all-float "quantized" model is
  // no answer (the budget is then reported as not met).
  for (const auto& [layer, gain] : r.sensitivity) {
    if (r.kept_float.size() + 1 >= layers.size()) break;
    r.kept_float.push_back(layer);
    FS_ASSIGN_OR_RETURN(r.final_accuracy, evaluate(r.kept_float));
    ++r.evaluations;
    if (within(r.final_accuracy)) {
      r.budget_met = true;
      break;
    }
  }
  return r;
}

}  // namespace fastserve::quant
