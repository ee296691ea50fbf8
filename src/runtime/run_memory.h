// RunMemory: a session's activation memory across runs.
//
// The first run with a given set of input shapes allocates each intermediate
// tensor on its own and records its size; those sizes and the plan's
// lifetimes give a MemoryPlan (memory_plan.h), kept per input-shape signature.
// Later runs with the same shapes lease one arena from the pool and carve
// every intermediate out of it: no allocator calls, no page faults, and a
// peak near the live set. Graph outputs are never placed in the arena (they
// are handed to the caller). At most kMaxPlans signatures are kept (oldest
// dropped first) so memory does not grow with every new shape.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "runtime/arena_pool.h"
#include "runtime/memory_plan.h"

namespace fastserve {

struct ExecutionPlan;

// Where each value lives in the arena, for one input-shape signature.
struct ShapeMemoryPlan {
  std::vector<int64_t> offset;  // per ValueId; -1 = allocated on its own
  std::vector<size_t> bytes;    // per ValueId: the size planned for
  size_t arena_bytes = 0;
  size_t naive_bytes = 0;       // sum of the planned tensors' sizes
};

// What the last planned run used (for inspect / bench reports).
struct MemoryReport {
  size_t arena_bytes = 0;  // planned peak of intermediate activations
  size_t naive_bytes = 0;  // the same tensors without sharing
};

class RunMemory {
 public:
  static constexpr size_t kMaxPlans = 8;

  // The plan for this signature, or null when none was recorded yet.
  std::shared_ptr<const ShapeMemoryPlan> find(const std::vector<int64_t>& signature);
  // Builds and keeps the plan from one run's recorded sizes (per ValueId; 0
  // = not produced or a graph output).
  void record(const ExecutionPlan& plan, std::vector<int64_t> signature, std::span<const size_t> sizes);
  ArenaPool& arenas() { return arenas_; }
  MemoryReport last_report();

 private:
  std::mutex mu_;
  std::vector<std::pair<std::vector<int64_t>, std::shared_ptr<const ShapeMemoryPlan>>> plans_;
  MemoryReport last_;
  ArenaPool arenas_;
};

// Builds the arena layout for one run's sizes (exposed for tests).
ShapeMemoryPlan build_shape_memory_plan(const ExecutionPlan& plan, std::span<const size_t> sizes);

}  // namespace fastserve
