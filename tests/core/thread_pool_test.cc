#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
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

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Workers spin only kSpinMicros after a job, then sleep: an idle pool uses
// no CPU. (A worker that kept spinning would burn ~all of the window.)
TEST(ThreadPool, IdleWorkersStopSpinningAndSleep) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 20; ++rep) expect_exact_cover(pool, 100, 1);
  // Every worker goes to sleep once the spin window has passed (polled, so
  // a busy machine that delays the workers cannot fail the test).
  for (int i = 0; i < 500 && pool.sleeping_workers() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(pool.sleeping_workers(), 2);
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double idle_cpu = process_cpu_seconds() - cpu0;
  EXPECT_LT(idle_cpu, 0.05) << "an idle pool burned " << idle_cpu << " s of CPU in 0.3 s";
  // And they wake for the next job.
  expect_exact_cover(pool, 1000, 1);
}

// Back-to-back jobs (one per op in an inference) hand over through the
// spinning path; jobs of every size stay exact, with two callers racing.
TEST(ThreadPool, BackToBackJobsStayExactWithSpinningWorkers) {
  ThreadPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 2; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 2000; ++rep) {
        const int64_t n = 1 + rep % 37;
        std::vector<int> hits(static_cast<size_t>(n), 0);
        pool.parallel_for(n, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
        });
        for (int h : hits) {
          if (h != 1) failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace fastserve
