#include "core/cpu_cache.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <tuple>

namespace fastserve {
namespace {

// A fake CPUID: the leaves of one machine, looked up by (leaf, subleaf).
using Leaves = std::map<std::pair<uint32_t, uint32_t>, std::array<uint32_t, 4>>;
const Leaves* g_leaves = nullptr;

bool fake_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]) {
  auto it = g_leaves->find({leaf, sub});
  if (it == g_leaves->end()) it = g_leaves->find({leaf, 0xffffffffu});  // leaves without subleaves
  if (it == g_leaves->end()) return false;
  for (int i = 0; i < 4; ++i) out[i] = it->second[static_cast<size_t>(i)];
  return true;
}

CacheSizes detect(const Leaves& leaves) {
  g_leaves = &leaves;
  return detect_cache_sizes(&fake_cpuid);
}

constexpr uint32_t kAuth = 0x68747541;  // "Auth"
constexpr uint32_t kGenu = 0x756e6547;  // "Genu"

// EAX/EBX/ECX of a deterministic cache descriptor.
std::array<uint32_t, 4> cache_leaf(uint32_t type, uint32_t level, uint32_t sharing, uint32_t ways, uint32_t sets) {
  const uint32_t eax = type | (level << 5) | ((sharing - 1) << 14);
  const uint32_t ebx = (64 - 1) | (0u << 12) | ((ways - 1) << 22);
  return {eax, ebx, sets - 1, 0};
}

TEST(CpuCache, AmdDeterministicLeafGivesPerThreadSizes) {
  // An EPYC (Zen 3) guest: L1d 32 KiB, L2 512 KiB, L3 32 MiB shared by 2.
  const Leaves leaves = {
      {{0, 0xffffffffu}, {16, kAuth, 0, 0}},
      {{0x80000000u, 0xffffffffu}, {0x80000022u, 0, 0, 0}},
      {{0x8000001Du, 0}, cache_leaf(1, 1, 1, 8, 64)},
      {{0x8000001Du, 1}, cache_leaf(2, 1, 1, 8, 64)},
      {{0x8000001Du, 2}, cache_leaf(3, 2, 1, 8, 1024)},
      {{0x8000001Du, 3}, cache_leaf(3, 3, 2, 16, 32768)},
      {{0x8000001Du, 4}, {0, 0, 0, 0}},
  };
  const CacheSizes cs = detect(leaves);
  EXPECT_EQ(cs.l1d, 32 << 10);
  EXPECT_EQ(cs.l2, 512 << 10);
  EXPECT_EQ(cs.l3, 16 << 20);
}

TEST(CpuCache, IntelLeafFourAndHugeL3IsCapped) {
  // L3 claimed 508 MiB for one thread: capped to a plausible share.
  const Leaves leaves = {
      {{0, 0xffffffffu}, {0x1f, kGenu, 0, 0}},
      {{4, 0}, cache_leaf(1, 1, 2, 12, 64)},
      {{4, 1}, cache_leaf(3, 2, 2, 16, 2048)},
      {{4, 2}, cache_leaf(3, 3, 1, 16, 508 * 1024)},
      {{4, 3}, {0, 0, 0, 0}},
  };
  const CacheSizes cs = detect(leaves);
  EXPECT_EQ(cs.l1d, 48 << 10);
  EXPECT_EQ(cs.l2, 2 << 20);
  EXPECT_EQ(cs.l3, 32 << 20);
}

TEST(CpuCache, NoCpuidOrNonsenseFallsBack) {
  const CacheSizes fallback;
  const CacheSizes none = detect(Leaves{});
  EXPECT_EQ(none.l1d, fallback.l1d);
  EXPECT_EQ(none.l2, fallback.l2);
  EXPECT_EQ(none.l3, fallback.l3);
  // A descriptor claiming a 1-byte L1 and no L2.
  const Leaves broken = {
      {{0, 0xffffffffu}, {0x1f, kGenu, 0, 0}},
      {{4, 0}, {1 | (1 << 5), 0, 0, 0}},
      {{4, 1}, {0, 0, 0, 0}},
  };
  const CacheSizes cs = detect(broken);
  EXPECT_EQ(cs.l1d, fallback.l1d);
  EXPECT_EQ(cs.l2, fallback.l2);
}

TEST(CpuCache, HostSizesArePlausible) {
  const CacheSizes& cs = cache_sizes();
  EXPECT_GE(cs.l1d, 8 << 10);
  EXPECT_GE(cs.l2, cs.l1d);
  EXPECT_GT(cs.l3, 0);
  EXPECT_LE(cs.l3, 32 << 20);
}

}  // namespace
}  // namespace fastserve
