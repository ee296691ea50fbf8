// What the pruning methods share: finding the prunable layers, taking a
// writable copy of a weight, counting zeros. Internal to src/prune.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "prune/prune.h"

namespace fastserve::prune {

// A Conv / Gemm / MatMul node whose input 1 is a float32 initializer.
struct PrunableLayer {
  size_t node = 0;       // index into Graph::nodes
  ValueId weight = kNoValue;
  std::string name;      // the node's name (or its output's when unnamed)
};

// Every prunable layer in node order. A weight read by several layers is
// listed once (first reader): pruning it once prunes it for all.
std::vector<PrunableLayer> find_prunable_layers(const Graph& g);

// The name a layer goes by in options and reports.
std::string layer_name(const Graph& g, const Node& n);

// The weight of `id` as a tensor this code may write: an initializer that
// points into the mapped file is copied first (once), so the file is never
// touched and the Model owns the result.
float* writable_weight(Graph& g, ValueId id);

int64_t count_zeros(const Tensor& t);
int64_t initializer_bytes(const Graph& g);

// Zeroes the `count` entries of smallest |value| among `n` floats at `data`
// (ties broken by position, so exactly `count` are new zeros or already 0).
void zero_smallest(float* data, int64_t n, int64_t count);

// The sparsity a layer gets: its --per-layer override, else the default.
double layer_sparsity(const PruneOptions& options, const std::string& name);

}  // namespace fastserve::prune
