// Dynamic batcher: queueing, batch formation, concat / run / split
// (see batcher.h for the policy).
#include "serve/batcher.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace fastserve::serve {

namespace {

uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return b > a ? static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) : 0;
}

uint64_t epoch_ms_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Two requests may share a batch when every input has the same dtype and the
// same dims after the batch dim (the manager put inputs in model order).
bool compatible(const InferRequest& a, const InferRequest& b) {
  if (a.inputs.size() != b.inputs.size()) return false;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor& x = a.inputs[i].tensor;
    const Tensor& y = b.inputs[i].tensor;
    if (x.dtype() != y.dtype() || x.rank() != y.rank() || x.rank() == 0) return false;
    for (size_t d = 1; d < x.rank(); ++d)
      if (x.dim(d) != y.dim(d)) return false;
  }
  return true;
}

// Rows [row0, row0 + rows) of `t` along dim 0, copied.
Tensor slice_rows(const Tensor& t, int64_t row0, int64_t rows) {
  Shape shape = t.shape();
  const int64_t total = shape[0];
  shape[0] = rows;
  Tensor out = Tensor::empty(t.dtype(), shape);
  const size_t row_bytes = total > 0 ? t.nbytes() / static_cast<size_t>(total) : 0;
  if (row_bytes * static_cast<size_t>(rows) > 0)
    std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + row_bytes * static_cast<size_t>(row0),
                row_bytes * static_cast<size_t>(rows));
  return out;
}

void add_to(Histogram* h, double v) {
  if (h) h->observe(v);
}
void add_to(Counter* c, double v) {
  if (c) c->inc(v);
}

}  // namespace

DynamicBatcher::DynamicBatcher(const ModelConfig& config, std::vector<std::unique_ptr<Session>> sessions,
                               ModelMetrics metrics)
    : config_(config), sessions_(std::move(sessions)), metrics_(metrics) {
  FS_CHECK(!sessions_.empty());
  const auto& db = config_.dynamic_batching;
  max_queue_size_ = db.max_queue_size > 0 ? db.max_queue_size : kDefaultMaxQueueSize;
  queues_.resize(std::max<uint32_t>(1, db.priority_levels));
  busy_.assign(sessions_.size(), 0);
  for (size_t i = 0; i < sessions_.size(); ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

DynamicBatcher::~DynamicBatcher() {
  drain();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

Result<std::future<Result<InferResponse>>> DynamicBatcher::submit(InferRequest&& request, int64_t items,
                                                                   bool* draining) {
  auto p = std::make_unique<Pending>();
  const auto& db = config_.dynamic_batching;
  uint64_t timeout_us = db.default_timeout_us;
  if (request.timeout_us > 0 && (db.allow_timeout_override || timeout_us == 0)) timeout_us = request.timeout_us;
  p->deadline = timeout_us > 0 ? request.arrival + std::chrono::microseconds(timeout_us) : Clock::time_point::max();
  size_t level = 0;
  if (queues_.size() > 1) {
    uint32_t prio = request.priority > 0 ? request.priority : db.default_priority_level;
    if (prio == 0) prio = static_cast<uint32_t>(queues_.size());  // no default given: lowest
    if (prio > queues_.size())
      return Status(StatusCode::kInvalidArgument, "model '" + config_.name + "': priority " +
                                                      std::to_string(request.priority) + " is outside 1.." +
                                                      std::to_string(queues_.size()));
    level = prio - 1;
  }
  p->items = items;
  auto future = p->promise.get_future();
  {
    std::unique_lock lock(mu_);
    if (draining_) {
      if (draining) *draining = true;
      return Status(StatusCode::kUnavailable, "model '" + config_.name + "' is unloading");
    }
    if (queued_ >= max_queue_size_)
      return Status(StatusCode::kResourceExhausted, "model '" + config_.name + "': queue is full (" +
                                                        std::to_string(max_queue_size_) + " requests)");
    // Admitted: only now is the request taken (a rejected one stays the caller's).
    p->request = std::move(request);
    // Nothing queued, an instance idle and no reason to wait for company:
    // run on the caller's thread. The batch would be this request alone
    // anyway, and the two thread hand-offs (to a worker and back) are most
    // of the server's overhead on a small model.
    const bool may_wait = db.enabled && config_.max_batch_size > 0 && db.max_queue_delay_us > 0;
    if (queued_ == 0 && !may_wait) {
      auto idle = std::find(busy_.begin(), busy_.end(), 0);
      if (idle != busy_.end()) {
        const size_t instance = static_cast<size_t>(idle - busy_.begin());
        *idle = 1;
        ++running_;
        lock.unlock();
        std::vector<PendingPtr> batch;
        batch.push_back(std::move(p));
        run_batch(*sessions_[instance], std::move(batch));
        lock.lock();
        busy_[instance] = 0;
        --running_;
        if (queued_ == 0 && running_ == 0) idle_cv_.notify_all();
        lock.unlock();
        cv_.notify_all();  // the instance's worker may have work queued meanwhile
        return future;
      }
    }
    queues_[level].push_back(std::move(p));
    ++queued_;
    if (metrics_.pending) metrics_.pending->inc();
  }
  cv_.notify_one();
  return future;
}

void DynamicBatcher::begin_drain() {
  std::lock_guard lock(mu_);
  draining_ = true;
}

void DynamicBatcher::drain() {
  std::unique_lock lock(mu_);
  draining_ = true;
  idle_cv_.wait(lock, [&] { return queued_ == 0 && running_ == 0; });
}

size_t DynamicBatcher::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void DynamicBatcher::fail(Pending& p, Status status, bool timeout) {
  if (timeout) {
    if (metrics_.failure_timeout) metrics_.failure_timeout->inc();
  } else if (metrics_.failure_backend) {
    metrics_.failure_backend->inc();
  }
  const uint64_t ns = ns_between(p.request.arrival, Clock::now());
  {
    std::lock_guard lock(stats_.mu);
    ++stats_.fail_count;
    stats_.fail_ns += ns;
  }
  p.promise.set_value(std::move(status));
}

std::vector<DynamicBatcher::PendingPtr> DynamicBatcher::take_batch_locked(Clock::time_point now,
                                                                         Clock::time_point* wake_at) {
  *wake_at = Clock::time_point::max();
  // Drop what expired, from every level.
  for (auto& q : queues_) {
    for (auto it = q.begin(); it != q.end();) {
      if ((*it)->deadline <= now) {
        fail(**it, Status(StatusCode::kDeadlineExceeded,
                          "model '" + config_.name + "': request timed out in the queue"),
             true);
        it = q.erase(it);
        --queued_;
        if (metrics_.pending) metrics_.pending->dec();
      } else {
        ++it;
      }
    }
  }
  auto level = std::find_if(queues_.begin(), queues_.end(), [](const auto& q) { return !q.empty(); });
  std::vector<PendingPtr> batch;
  if (level == queues_.end()) return batch;

  const auto& db = config_.dynamic_batching;
  const bool batching = db.enabled && config_.max_batch_size > 0;
  auto take = [&](std::deque<PendingPtr>& q, std::deque<PendingPtr>::iterator it) {
    batch.push_back(std::move(*it));
    --queued_;
    if (metrics_.pending) metrics_.pending->dec();
    return q.erase(it);
  };
  if (!batching) {
    take(*level, level->begin());
    return batch;
  }

  // Which queued requests would join the oldest highest-priority one, and
  // how many items they hold (highest level first, oldest first).
  const Pending& head = *level->front();
  const int64_t max_items = config_.max_batch_size;
  int64_t items = 0;
  for (auto& q : queues_)
    for (auto& p : q)
      if (items + p->items <= max_items && compatible(head.request, p->request)) items += p->items;

  const auto& preferred = db.preferred_batch_sizes;
  const int64_t largest_preferred = preferred.empty() ? 0 : *std::max_element(preferred.begin(), preferred.end());
  const Clock::time_point due = head.request.arrival + std::chrono::microseconds(db.max_queue_delay_us);
  bool run_now = items >= max_items || now >= due || draining_ ||
                 (largest_preferred > 0 && items >= largest_preferred);
  if (!run_now) {
    *wake_at = due;
    return batch;
  }
  // Trim to the largest preferred size that fits when the batch is not full.
  int64_t target = std::min(items, max_items);
  if (target < max_items && !preferred.empty()) {
    int64_t best = 0;
    for (int64_t s : preferred)
      if (s <= target) best = std::max(best, s);
    if (best > 0) target = best;
  }
  int64_t taken = 0;
  for (auto& q : queues_) {
    for (auto it = q.begin(); it != q.end() && taken < target;) {
      if (taken + (*it)->items <= target && compatible(head.request, (*it)->request)) {
        taken += (*it)->items;
        it = take(q, it);
      } else {
        ++it;
      }
    }
  }
  if (batch.empty()) take(*level, level->begin());  // a single request larger than the trimmed target
  return batch;
}

void DynamicBatcher::worker_loop(size_t instance) {
  const Session& session = *sessions_[instance];
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_ && queued_ == 0) return;
    if (busy_[instance]) {  // a caller runs on this instance's session (submit)
      cv_.wait(lock);
      continue;
    }
    Clock::time_point wake_at;
    std::vector<PendingPtr> batch = take_batch_locked(Clock::now(), &wake_at);
    if (batch.empty()) {
      if (queued_ == 0) idle_cv_.notify_all();
      if (wake_at == Clock::time_point::max())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, wake_at);
      continue;
    }
    ++running_;
    busy_[instance] = 1;
    lock.unlock();
    run_batch(session, std::move(batch));
    lock.lock();
    busy_[instance] = 0;
    --running_;
    if (queued_ == 0 && running_ == 0) idle_cv_.notify_all();
  }
}

void DynamicBatcher::run_batch(const Session& session, std::vector<PendingPtr> batch) {
  const Clock::time_point start = Clock::now();
  int64_t total = 0;
  for (auto& p : batch) total += p->items;
  const bool batched = config_.max_batch_size > 0;

  // Concatenate along dim 0 (one request: its tensors as they are).
  std::vector<NamedTensor> inputs;
  if (batch.size() == 1) {
    inputs = batch.front()->request.inputs;
  } else {
    const auto& first = batch.front()->request.inputs;
    inputs.reserve(first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      Shape shape = first[i].tensor.shape();
      shape[0] = total;
      Tensor t = Tensor::empty(first[i].tensor.dtype(), shape);
      char* dst = static_cast<char*>(t.raw_data());
      for (auto& p : batch) {
        const Tensor& src = p->request.inputs[i].tensor;
        if (src.nbytes() > 0) std::memcpy(dst, src.raw_data(), src.nbytes());
        dst += src.nbytes();
      }
      inputs.push_back({first[i].name, std::move(t)});
    }
  }
  const Clock::time_point run_start = Clock::now();
  Result<std::vector<NamedTensor>> outputs = session.run(inputs);
  const Clock::time_point run_end = Clock::now();
  inputs.clear();

  Status batch_error;
  if (!outputs.ok()) {
    batch_error = outputs.status().with_context("model '" + config_.name + "'");
  } else if (batch.size() > 1) {
    for (const auto& o : outputs.value())
      if (o.tensor.rank() == 0 || o.tensor.dim(0) != total) {
        batch_error = Status(StatusCode::kInternal, "model '" + config_.name + "': output '" + o.name +
                                                        "' has no batch dim of " + std::to_string(total) +
                                                        " (shape " + o.tensor.shape().to_string() + ")");
        break;
      }
  }

  const uint64_t input_ns = ns_between(start, run_start);
  const uint64_t infer_ns = ns_between(run_start, run_end);
  int64_t row = 0;
  for (auto& p : batch) {
    const uint64_t queue_ns = ns_between(p->request.arrival, start);
    if (!batch_error.ok()) {
      fail(*p, batch_error, false);
      continue;
    }
    InferResponse response;
    response.id = p->request.id;
    response.model = p->request.model;
    response.version = p->request.version;
    const auto& all = outputs.value();
    auto emit = [&](const NamedTensor& o) {
      if (batch.size() == 1 || !batched)
        response.outputs.push_back(o);
      else
        response.outputs.push_back({o.name, slice_rows(o.tensor, row, p->items)});
    };
    if (p->request.outputs.empty()) {
      for (const auto& o : all) emit(o);
    } else {
      for (const auto& name : p->request.outputs)
        for (const auto& o : all)
          if (o.name == name) emit(o);
    }
    row += p->items;
    const Clock::time_point done = Clock::now();
    response.timing.queue_us = queue_ns / 1000;
    response.timing.compute_us = ns_between(start, done) / 1000;
    response.timing.batch_size = total;
    const uint64_t output_ns = ns_between(run_end, done);
    {
      std::lock_guard lock(stats_.mu);
      stats_.last_inference_ms = epoch_ms_now();
      stats_.inference_count += static_cast<uint64_t>(p->items);
      ++stats_.success_count;
      stats_.success_ns += ns_between(p->request.arrival, done);
      ++stats_.queue_count;
      stats_.queue_ns += queue_ns;
      stats_.compute_input_ns += input_ns;
      stats_.compute_infer_ns += infer_ns;
      stats_.compute_output_ns += output_ns;
    }
    add_to(metrics_.queue_seconds, static_cast<double>(queue_ns) * 1e-9);
    add_to(metrics_.compute_seconds, static_cast<double>(ns_between(start, done)) * 1e-9);
    add_to(metrics_.queue_duration_us, static_cast<double>(queue_ns) * 1e-3);
    add_to(metrics_.compute_infer_duration_us, static_cast<double>(infer_ns) * 1e-3);
    add_to(metrics_.inference_count, static_cast<double>(p->items));
    p->promise.set_value(std::move(response));
  }
  // Per-batch counters.
  {
    std::lock_guard lock(stats_.mu);
    ++stats_.execution_count;
    auto it = std::lower_bound(stats_.by_batch_size.begin(), stats_.by_batch_size.end(), total,
                               [](const auto& e, int64_t v) { return e.first < v; });
    if (it == stats_.by_batch_size.end() || it->first != total)
      it = stats_.by_batch_size.insert(it, {total, BatcherStats::PerSize{}});
    ++it->second.count;
    it->second.input_ns += input_ns;
    it->second.infer_ns += infer_ns;
    it->second.output_ns += ns_between(run_end, Clock::now());
  }
  add_to(metrics_.exec_count, 1.0);
  add_to(metrics_.batch_size, static_cast<double>(total));
}

}  // namespace fastserve::serve
