// Following a pruned producer's output channels through the graph
// (channel_pruning.cc has the rules): which tensors lose which entries,
// which elementwise binaries the channels meet, or why they cannot be
// followed.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve::prune {

// "Remove channel c" on a tensor means removing indices
// [(offset + c) * block, (offset + c + 1) * block) along `axis` (offset > 0
// for the readers of a Concat that puts other channels first).
struct SliceEdit {
  ValueId tensor = kNoValue;
  int axis = 0;
  int64_t block = 1;
  int64_t offset = 0;
};

// Where a producer's channels sit on a value's channel axis: [offset,
// offset + count) of total (total > count after a Concat).
struct Span {
  int64_t count = 0, offset = 0, total = 0;
  bool whole() const { return offset == 0 && total == count; }
};

struct ChannelPlan {
  std::vector<SliceEdit> slices;
  // |gamma| / sqrt(var + eps) of the BatchNormalization the channels reach
  // first, else empty: the filter the engine runs is W scaled by it
  // (fold_batchnorm), so that is the filter whose L1 norm ranks.
  std::vector<double> bn_scale;
  std::vector<size_t> group_nodes;  // depthwise convs whose `group` becomes the kept count
  // The elementwise binaries the channels reach, with the operands they
  // cover (the one they arrive on; a constant one).
  std::set<std::pair<size_t, size_t>> add_inputs;
  std::set<std::pair<ValueId, int64_t>> visited;  // (value, offset) already followed: paths rejoin
};

class ChannelTracer {
 public:
  explicit ChannelTracer(const Graph& g);
  ~ChannelTracer();
  ChannelTracer(const ChannelTracer&) = delete;
  ChannelTracer& operator=(const ChannelTracer&) = delete;

  // Follows the channels `sp` of value `v` (axis 1 in conv layout, else the
  // last axis) to every reader; false with `why` when one cannot follow.
  bool trace(ValueId v, const Span& sp, bool conv_layout, ChannelPlan& plan, std::string& why);
  // The tensor is read by one node only: editing it cannot change another
  // layer (else false, with `why` naming `who`).
  bool sole_use(ValueId id, std::string& why, const std::string& who) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

int64_t attr_int(const Node& n, const char* name, int64_t def);

}  // namespace fastserve::prune
