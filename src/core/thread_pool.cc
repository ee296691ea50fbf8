// ThreadPool: one job at a time; workers spin briefly, then sleep.
//
// A job is fn(tid, nthreads) run once on every thread (the caller is tid 0).
// parallel_for builds such a job from a static, even split decided up front,
// so no work queue is needed. Re-entrancy: a thread already inside a job (a
// nested parallel_for from a kernel), or a caller that finds another
// thread's job running, executes its whole range inline. That keeps two
// sessions sharing a pool deadlock-free.
//
// No lost wake-ups: a sleeper announces itself (seq_cst store) and then
// re-checks the condition under mu_; a waker changes the condition (seq_cst)
// and then reads the announcement, notifying under mu_ when set. Under
// sequential consistency at least one side sees the other's write.
#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

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

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() or kSpinMicros have passed; returns done().
template <class Pred>
bool spin_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  num_threads_ = num_threads;
  workers_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int tid = 1; tid < num_threads_; ++tid) workers_.emplace_back([this, tid] { worker_loop(tid); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lk(mu_);
  }
  cv_work_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::worker_loop(int tid) {
  uint64_t seen = 0;
  while (true) {
    auto posted = [&] { return generation_.load() != seen || stop_.load(); };
    if (!spin_until(posted)) {
      std::unique_lock<std::mutex> lk(mu_);
      sleeping_workers_.fetch_add(1);
      cv_work_.wait(lk, posted);
      sleeping_workers_.fetch_sub(1);
    }
    // A posted job is finished even when stopping, so its caller is never left waiting.
    const uint64_t gen = generation_.load();
    if (gen == seen) return;
    seen = gen;
    {
      InJobScope scope;
      (*job_)(tid, num_threads_);
    }
    if (pending_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
      std::lock_guard<std::mutex> lk(mu_);
      cv_done_.notify_one();
    }
  }
}

void ThreadPool::run_on_all(const std::function<void(int, int)>& fn) {
  if (num_threads_ == 1 || t_in_job || !job_mutex_.try_lock()) {
    InJobScope scope;
    fn(0, 1);
    return;
  }
  job_ = &fn;
  pending_.store(num_threads_ - 1);
  generation_.fetch_add(1);  // publishes job_ and pending_
  if (sleeping_workers_.load() > 0) {
    std::lock_guard<std::mutex> lk(mu_);
    cv_work_.notify_all();
  }
  {
    InJobScope scope;
    fn(0, num_threads_);
  }
  auto done = [&] { return pending_.load() == 0; };
  if (!spin_until(done)) {
    std::unique_lock<std::mutex> lk(mu_);
    caller_sleeping_.store(true);
    cv_done_.wait(lk, done);
    caller_sleeping_.store(false);
  }
  job_ = nullptr;
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
