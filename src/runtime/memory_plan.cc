// Greedy-by-size arena placement (see memory_plan.h).
#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace fastserve {
namespace {

size_t align_up(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

bool lifetimes_overlap(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first_node <= b.last_node && b.first_node <= a.last_node;
}

}  // namespace

MemoryPlan plan_memory(std::span<const BufferLifetime> buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by earlier producer so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first_node < buffers[b].first_node;
  });

  struct Placed {
    size_t offset, end;
  };
  std::vector<size_t> placed;  // indices into buffers, already given offsets
  std::vector<Placed> conflicts;
  for (size_t idx : order) {
    const BufferLifetime& buf = buffers[idx];
    const size_t size = align_up(std::max<size_t>(buf.bytes, 1));
    plan.naive_bytes += size;  // each in its own buffer, aligned as the arena's are
    conflicts.clear();
    for (size_t other : placed) {
      if (lifetimes_overlap(buf, buffers[other])) {
        conflicts.push_back({plan.offsets[other], plan.offsets[other] + align_up(std::max<size_t>(buffers[other].bytes, 1))});
      }
    }
    std::sort(conflicts.begin(), conflicts.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    // Best fit: the smallest gap between live buffers that holds this one;
    // otherwise just past the highest live buffer.
    size_t best_offset = 0, best_gap = SIZE_MAX, cursor = 0;
    bool found = false;
    for (const Placed& c : conflicts) {
      if (c.offset > cursor) {
        const size_t gap = c.offset - cursor;
        if (gap >= size && gap < best_gap) {
          best_gap = gap;
          best_offset = cursor;
          found = true;
        }
      }
      cursor = std::max(cursor, c.end);
    }
    if (!found) best_offset = cursor;
    plan.offsets[idx] = best_offset;
    plan.arena_bytes = std::max(plan.arena_bytes, best_offset + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace fastserve
