// SmoothQuant-style smoothing (Xiao et al., 2023): transformer activations
// have a few channels with large magnitudes that stretch a per-tensor scale
// for every other channel. Y = X W = (X diag(1/s)) (diag(s) W) moves part of
// that range into the weights, which quantize per output channel anyway:
//
//   s_k = max|X_k|^alpha / max|W_k|^(1 - alpha)     (per input channel k)
//
// with max|X_k| from calibration and max|W_k| over the row k of every
// weight reading X. The rewrite is standard ONNX: X' = Mul(X, 1/s) feeds the
// MatMuls (X's other readers keep X), and each weight row k is scaled by s_k.
// alpha = 0.5 is the paper's default; 0 leaves activations alone.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "quant/activation_ranges.h"

namespace fastserve::quant {

// Activations worth smoothing: float32 values read as A by at least one
// MatMul (or Gemm with transA = 0, alpha = 1) whose B is a float32
// constant matrix and not excluded.
std::vector<std::string> smoothable_activations(const Model& model, const std::vector<std::string>& exclude);

// max |x| per index of the last dim of each tensor, over the calibration set.
Result<std::map<std::string, std::vector<float>>> observe_channel_absmax(
    const Model& model, const std::vector<std::string>& tensors, std::span<const CalibrationBatch> batches,
    int num_threads);

struct SmoothReport {
  int64_t activations = 0, weights = 0;  // how many were smoothed
  float s_min = 0, s_max = 0;            // over every factor
};

// Rewrites `model` in place. alpha in [0, 1] (kInvalidArgument otherwise).
// Tensors without statistics are left alone.
Result<SmoothReport> apply_smoothing(Model& model, const std::map<std::string, std::vector<float>>& absmax,
                                     double alpha, const std::vector<std::string>& exclude);

}  // namespace fastserve::quant
