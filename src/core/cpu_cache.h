// Data cache sizes of the core we run on, for cache blocking (GEMM's KC,
// MC, NC). Read from CPUID, not sysfs: some guests have no
// /sys/devices/system/cpu/cpu0/cache. Sources, in order:
//   * Intel leaf 4 / AMD leaf 0x8000001D (deterministic cache parameters:
//     ways * partitions * line size * sets, and how many threads share it);
//   * AMD legacy leaves 0x80000005 / 0x80000006;
//   * the fallback below when CPUID says nothing (non-x86, odd hypervisors).
// A cache shared by several threads is reported per thread, and L3 is capped
// (some guests' CPUID claims the whole socket's L3, hundreds of MiB, which a
// 2-vCPU guest does not get).
#pragma once

#include <cstdint>

namespace fastserve {

struct CacheSizes {
  int64_t l1d = 32 * 1024;        // bytes, per core
  int64_t l2 = 512 * 1024;        // bytes, per core
  int64_t l3 = 4 * 1024 * 1024;   // bytes, this thread's share
};

// Detected once, thread-safe.
const CacheSizes& cache_sizes();

// The parsing step, exposed for tests: `leaf(eax_in, ecx_in, out[4])` runs
// one CPUID query (returns false when the leaf does not exist).
using CpuidFn = bool (*)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
CacheSizes detect_cache_sizes(CpuidFn cpuid);

}  // namespace fastserve
