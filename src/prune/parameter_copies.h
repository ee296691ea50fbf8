// Channel pruning cuts a layer's parameters, but exporters share them: one
// initializer read by several nodes (PyTorch and the ONNX optimizers
// deduplicate identical tensors, e.g. untrained zero biases), or read
// through Identity nodes (PyTorch's export of a repeated parameter). Before
// the trace every such use gets its own initializer (the data is shared, a
// cut makes a new tensor), so each layer can be cut alone; afterwards the
// uses whose copy was not cut go back to the original, and Identity nodes
// nothing reads any more are removed.
#pragma once

#include <vector>

#include "fastserve/graph.h"

namespace fastserve::prune {

struct ParameterCopies {
  struct Use {
    size_t node, input;
    ValueId copy, original;
  };
  std::vector<Use> uses;
};

ParameterCopies make_parameter_copies(Graph& g);
// Restores unchanged uses, removes dead Identity nodes and drops the values
// no longer referenced (renumbers ValueIds: call it last).
void restore_unchanged_copies(Graph& g, const ParameterCopies& copies);

}  // namespace fastserve::prune
