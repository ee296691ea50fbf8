// Static quantization: a model rewritten in QDQ form (QuantizeLinear /
// DequantizeLinear around float ops), the form ONNX Runtime's
// quantize_static writes, so the result runs in ORT and other engines as
// well as ours (which rewrites Q -> op -> DQ into integer kernels).
//
// What is quantized:
//   weights   of Conv, Gemm (transA = 0, alpha = beta = 1) and MatMul whose
//             weight is a float32 constant: int8 symmetric (zero point 0,
//             [-127, 127]) per tensor or per output channel, or int4
//             symmetric ([-7, 7]) in blocks of `block` weights along the
//             reduction axis (opset-21 DequantizeLinear block_size; a conv
//             with fewer input channels than a block gets one scale per
//             output channel). The weight becomes an integer initializer
//             read through a DequantizeLinear.
//   biases    of those nodes, with activations: int32 with scale
//             x_scale * w_scale (zero point 0), so an integer kernel adds
//             them to its accumulator as they are.
//   activations (unless weight-only): every float input of a quantized
//             node gets one Q -> DQ pair (shared by all its readers), with
//             the range calibration observed: uint8 asymmetric by default,
//             int8 symmetric (zero point 0) on request. Quantized nodes are
//             the weighted ones above plus Add (two activations),
//             AveragePool and GlobalAveragePool, and the pass-through ops
//             MaxPool, Flatten, Reshape, Transpose, Squeeze and Unsqueeze,
//             whose output reuses their input's scale and zero point (they
//             only move or select values, so no range is lost and an
//             integer engine runs them on the bytes). A Relu after a
//             quantized node stays a float op between DQ and Q: its output
//             range (>= 0) is what gets quantized, as in ORT's QDQ form.
//   Graph outputs stay float: the last node's result is not requantized.
//
// Two steps, so the caller can run calibration in between:
//   plan_static_quantization  which nodes, which tensors need a range;
//   quantize_static           the rewrite, from the observed ranges.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/quantize.h"
#include "fastserve/graph.h"
#include "quant/calibration.h"

namespace fastserve::quant {

enum class WeightBits { kInt8, kInt4 };

struct StaticQuantOptions {
  bool quantize_activations = true;    // false: weight-only
  bool per_channel = false;            // int8 weights: one scale per output channel
  bool symmetric_activations = false;  // int8 with zero point 0 instead of uint8 asymmetric
  WeightBits weights = WeightBits::kInt8;
  int64_t block = 32;                  // int4: weights per scale along the reduction axis
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;
  std::vector<std::string> exclude;    // node names kept in float
};

struct StaticQuantPlan {
  std::vector<int32_t> weighted;       // Conv / Gemm / MatMul nodes whose weights are quantized
  std::vector<int32_t> activation_ops; // Add / pools / pass-through nodes (with activations)
  // Tensors that need a calibrated range (activations that do not inherit
  // one from a pass-through op's input), in graph order.
  std::vector<std::string> calibrate;
  std::vector<std::string> kept;       // "node: why" for weighted-op candidates left in float
};

// Errors (kInvalidArgument, naming the model and node): already quantized,
// an --exclude name that is no node, per-channel on opset < 13, nothing to
// quantize, int4 with an op whose meaning changed before opset 21.
Result<StaticQuantPlan> plan_static_quantization(const Model& model, const StaticQuantOptions& options);

struct QuantizedTensorInfo {
  std::string tensor;
  float rmin = 0, rmax = 0;  // the calibrated (or inherited) range
  QuantParams params;
  DType dtype = DType::kU8;
  std::string inherited_from;  // a pass-through op's input, "" when calibrated
};

struct StaticQuantLayer {
  std::string node, op, weight;
  Shape weight_shape;
  std::string granularity;  // "per tensor", "per channel", "blocks of 32"
  float scale_min = 0, scale_max = 0;
  double mse = 0, snr_db = 0;  // of the dequantized weight
  std::string input, output;   // quantized activation names ("" when float)
};

struct StaticQuantReport {
  std::vector<StaticQuantLayer> layers;
  std::vector<QuantizedTensorInfo> activations;
  std::vector<std::string> kept;
  int64_t weight_bytes_before = 0, weight_bytes_after = 0;
  int64_t opset_before = 0, opset_after = 0;
};

// Rewrites `model` (the one the plan was made for) in place. `ranges` must
// hold an observer for every plan.calibrate tensor when activations are
// quantized (kInvalidArgument naming a missing or empty one).
Result<StaticQuantReport> quantize_static(Model& model, const StaticQuantPlan& plan,
                                          const std::map<std::string, RangeObserver>& ranges,
                                          const StaticQuantOptions& options);

// True when the model already holds quantization ops (QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, integer linear algebra); `which`
// gets "node 'n' is Op".
bool is_quantized_model(const Model& model, std::string* which = nullptr);

}  // namespace fastserve::quant
