// --mixed auto: which layers to keep in float so that a quantized model's
// accuracy stays within a budget of the float model's.
//
// Sensitivity of a layer = the accuracy gained by keeping only that layer in
// float (the rest quantized). Layers are returned to float most sensitive
// first, re-evaluating after each, until the drop from float accuracy is at
// most the budget, or only one layer is left quantized (budget_met false). The caller supplies
// `evaluate(kept_float)`: the accuracy, in percent, of the model quantized
// with those layers left in float, on the calibration set.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::quant {

struct MixedPrecisionResult {
  double float_accuracy = 0, all_quantized_accuracy = 0, final_accuracy = 0;
  std::vector<std::pair<std::string, double>> sensitivity;  // (layer, points gained), most sensitive first
  std::vector<std::string> kept_float;                      // in the order they were returned to float
  bool budget_met = false;
  int evaluations = 0;
};

using AccuracyFn = std::function<Result<double>(const std::vector<std::string>& kept_float)>;

// max_drop: accuracy points (>= 0). Errors from `evaluate` pass through.
Result<MixedPrecisionResult> choose_float_layers(const std::vector<std::string>& layers, double float_accuracy,
                                                 double max_drop, const AccuracyFn& evaluate);

}  // namespace fastserve::quant
