// A pool of reusable arena buffers for per-run activations.
//
// Each run leases one buffer at least as large as its memory plan's arena and
// gives it back when it ends, so steady-state inference allocates nothing and
// concurrent runs each get their own buffer. Large buffers are 2 MiB aligned
// and marked MADV_HUGEPAGE (the machines here run THP in `madvise` mode):
// fewer TLB misses and page faults on multi-megabyte activations. The pool
// keeps at most kMaxIdle buffers, so memory tracks the concurrency actually
// seen, not the number of shapes ever run.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace fastserve {

class ArenaPool {
 public:
  struct Free {
    void operator()(void* p) const;
  };
  using Buffer = std::unique_ptr<void, Free>;

  // A buffer on loan; returned to the pool when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(ArenaPool* pool, Buffer buffer, size_t capacity)
        : pool_(pool), buffer_(std::move(buffer)), capacity_(capacity) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    char* data() const { return static_cast<char*>(buffer_.get()); }
    size_t capacity() const { return capacity_; }

   private:
    ArenaPool* pool_ = nullptr;
    Buffer buffer_;
    size_t capacity_ = 0;
  };

  // A buffer of at least `bytes` (64-byte aligned); null data when out of memory.
  Lease acquire(size_t bytes);

  static constexpr size_t kMaxIdle = 8;

 private:
  void give_back(Buffer buffer, size_t capacity);
  struct Idle {
    Buffer buffer;
    size_t capacity;
  };
  std::mutex mu_;
  std::vector<Idle> idle_;
};

}  // namespace fastserve
