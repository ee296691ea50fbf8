// CpuAllocator: the host-memory Allocator (64-byte aligned heap blocks).
//
// Large blocks (>= 2 MiB, i.e. activation arenas and packed weights) are
// 2 MiB aligned and marked MADV_HUGEPAGE so transparent huge pages can back
// them, which cuts TLB misses in GEMM-heavy models.
#pragma once

#include "core/device.h"

namespace fastserve {

class CpuAllocator final : public Allocator {
 public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kHugePageSize = size_t{2} << 20;

  // Never returns null for bytes == 0 (a unique 64-byte block); null on failure.
  void* allocate(size_t bytes) override;
  void deallocate(void* p) override;
  Device device() const override { return Device::kCpu; }
};

}  // namespace fastserve
