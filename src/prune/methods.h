// The pruning methods, one file each (prune.h describes them). Each takes
// the layers prune.cc selected (options checked, exclusions applied) and
// fills the report's per-layer entries.
#pragma once

#include <vector>

#include "prune/prunable.h"

namespace fastserve::prune {

Status prune_magnitude(Model& model, const std::vector<PrunableLayer>& layers, const PruneOptions& options,
                       PruneReport& report);
Status prune_two_four(Model& model, const std::vector<PrunableLayer>& layers, PruneReport& report);
Status prune_channels(Model& model, const std::vector<PrunableLayer>& layers, const PruneOptions& options,
                      PruneReport& report);

}  // namespace fastserve::prune
