// Prometheus metrics: counters, gauges and histograms with labels, rendered
// in the text exposition format (version 0.0.4) for GET /metrics.
//
// Families are created on first use; a (family, label values) pair is one
// series whose object never moves, so the hot path keeps a reference and
// only does atomic adds. Process metrics (RSS, CPU seconds, open fds, start
// time) are read from /proc when rendering.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fastserve::serve {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }
 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }
 private:
  std::atomic<double> value_{0.0};
};

// Cumulative buckets by upper bound (le), plus +Inf, sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Snapshot: per-bucket (non-cumulative) counts, last one is +Inf.
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket sets used by the server.
std::vector<double> latency_buckets_seconds();  // 50 us .. 10 s
std::vector<double> batch_size_buckets();       // 1, 2, 4, ... 1024

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();  // Family is complete only in metrics.cc
  // Returns the series for (name, labels), creating family and series on
  // first use. `help` is taken from the first call. Names and label names
  // must be valid Prometheus identifiers (checked: aborts on a bad one, a bug).
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                       const std::vector<double>& upper_bounds);
  // The whole registry plus process_* metrics, text format 0.0.4.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;
  Family& family(const std::string& name, const std::string& help, Kind kind);
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

// The server's metrics for one model version, resolved once at load so that
// a request touches only atomics. Names follow Triton's (nv_inference_*)
// where Triton has one; FastServe's histograms are fastserve_*.
struct ModelMetrics {
  Counter* request_success = nullptr;           // nv_inference_request_success
  Counter* failure_rejected = nullptr;          // nv_inference_request_failure{reason="REJECTED"}: queue full, invalid
  Counter* failure_timeout = nullptr;           // {reason="TIMEOUT"}: deadline passed in the queue
  Counter* failure_unavailable = nullptr;       // {reason="UNAVAILABLE"}: not ready / draining
  Counter* failure_backend = nullptr;           // {reason="BACKEND"}: the session failed
  Counter* inference_count = nullptr;           // nv_inference_count: items (batch dim summed)
  Counter* exec_count = nullptr;                // nv_inference_exec_count: batches run
  Counter* request_duration_us = nullptr;       // nv_inference_request_duration_us
  Counter* queue_duration_us = nullptr;         // nv_inference_queue_duration_us
  Counter* compute_infer_duration_us = nullptr; // nv_inference_compute_infer_duration_us
  Gauge* pending = nullptr;                     // nv_inference_pending_request_count
  Histogram* queue_seconds = nullptr;           // fastserve_request_duration_seconds{stage="queue"}
  Histogram* compute_seconds = nullptr;         // {stage="compute"}
  Histogram* total_seconds = nullptr;           // {stage="total"}
  Histogram* batch_size = nullptr;              // fastserve_batch_size
  Gauge* load_seconds = nullptr;                // fastserve_model_load_duration_seconds
  Gauge* memory_bytes = nullptr;                // fastserve_model_memory_bytes (weights + planned arena)
};
ModelMetrics make_model_metrics(MetricsRegistry& registry, const std::string& model,
                                const std::string& version);

// Server-wide series.
struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& registry);
  MetricsRegistry& registry;
  Gauge& inflight;               // fastserve_inflight_requests: requests inside the server now
  Counter& http_requests_total;  // fastserve_http_requests_total (every route)
  Counter& grpc_requests_total;  // fastserve_grpc_requests_total
  Counter& auth_failures;        // fastserve_auth_failures_total{reason}
  Counter& rate_limited;         // fastserve_rate_limited_total
};

}  // namespace fastserve::serve
