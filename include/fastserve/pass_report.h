// What the graph passes did to a model: the record Session keeps and
// `fastserve inspect --passes` prints.
//
// Passes are graph-to-graph rewrites run before the session compiles
// (src/passes/, docs/architecture.md). Optimization levels follow ONNX
// Runtime's:
//   0  none: the graph runs as the file describes it
//   1  basic: Identity / Dropout / same-type Cast removal, constant folding
//      (including Shape of a static-shaped value), dead code removal
//   2  + fusions: BatchNormalization folded into the Conv before it, Conv
//      with a residual Add and/or an activation fused into one
//      fastserve.FusedConv node
//   3  everything (the same as 2 for now); the default
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fastserve {

inline constexpr int kMaxOptimizationLevel = 3;

// One run of one pass. Op types are keyed as "Conv", or "domain.Op" outside
// the default ONNX domain ("fastserve.FusedConv").
struct PassRun {
  std::string name;    // "fold_batchnorm"
  int round = 1;       // passes that run to a fixed point run in rounds (1, 2, ...)
  int64_t rewrites = 0;  // how many matches the pass rewrote (0: graph unchanged)
  // The op types of the nodes the pass removed, replaced or created: the
  // ones worth printing from the histograms below.
  std::vector<std::string> touched_ops;
  std::map<std::string, int64_t> ops_before, ops_after;  // op histogram around the run
  int64_t nodes_before = 0, nodes_after = 0;
  int64_t initializers_before = 0, initializers_after = 0;
  double milliseconds = 0;
};

struct PassReport {
  int level = 0;
  int64_t nodes_before = 0, nodes_after = 0;  // around all the passes
  // Every pass in the order it ran; a pass's later rounds appear only when
  // they changed something.
  std::vector<PassRun> runs;
};

}  // namespace fastserve
