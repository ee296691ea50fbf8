// CpuAllocator: aligned_alloc plus a transparent-huge-page hint for big blocks.
#include "backends/cpu/cpu_allocator.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fastserve {

void* CpuAllocator::allocate(size_t bytes) {
  const bool huge = bytes >= kHugePageSize;
  // madvise needs a page-aligned range; aligning big blocks to 2 MiB also lets
  // the kernel back them with whole huge pages.
  const size_t align = huge ? kHugePageSize : kAlignment;
  if (bytes > SIZE_MAX - align) return nullptr;
  size_t rounded = (bytes + align - 1) / align * align;  // aligned_alloc wants a multiple
  if (rounded == 0) rounded = align;
  void* p = std::aligned_alloc(align, rounded);
  if (p == nullptr) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // A hint only: failure (THP disabled) is harmless.
  if (huge) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

void CpuAllocator::deallocate(void* p) { std::free(p); }

}  // namespace fastserve
