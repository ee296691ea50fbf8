// ArenaPool (see arena_pool.h).
#include "runtime/arena_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>

namespace fastserve {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

ArenaPool::Buffer allocate(size_t bytes) {
  const size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, std::max(rounded, alignment));
  if (p != nullptr && alignment == kHugePage) {
    // Advisory only: failure (no THP support) just means small pages.
    (void)madvise(p, rounded, MADV_HUGEPAGE);
  }
  return ArenaPool::Buffer(p);
}

}  // namespace

void ArenaPool::Free::operator()(void* p) const { std::free(p); }

ArenaPool::Lease::~Lease() {
  if (pool_ != nullptr && buffer_ != nullptr) pool_->give_back(std::move(buffer_), capacity_);
}

ArenaPool::Lease ArenaPool::acquire(size_t bytes) {
  bytes = std::max<size_t>(bytes, 64);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The smallest idle buffer that is large enough.
    auto best = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->capacity >= bytes && (best == idle_.end() || it->capacity < best->capacity)) best = it;
    }
    if (best != idle_.end()) {
      Lease lease(this, std::move(best->buffer), best->capacity);
      idle_.erase(best);
      return lease;
    }
  }
  Buffer buffer = allocate(bytes);
  if (buffer == nullptr) return Lease();
  return Lease(this, std::move(buffer), bytes);
}

void ArenaPool::give_back(Buffer buffer, size_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back({std::move(buffer), capacity});
  if (idle_.size() > kMaxIdle) {
    // Drop the smallest: the large ones serve every request.
    auto smallest = std::min_element(idle_.begin(), idle_.end(),
                                     [](const Idle& a, const Idle& b) { return a.capacity < b.capacity; });
    idle_.erase(smallest);
  }
}

}  // namespace fastserve
