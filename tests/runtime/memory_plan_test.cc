// plan_memory (src/runtime/memory_plan.cc) on random lifetimes: buffers
// alive at the same time never overlap, offsets are aligned, the arena covers
// every buffer and is no larger than the naive sum; plus small cases worked
// out by hand.
#include "runtime/memory_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace fastserve {
namespace {

TEST(MemoryPlan, ChainReusesMemoryOfDeadBuffers) {
  // a (0..1) -> b (1..2) -> c (2..3): a and c never live together, so they share.
  const std::vector<BufferLifetime> bufs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  MemoryPlan p = plan_memory(bufs);
  EXPECT_EQ(p.naive_bytes, 3 * 1024u);  // three buffers, each aligned
  EXPECT_EQ(p.arena_bytes, 2 * 1024u);  // two 1000-byte buffers rounded to 64
  EXPECT_EQ(p.offsets[0], p.offsets[2]);
  EXPECT_NE(p.offsets[0], p.offsets[1]);
}

TEST(MemoryPlan, EmptyAndSingle) {
  EXPECT_EQ(plan_memory({}).arena_bytes, 0u);
  const std::vector<BufferLifetime> one = {{1, 3, 3}};
  MemoryPlan p = plan_memory(one);
  EXPECT_EQ(p.offsets[0], 0u);
  EXPECT_EQ(p.arena_bytes, kArenaAlignment);
}

TEST(MemoryPlan, RandomLifetimesNeverOverlapWhileAlive) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 60);
    std::vector<BufferLifetime> bufs(static_cast<size_t>(n));
    size_t naive = 0;
    for (BufferLifetime& b : bufs) {
      b.first_node = static_cast<int32_t>(rng() % 50);
      b.last_node = b.first_node + static_cast<int32_t>(rng() % 10);
      b.bytes = 1 + rng() % 100000;
      naive += (b.bytes + 63) / 64 * 64;
    }
    MemoryPlan p = plan_memory(bufs);
    ASSERT_EQ(p.offsets.size(), bufs.size());
    EXPECT_EQ(p.naive_bytes, naive);
    // The peak live sum at any node is a lower bound; the naive aligned sum an upper one.
    size_t aligned_sum = 0, peak_live = 0;
    for (const BufferLifetime& b : bufs) aligned_sum += (b.bytes + 63) / 64 * 64;
    for (int node = 0; node < 60; ++node) {
      size_t live = 0;
      for (const BufferLifetime& b : bufs) {
        if (b.first_node <= node && node <= b.last_node) live += b.bytes;
      }
      peak_live = std::max(peak_live, live);
    }
    EXPECT_GE(p.arena_bytes, peak_live);
    EXPECT_LE(p.arena_bytes, aligned_sum);
    for (size_t i = 0; i < bufs.size(); ++i) {
      EXPECT_EQ(p.offsets[i] % kArenaAlignment, 0u);
      EXPECT_LE(p.offsets[i] + bufs[i].bytes, p.arena_bytes);
      for (size_t j = i + 1; j < bufs.size(); ++j) {
        const bool alive_together =
            bufs[i].first_node <= bufs[j].last_node && bufs[j].first_node <= bufs[i].last_node;
        if (!alive_together) continue;
        const bool disjoint = p.offsets[i] + bufs[i].bytes <= p.offsets[j] || p.offsets[j] + bufs[j].bytes <= p.offsets[i];
        EXPECT_TRUE(disjoint) << "trial " << trial << " buffers " << i << " and " << j;
      }
    }
  }
}

}  // namespace
}  // namespace fastserve
