// The dynamic batcher of one model version: a bounded priority queue of
// requests and one worker thread per instance, each with its own Session.
//
// A worker takes the oldest request of the highest priority level and, when
// dynamic batching is on, the compatible requests behind it (same dtypes and
// the same dims after the batch dim) until the batch holds max_batch_size
// items. It runs at once when the batch is full or at the largest preferred
// size, else when the oldest request has waited max_queue_delay (then
// trimmed to the largest preferred size that fits, if any). Inputs are
// concatenated along dim 0, run once, and the outputs split back per request.
// Requests whose deadline passed are dropped before a batch forms. When
// nothing is queued, an instance is idle and the policy would not wait, the
// request runs at once on the calling thread (no hand-off to a worker).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fastserve/session.h"
#include "serve/infer_request.h"
#include "serve/metrics.h"
#include "serve/model_config.h"

namespace fastserve::serve {

// Counters the statistics extension reports (ModelStatistics), kept by the batcher.
struct BatcherStats {
  std::mutex mu;
  uint64_t last_inference_ms = 0;
  uint64_t inference_count = 0, execution_count = 0;
  uint64_t success_count = 0, success_ns = 0, fail_count = 0, fail_ns = 0;
  uint64_t queue_count = 0, queue_ns = 0;
  uint64_t compute_input_ns = 0, compute_infer_ns = 0, compute_output_ns = 0;
  struct PerSize {
    uint64_t count = 0, input_ns = 0, infer_ns = 0, output_ns = 0;
  };
  std::vector<std::pair<int64_t, PerSize>> by_batch_size;  // sorted by size
};

class DynamicBatcher {
 public:
  // `sessions`: one per instance (each worker owns one). `metrics` may hold nulls.
  DynamicBatcher(const ModelConfig& config, std::vector<std::unique_ptr<Session>> sessions,
                 ModelMetrics metrics);
  ~DynamicBatcher();  // drain() then join
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues a validated request and returns the future of its response.
  // `items` is its batch-dim size (1 when max_batch_size is 0). Errors now:
  // kResourceExhausted (queue full), kUnavailable (draining; `*draining` set
  // so the caller can retry on a newer version). `request` is moved from
  // only when it is admitted: on an error the caller still holds it.
  Result<std::future<Result<InferResponse>>> submit(InferRequest&& request, int64_t items, bool* draining);

  // Stops admitting; the queued requests still run. Returns at once.
  void begin_drain();
  // begin_drain(), then waits until the queue is empty and no batch runs.
  void drain();
  size_t queued() const;
  BatcherStats& stats() { return stats_; }
  // The first instance's session (metadata, memory stats).
  const Session& session() const { return *sessions_.front(); }

 private:
  struct Pending {
    InferRequest request;
    int64_t items = 1;
    Clock::time_point deadline;  // time_point::max() = none
    std::promise<Result<InferResponse>> promise;
  };
  using PendingPtr = std::unique_ptr<Pending>;

  void worker_loop(size_t instance);
  // Under mu_: drops expired requests; picks the next batch or returns empty
  // with *wake_at set to when to look again.
  std::vector<PendingPtr> take_batch_locked(Clock::time_point now, Clock::time_point* wake_at);
  void run_batch(const Session& session, std::vector<PendingPtr> batch);
  void fail(Pending& p, Status status, bool timeout);

  ModelConfig config_;
  std::vector<std::unique_ptr<Session>> sessions_;
  ModelMetrics metrics_;
  uint64_t max_queue_size_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // workers: work arrived / stop
  std::condition_variable idle_cv_;  // drain(): queue empty and nothing running
  std::vector<std::deque<PendingPtr>> queues_;  // index 0 = priority level 1 (highest)
  size_t queued_ = 0;
  size_t running_ = 0;
  std::vector<char> busy_;  // per instance: a batch runs on its session (worker or inline caller)
  bool draining_ = false;
  bool stop_ = false;
  BatcherStats stats_;
  std::vector<std::thread> workers_;
};

}  // namespace fastserve::serve
