// ThreadPool: one job at a time, workers sleep on a condition variable.
//
// A job is fn(tid, nthreads) run once on every thread (the caller is tid 0).
// parallel_for builds such a job from a static, even split decided up front,
// so no work queue or atomics are needed. Re-entrancy: a thread already
// inside a job (a nested parallel_for from a kernel), or a caller that finds
// another thread's job running, executes its whole range inline. That keeps
// two sessions sharing a pool deadlock-free.
#include "core/thread_pool.h"

#include <algorithm>

namespace fastserve {

namespace {
// True while this thread runs a job body of any pool. Checked before touching
// job_mutex_ so a nested call never try_locks a mutex its own thread holds (UB).
thread_local bool t_in_job = false;

struct InJobScope {
  bool prev;
  InJobScope() : prev(t_in_job) { t_in_job = true; }
  ~InJobScope() { t_in_job = prev; }
};
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  num_threads_ = num_threads;
  workers_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int tid = 1; tid < num_threads_; ++tid) workers_.emplace_back([this, tid] { worker_loop(tid); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_work_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::worker_loop(int tid) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int, int)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_work_.wait(lk, [&] { return stop_ || generation_ != seen; });
      // A posted job is finished even when stopping, so its caller is never left waiting.
      if (generation_ == seen) return;
      seen = generation_;
      job = job_;
    }
    {
      InJobScope scope;
      (*job)(tid, num_threads_);
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (--pending_ == 0) cv_done_.notify_one();
    }
  }
}

void ThreadPool::run_on_all(const std::function<void(int, int)>& fn) {
  if (num_threads_ == 1 || t_in_job || !job_mutex_.try_lock()) {
    InJobScope scope;
    fn(0, 1);
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_ = &fn;
    pending_ = num_threads_ - 1;
    ++generation_;
  }
  cv_work_.notify_all();
  {
    InJobScope scope;
    fn(0, num_threads_);
  }
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_done_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }
  job_mutex_.unlock();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  // Floor division keeps every chunk >= grain; never more chunks than threads.
  const int64_t chunks = std::min<int64_t>(num_threads_, std::max<int64_t>(1, n / grain));
  if (chunks == 1) {
    InJobScope scope;
    fn(0, n);
    return;
  }
  const int64_t base = n / chunks;
  const int64_t extra = n % chunks;  // the first `extra` chunks get one more
  auto chunk_begin = [&](int64_t k) { return k * base + std::min(k, extra); };
  run_on_all([&](int tid, int nthreads) {
    for (int64_t k = tid; k < chunks; k += nthreads) fn(chunk_begin(k), chunk_begin(k + 1));
  });
}

}  // namespace fastserve
