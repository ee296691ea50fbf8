// Metrics: series identity, the Prometheus text format line by line,
// concurrent updates and the process_* metrics.
#include "serve/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fastserve::serve {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// The lines of the rendered registry before the process_* block.
std::vector<std::string> registry_lines(const MetricsRegistry& r) {
  std::vector<std::string> out;
  for (const std::string& l : lines_of(r.render())) {
    if (l.find("process_") != std::string::npos) break;
    out.push_back(l);
  }
  return out;
}

TEST(Metrics, RendersCountersAndGaugesWithSortedEscapedLabels) {
  MetricsRegistry r;
  r.counter("req_total", "Requests.", {{"version", "1"}, {"model", "m"}}).inc(3);
  r.counter("req_total", "ignored: help comes from the first call", {{"model", "a\"b\\c\nd"}, {"version", "2"}}).inc();
  r.gauge("temp", "Line one\nback\\slash").set(-1.5);
  r.gauge("big", "Big integers print whole.").set(12345678901.0);
  r.counter("plain", "No labels.").inc(0.25);
  const std::vector<std::string> expected = {
      "# HELP big Big integers print whole.",
      "# TYPE big gauge",
      "big 12345678901",
      "# HELP plain No labels.",
      "# TYPE plain counter",
      "plain 0.25",
      "# HELP req_total Requests.",
      "# TYPE req_total counter",
      "req_total{model=\"a\\\"b\\\\c\\nd\",version=\"2\"} 1",
      "req_total{model=\"m\",version=\"1\"} 3",
      "# HELP temp Line one\\nback\\\\slash",
      "# TYPE temp gauge",
      "temp -1.5",
  };
  EXPECT_EQ(registry_lines(r), expected);
}

TEST(Metrics, SameLabelsInAnyOrderAreOneSeries) {
  MetricsRegistry r;
  Counter& a = r.counter("c", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = r.counter("c", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
  Counter& other = r.counter("c", "h", {{"x", "1"}, {"y", "3"}});
  EXPECT_NE(&a, &other);
}

TEST(Metrics, RendersHistogramBucketsCumulatively) {
  MetricsRegistry r;
  Histogram& h = r.histogram("lat_seconds", "Latency.", {{"stage", "queue"}}, {0.125, 0.5, 2});
  // Binary fractions, so the sum is exact; 0.125 lands in le="0.125".
  for (double v : {0.0625, 0.125, 0.25, 1.0, 7.0}) h.observe(v);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2, 1, 1, 1}));
  EXPECT_EQ(h.count(), 5u);
  const std::vector<std::string> expected = {
      "# HELP lat_seconds Latency.",
      "# TYPE lat_seconds histogram",
      "lat_seconds_bucket{stage=\"queue\",le=\"0.125\"} 2",
      "lat_seconds_bucket{stage=\"queue\",le=\"0.5\"} 3",
      "lat_seconds_bucket{stage=\"queue\",le=\"2\"} 4",
      "lat_seconds_bucket{stage=\"queue\",le=\"+Inf\"} 5",
      "lat_seconds_sum{stage=\"queue\"} 8.4375",
      "lat_seconds_count{stage=\"queue\"} 5",
  };
  EXPECT_EQ(registry_lines(r), expected);
}

TEST(Metrics, BucketSetsCoverTheDocumentedRanges) {
  std::vector<double> lat = latency_buckets_seconds();
  ASSERT_FALSE(lat.empty());
  EXPECT_DOUBLE_EQ(lat.front(), 50e-6);
  EXPECT_DOUBLE_EQ(lat.back(), 10.0);
  for (size_t i = 1; i < lat.size(); ++i) EXPECT_LT(lat[i - 1], lat[i]);
  std::vector<double> bs = batch_size_buckets();
  ASSERT_EQ(bs.size(), 11u);
  EXPECT_EQ(bs.front(), 1);
  EXPECT_EQ(bs.back(), 1024);
}

TEST(Metrics, ConcurrentIncrementsSumExactly) {
  MetricsRegistry r;
  Counter& c = r.counter("hits_total", "h");
  Gauge& g = r.gauge("level", "h");
  Histogram& h = r.histogram("obs", "h", {}, batch_size_buckets());
  constexpr int kThreads = 4, kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        g.inc(2);
        g.dec();
        h.observe(t + 1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c.value(), kThreads * kPerThread);
  EXPECT_EQ(g.value(), kThreads * kPerThread);
  EXPECT_EQ(h.count(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(h.sum(), (1 + 2 + 3 + 4) * kPerThread);
  std::vector<uint64_t> b = h.bucket_counts();  // le=1, 2, 4 (3 and 4), 8...
  EXPECT_EQ(b[0], static_cast<uint64_t>(kPerThread));
  EXPECT_EQ(b[1], static_cast<uint64_t>(kPerThread));
  EXPECT_EQ(b[2], static_cast<uint64_t>(2 * kPerThread));
  const std::vector<std::string> lines = lines_of(r.render());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "hits_total 400000"), lines.end());
}

TEST(Metrics, RendersProcessMetrics) {
  MetricsRegistry r;
  const std::string text = r.render();
  for (const char* name : {"process_cpu_seconds_total", "process_open_fds", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
    // One sample line "name value" with a positive value.
    size_t at = text.find(std::string("\n") + name + " ");
    ASSERT_NE(at, std::string::npos) << name;
    double v = std::stod(text.substr(at + 1 + std::string(name).size() + 1));
    if (std::string(name) != "process_cpu_seconds_total") {
      EXPECT_GT(v, 0) << name;
    }
  }
  // The start time is in the past and after 2020.
  size_t at = text.find("\nprocess_start_time_seconds ");
  double start = std::stod(text.substr(at + 28));
  EXPECT_GT(start, 1.577e9);
  EXPECT_LE(start, static_cast<double>(std::time(nullptr)) + 1);
}

TEST(Metrics, ModelMetricsUseTritonNamesAndLabels) {
  MetricsRegistry r;
  ModelMetrics m = make_model_metrics(r, "resnet", "1");
  m.request_success->inc();
  m.failure_timeout->inc(2);
  m.inference_count->inc(8);
  m.queue_seconds->observe(0.002);
  m.batch_size->observe(8);
  m.pending->set(3);
  const std::string text = r.render();
  const std::vector<std::string> lines = lines_of(text);
  auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
  EXPECT_TRUE(has("nv_inference_request_success{model=\"resnet\",version=\"1\"} 1"));
  EXPECT_TRUE(has("nv_inference_request_failure{model=\"resnet\",reason=\"TIMEOUT\",version=\"1\"} 2"));
  EXPECT_TRUE(has("nv_inference_request_failure{model=\"resnet\",reason=\"REJECTED\",version=\"1\"} 0"));
  EXPECT_TRUE(has("nv_inference_request_failure{model=\"resnet\",reason=\"UNAVAILABLE\",version=\"1\"} 0"));
  EXPECT_TRUE(has("nv_inference_request_failure{model=\"resnet\",reason=\"BACKEND\",version=\"1\"} 0"));
  EXPECT_TRUE(has("nv_inference_count{model=\"resnet\",version=\"1\"} 8"));
  EXPECT_TRUE(has("nv_inference_pending_request_count{model=\"resnet\",version=\"1\"} 3"));
  EXPECT_TRUE(has("# TYPE nv_inference_pending_request_count gauge"));
  EXPECT_TRUE(has("# TYPE fastserve_request_duration_seconds histogram"));
  EXPECT_TRUE(has("fastserve_request_duration_seconds_bucket{model=\"resnet\",stage=\"queue\",version=\"1\",le=\"0.0025\"} 1"));
  EXPECT_TRUE(has("fastserve_request_duration_seconds_count{model=\"resnet\",stage=\"compute\",version=\"1\"} 0"));
  EXPECT_TRUE(has("fastserve_request_duration_seconds_count{model=\"resnet\",stage=\"total\",version=\"1\"} 0"));
  EXPECT_TRUE(has("fastserve_batch_size_bucket{model=\"resnet\",version=\"1\",le=\"8\"} 1"));
  EXPECT_TRUE(has("fastserve_batch_size_bucket{model=\"resnet\",version=\"1\",le=\"4\"} 0"));
  for (const char* name : {"nv_inference_exec_count", "nv_inference_request_duration_us",
                           "nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us",
                           "fastserve_model_load_duration_seconds", "fastserve_model_memory_bytes"})
    EXPECT_TRUE(has(std::string(name) + "{model=\"resnet\",version=\"1\"} 0")) << name;
  // A second version is its own series; the same one again is the same object.
  ModelMetrics m2 = make_model_metrics(r, "resnet", "2");
  EXPECT_NE(m2.request_success, m.request_success);
  EXPECT_EQ(make_model_metrics(r, "resnet", "1").total_seconds, m.total_seconds);
}

TEST(Metrics, ServerMetricsRegisterTheirSeries) {
  MetricsRegistry r;
  ServerMetrics s(r);
  s.inflight.inc();
  s.http_requests_total.inc(5);
  s.auth_failures.inc();
  EXPECT_EQ(&s.registry, &r);
  const std::vector<std::string> lines = registry_lines(r);
  auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
  EXPECT_TRUE(has("fastserve_inflight_requests 1"));
  EXPECT_TRUE(has("fastserve_http_requests_total 5"));
  EXPECT_TRUE(has("fastserve_grpc_requests_total 0"));
  EXPECT_TRUE(has("fastserve_auth_failures_total{reason=\"unauthenticated\"} 1"));
  EXPECT_TRUE(has("fastserve_rate_limited_total 0"));
  EXPECT_TRUE(has("# TYPE fastserve_rate_limited_total counter"));
}

TEST(MetricsDeathTest, BadNamesAbort) {
  MetricsRegistry r;
  EXPECT_DEATH(r.counter("bad-name", "h"), "check failed");
  EXPECT_DEATH(r.counter("ok", "h", {{"__reserved", "x"}}), "check failed");
  EXPECT_DEATH(r.histogram("h", "h", {{"le", "1"}}, {1.0}), "check failed");
  r.counter("twice", "h");
  EXPECT_DEATH(r.gauge("twice", "h"), "check failed");
}

}  // namespace
}  // namespace fastserve::serve
