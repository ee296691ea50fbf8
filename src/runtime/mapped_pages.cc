// See mapped_pages.h.
#include "runtime/mapped_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace fastserve {

namespace {

// Whole pages inside [data, data + size).
size_t advise_interior(const void* data, size_t size) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) / page * page;
  if (end <= begin) return 0;
  return ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0 ? end - begin : 0;
}

}  // namespace

size_t release_mapped_pages(const Model& model) {
  size_t advised = 0;
  for (const auto& [data, size] : model.mapped_ranges) advised += advise_interior(data, size);
  return advised;
}

size_t release_mapped_bytes(const Model& model, const void* data, size_t bytes) {
  const auto p = reinterpret_cast<uintptr_t>(data);
  for (const auto& [begin, size] : model.mapped_ranges) {
    const auto b = reinterpret_cast<uintptr_t>(begin);
    if (p >= b && p + bytes <= b + size) return advise_interior(data, bytes);
  }
  return 0;
}

}  // namespace fastserve
