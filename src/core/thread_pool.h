// The one thread pool every kernel uses.
//
// parallel_for splits [0, n) into contiguous chunks across the caller and the
// workers. Workers sleep on a condition variable between jobs (no spinning
// that burns a core between requests). The pool serves one parallel_for at a
// time; if another thread's job is already running (two sessions running at
// once), the caller runs its whole range inline rather than waiting, so
// concurrent runs are safe and never deadlock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fastserve {

class ThreadPool {
 public:
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

 private:
  void worker_loop(int tid);
  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // held for the duration of one job
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(int, int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace fastserve
