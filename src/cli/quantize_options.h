// The options of `fastserve quantize`, shared by its dynamic path
// (quantize_command.cc) and its static / weight-only path
// (quantize_static_command.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "quant/activation_ranges.h"
#include "quant/smooth_quant.h"

namespace fastserve::cli {

struct QuantizeOptions {
  std::string model, output;
  std::string activations;  // "" = static with --calibration, none with --weights int4, else dynamic
  std::string calibration;  // DIR or fashion-mnist
  int64_t samples = 512;
  int batch = 32;
  std::string method = "minmax";
  double percentile = 99.99;
  bool per_channel = false, per_tensor = false;
  bool symmetric = false, asymmetric = false;
  std::string weights = "int8";
  int64_t block = 32;
  std::vector<std::string> exclude;
  std::string mixed;  // "" or "auto"
  double max_accuracy_drop = 0.5;
  std::string data_dir;
  double smooth_alpha = 0;  // --smooth-quant ALPHA; 0 = off
  bool no_bench = false;
  int threads = 0;
  bool json = false, quiet = false;
};

// Static INT8 (QDQ) or weight-only quantization, after the flags were checked.
int run_static_quantize(const QuantizeOptions& opts);

// SmoothQuant on `model` with the channel maxima the batches give
// (quant/smooth_quant.h), and how it prints.
Result<quant::SmoothReport> smooth_model(Model& model, std::span<const quant::CalibrationBatch> batches,
                                         const QuantizeOptions& o);
void print_smoothing(const QuantizeOptions& o, const quant::SmoothReport& r);
std::string smoothing_json(const QuantizeOptions& o, const quant::SmoothReport& r);

}  // namespace fastserve::cli
