// Pruning: zeroing or removing weights of a model's Conv / Gemm / MatMul
// layers so it computes with fewer of them (`fastserve prune`). Three
// methods, one file each:
//
//   magnitude (magnitude_pruning.cc): unstructured; the weights of smallest
//     |w| become 0, either with one threshold over every prunable weight
//     (global: layers that matter less lose more) or the same fraction of
//     each layer. The tensors keep their shapes; the engine's sparse kernels
//     (kernels/cpu/sparse/) turn the zeros into speed.
//   channel (channel_pruning.cc): structured; whole output channels
//     (filters) of smallest L1 norm are removed and every consumer is
//     rewritten to match, so the model is physically smaller and faster on
//     the dense kernels.
//   2:4 (nm_pruning.cc): in every group of 4 consecutive weights along the
//     reduction axis the 2 of largest |w| stay (NVIDIA's 2:4 pattern).
//
// Prunable layers are Conv, Gemm and MatMul nodes (default domain) whose
// weight (input 1) is a float32 initializer. The edits happen in place on
// the Model; the result is standard ONNX (onnx_writer.h writes it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve::prune {

enum class PruneMethod : uint8_t { kMagnitude, kChannel, kTwoFour };

// "magnitude", "channel", "2:4" -> the method; error naming the word.
Result<PruneMethod> parse_prune_method(const std::string& name);
const char* prune_method_name(PruneMethod method);

struct PruneOptions {
  PruneMethod method = PruneMethod::kMagnitude;
  // Fraction of weights (magnitude) or output channels (channel) to remove,
  // in [0, 1). 2:4 fixes it at 0.5.
  double sparsity = 0.5;
  // Magnitude only: one threshold over all prunable weights (true) or the
  // same fraction of each layer (false).
  bool global = true;
  // NODE -> its own sparsity (magnitude: pruned per layer at that fraction,
  // outside the global threshold; channel: that layer's fraction).
  std::map<std::string, double> per_layer;
  std::vector<std::string> exclude;  // nodes left as they are
};

// What happened to one layer.
struct PrunedLayer {
  std::string node;
  std::string op;          // Conv, Gemm, MatMul
  std::string weight;      // the initializer's name
  int64_t numel = 0;       // weights before
  int64_t zeros = 0;       // zero weights after (unstructured methods)
  int64_t channels_before = 0, channels_after = 0;  // channel method
  // Channel method: producers summed by residual Adds share one kept set;
  // the group is named after its first member (empty when alone).
  std::string channel_group;
  int64_t group_size = 1;
  double sparsity() const { return numel > 0 ? static_cast<double>(zeros) / static_cast<double>(numel) : 0.0; }
};

struct PruneReport {
  std::vector<PrunedLayer> layers;
  std::vector<std::string> kept;   // "node: why" for prunable-looking layers left alone
  int64_t weights_before = 0, weights_after = 0;         // prunable weights (elements)
  int64_t zeros_before = 0, zeros_after = 0;             // zero elements among them
  int64_t bytes_before = 0, bytes_after = 0;             // all initializers
  double threshold = 0;                                  // magnitude, global: |w| below it became 0
};

// Checks the options against the model and prunes it in place. Errors
// (kInvalidArgument, naming the model and the node): sparsity outside
// [0, 1), a --per-layer / --exclude name that is no prunable node, nothing
// left to prune.
Result<PruneReport> prune_model(Model& model, const PruneOptions& options);

}  // namespace fastserve::prune
