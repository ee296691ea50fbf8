// CPUID cache descriptors -> CacheSizes (see cpu_cache.h). Leaf layouts:
// Intel SDM vol. 2A, CPUID leaf 04H; AMD APM vol. 3, E.4.15 (Fn8000_001D)
// and E.4.5-6 (Fn8000_0005/6). Both deterministic leaves share one layout:
// EAX[4:0] type (0 = no more caches, 1 data, 2 instruction, 3 unified),
// EAX[7:5] level, EAX[25:14] threads sharing - 1; EBX[11:0] line - 1,
// EBX[21:12] partitions - 1, EBX[31:22] ways - 1; ECX sets - 1.
#include "core/cpu_cache.h"

#include <algorithm>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace fastserve {
namespace {

constexpr int64_t kMaxL3Share = int64_t{32} << 20;

bool read_deterministic(CpuidFn cpuid, uint32_t leaf, CacheSizes& out) {
  bool found = false;
  for (uint32_t sub = 0; sub < 16; ++sub) {
    uint32_t r[4] = {0, 0, 0, 0};
    if (!cpuid(leaf, sub, r)) break;
    const uint32_t type = r[0] & 0x1f;
    if (type == 0) break;
    if (type == 2) continue;  // instruction cache
    const uint32_t level = (r[0] >> 5) & 0x7;
    const int64_t sharing = ((r[0] >> 14) & 0xfff) + 1;
    const int64_t size = int64_t{(r[1] & 0xfff) + 1} * (((r[1] >> 12) & 0x3ff) + 1) * (((r[1] >> 22) & 0x3ff) + 1) *
                         (int64_t{r[2]} + 1);
    if (level == 1) {
      out.l1d = size;
    } else if (level == 2) {
      out.l2 = size;
    } else if (level == 3) {
      out.l3 = size / sharing;
    }
    found = true;
  }
  return found;
}

}  // namespace

CacheSizes detect_cache_sizes(CpuidFn cpuid) {
  CacheSizes out;
  uint32_t r[4] = {0, 0, 0, 0};
  if (!cpuid(0, 0, r)) return out;
  const uint32_t max_leaf = r[0];
  const bool amd = r[1] == 0x68747541;  // "Auth" of AuthenticAMD
  uint32_t max_ext = 0;
  if (cpuid(0x80000000u, 0, r)) max_ext = r[0];
  bool found = false;
  if (amd && max_ext >= 0x8000001Du) found = read_deterministic(cpuid, 0x8000001Du, out);
  if (!found && !amd && max_leaf >= 4) found = read_deterministic(cpuid, 4, out);
  if (!found && amd && max_ext >= 0x80000006u) {
    if (cpuid(0x80000005u, 0, r) && (r[2] >> 24) != 0) out.l1d = int64_t{r[2] >> 24} << 10;
    if (cpuid(0x80000006u, 0, r)) {
      if ((r[2] >> 16) != 0) out.l2 = int64_t{r[2] >> 16} << 10;
      if ((r[3] >> 18) != 0) out.l3 = int64_t{r[3] >> 18} << 19;
    }
  }
  // Implausible values mean a broken descriptor: keep the fallback.
  const CacheSizes fallback;
  if (out.l1d < (8 << 10) || out.l1d > (1 << 20)) out.l1d = fallback.l1d;
  if (out.l2 < out.l1d || out.l2 > (int64_t{64} << 20)) out.l2 = fallback.l2;
  if (out.l3 <= 0) out.l3 = fallback.l3;
  out.l3 = std::min(out.l3, kMaxL3Share);
  return out;
}

const CacheSizes& cache_sizes() {
  static const CacheSizes sizes = [] {
#if defined(__x86_64__)
    return detect_cache_sizes([](uint32_t leaf, uint32_t sub, uint32_t out[4]) {
      // __get_cpuid_count checks the leaf against the maximum of its range.
      return __get_cpuid_count(leaf, sub, &out[0], &out[1], &out[2], &out[3]) != 0;
    });
#else
    return detect_cache_sizes([](uint32_t, uint32_t, uint32_t*) { return false; });
#endif
  }();
  return sizes;
}

}  // namespace fastserve
