// The one thread pool every kernel uses.
//
// parallel_for splits [0, n) into contiguous chunks across the caller and the
// workers; a pool of N threads is the caller plus N-1 workers, so N threads
// do the work. Between jobs a worker spins for a short, bounded time
// (kSpinMicros) watching for the next job, then sleeps on a condition
// variable: an inference issues one parallel_for per op back to back, and
// the spin lets those find the workers awake instead of paying a futex wake
// (tens of microseconds on a VM) each time, while an idle process still
// burns no CPU beyond that window. The caller waits for the workers the same
// way (spin, then sleep).
//
// The pool serves one parallel_for at a time; if another thread's job is
// already running (two sessions running at once), the caller runs its whole
// range inline rather than waiting, so concurrent runs are safe and never
// deadlock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fastserve {

class ThreadPool {
 public:
  // How long an idle worker (or a caller waiting for workers) spins before
  // sleeping on the condition variable. Waking a sleeping worker costs
  // 0.2-1 ms on this project's VMs (a halted vCPU is rescheduled by the
  // host), so the spin must outlast the gaps inside and between runs: the
  // Fashion-MNIST CNN at batch 1 on 2 threads measured p50 263 us with 50 us
  // (every run woke the worker) and 55 us with 300 us. The cost is at most
  // 300 us of one core after the last parallel op of a burst.
  static constexpr int kSpinMicros = 300;

  // num_threads counts the caller: 1 means no workers. 0 means hardware concurrency.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end) on disjoint chunks covering [0, n). Chunks are at
  // least `grain` long (except the last); with n <= grain, fn runs inline.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
  // Calls fn(tid, nthreads) once per thread, tid in [0, nthreads).
  void run_on_all(const std::function<void(int, int)>& fn);

  // Workers now asleep on the condition variable (for tests: an idle pool
  // ends with all of them asleep).
  int sleeping_workers() const { return sleeping_workers_.load(); }

 private:
  void worker_loop(int tid);
  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // held for the duration of one job
  // Sleeping and waking. The hand-offs are lock-free atomics; mu_ only
  // orders a sleeper's last check against the waker's notify (the seq_cst
  // store-then-load pairs in thread_pool.cc rule out a lost wake-up).
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(int, int)>* job_ = nullptr;  // published by generation_
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};           // workers still running the current job
  std::atomic<int> sleeping_workers_{0};  // workers blocked (or about to block) on cv_work_
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace fastserve
