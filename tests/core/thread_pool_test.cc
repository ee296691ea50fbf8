#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace fastserve {
namespace {

// Runs parallel_for and checks every index in [0, n) is visited exactly once,
// and every chunk but the last is at least `grain` long.
void expect_exact_cover(ThreadPool& pool, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::atomic<int> chunks{0};
  std::atomic<int> short_chunks{0};
  pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
    ASSERT_LE(0, b);
    ASSERT_LT(b, e);
    ASSERT_LE(e, n);
    if (e - b < grain) short_chunks.fetch_add(1);
    chunks.fetch_add(1);
    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " grain=" << grain << " i=" << i;
  EXPECT_LE(chunks.load(), pool.num_threads());
  // Only a range shorter than grain as a whole may yield a chunk below grain.
  if (n >= grain) {
    EXPECT_EQ(short_chunks.load(), 0) << "n=" << n << " grain=" << grain;
  }
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4, 7}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 7, 8, 16, 17, 63, 64, 65, 100, 1000, 4097}) {
      for (int64_t grain : {0, 1, 2, 3, 7, 16, 64, 1000, 5000}) expect_exact_cover(pool, n, grain);
    }
  }
}

TEST(ThreadPool, SplitsAcrossThreadsWhenRangeIsLarge) {
  ThreadPool pool(4);
  std::atomic<int> chunks{0};
  pool.parallel_for(1000, 10, [&](int64_t, int64_t) { chunks.fetch_add(1); });
  EXPECT_EQ(chunks.load(), 4);
  chunks = 0;
  pool.parallel_for(25, 10, [&](int64_t, int64_t) { chunks.fetch_add(1); });
  EXPECT_EQ(chunks.load(), 2);  // floor(25/10) chunks, each >= grain
  chunks = 0;
  pool.parallel_for(9, 10, [&](int64_t b, int64_t e) {
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 9);
    chunks.fetch_add(1);
  });
  EXPECT_EQ(chunks.load(), 1);
}

TEST(ThreadPool, RunOnAllCallsEachTidOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> seen(4);
  std::atomic<int> nthreads_seen{0};
  for (int rep = 0; rep < 50; ++rep) {
    pool.run_on_all([&](int tid, int n) {
      ASSERT_GE(tid, 0);
      ASSERT_LT(tid, n);
      seen[static_cast<size_t>(tid)].fetch_add(1);
      nthreads_seen.store(n);
    });
  }
  EXPECT_EQ(nthreads_seen.load(), 4);
  for (auto& s : seen) EXPECT_EQ(s.load(), 50);
}

TEST(ThreadPool, ZeroThreadsMeansHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_GE(pool.num_threads(), 1);
  expect_exact_cover(pool, 1000, 1);
}

TEST(ThreadPool, ConcurrentCallersFromFourThreadsAllComplete) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int64_t> total{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 200; ++rep) {
        const int64_t n = 50 + c * 13 + rep % 7;
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(n, 4, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        });
        for (auto& h : hits) ASSERT_EQ(h.load(), 1);
        total.fetch_add(n);
      }
    });
  }
  for (auto& t : callers) t.join();
  int64_t expect = 0;
  for (int c = 0; c < 4; ++c) {
    for (int rep = 0; rep < 200; ++rep) expect += 50 + c * 13 + rep % 7;
  }
  EXPECT_EQ(total.load(), expect);
}

TEST(ThreadPool, NestedParallelForRunsInlineWithoutDeadlock) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(64 * 64);
  pool.parallel_for(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(64, 1, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j) hits[static_cast<size_t>(i * 64 + j)].fetch_add(1);
      });
    }
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, DestructionWhileIdleAndRightAfterWork) {
  for (int i = 0; i < 20; ++i) {
    auto pool = std::make_unique<ThreadPool>(4);
    if (i % 2 == 0) expect_exact_cover(*pool, 100, 1);
    pool.reset();  // must join sleeping workers without hanging
  }
  SUCCEED();
}

}  // namespace
}  // namespace fastserve
