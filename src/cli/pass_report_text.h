// How `fastserve inspect` shows graph passes: the per-pass report
// (--passes) and the optimized graph's nodes (--optimized), as text or JSON.
#pragma once

#include <string>

#include "fastserve/graph.h"
#include "fastserve/pass_report.h"

namespace fastserve::cli {

// One line per pass run, e.g.
//   "  fold_batchnorm: BatchNormalization 2, Conv 2 -> Conv 2  [2 rewrites, 0.05 ms]"
// listing the op types the pass touched with their counts before and after,
// under a header with the total node counts.
std::string pass_report_text(const PassReport& report);
// {"level":3,"nodes_before":N,"nodes_after":N,"runs":[{...}, ...]}
std::string pass_report_json(const PassReport& report);

// One line per node in execution order:
//   "  relu (fastserve.FusedConv): x, w, b -> y  activation=Relu"
std::string node_list_text(const Graph& g);
// [{"name":..,"op":..,"inputs":[..],"outputs":[..]}, ...]
std::string node_list_json(const Graph& g);

}  // namespace fastserve::cli
