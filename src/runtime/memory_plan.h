// Static memory planning: intermediate tensors share one arena.
//
// Given, for each intermediate value, its size in bytes and its lifetime (the
// index of the node that produces it and of the last node that reads it),
// plan_memory() assigns every value an offset in one arena so that values
// alive at the same time never overlap. Placement is "greedy by size" (the
// TFLite planner's heuristic): the largest values are placed first, each at
// the lowest offset where it fits between the already placed values whose
// lifetimes intersect its own. Offsets are 64-byte aligned so every tensor
// keeps the alignment kernels expect.
//
// The executor records the sizes on the first run with a given set of input
// shapes, plans, and from then on carves tensors out of an arena instead of
// calling the allocator per tensor (see executor.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fastserve {

inline constexpr size_t kArenaAlignment = 64;

struct BufferLifetime {
  size_t bytes = 0;
  int32_t first_node = 0;  // index (execution order) of the producer
  int32_t last_node = 0;   // index of the last reader (>= first_node)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per buffer, in the order given
  size_t arena_bytes = 0;       // planned peak: the arena's size
  size_t naive_bytes = 0;       // sum of all buffer sizes, each aligned (no sharing), for reports
};

MemoryPlan plan_memory(std::span<const BufferLifetime> buffers);

}  // namespace fastserve
