// Metrics registry and the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), plus the
// process_* metrics the Prometheus client libraries export, read from /proc.
#include "serve/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "fastserve/status.h"

namespace fastserve::serve {

struct MetricsRegistry::Series {
  Labels labels;  // sorted by label name
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

struct MetricsRegistry::Family {
  std::string name, help;
  Kind kind = Kind::kCounter;
  std::vector<double> bounds;  // histograms: every series shares the family's buckets
  // Keyed by the sorted labels, so output order is stable and a series given
  // its labels in another order is the same series.
  std::map<Labels, std::unique_ptr<Series>> series;
};

namespace {

bool valid_metric_name(const std::string& s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!(alpha || (i > 0 && c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Label names: no ':', and names starting "__" are reserved by Prometheus.
bool valid_label_name(const std::string& s) {
  if (s.empty() || s.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!(alpha || (i > 0 && c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Labels sorted_labels(const Labels& labels, bool histogram) {
  Labels l = labels;
  std::sort(l.begin(), l.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < l.size(); ++i) {
    FS_CHECK_MSG(valid_label_name(l[i].first), l[i].first.c_str());
    FS_CHECK_MSG(i == 0 || l[i].first != l[i - 1].first, "duplicate label name");
    FS_CHECK_MSG(!(histogram && l[i].first == "le"), "'le' is reserved for histogram buckets");
  }
  return l;
}

// Sample values: integers exactly and without an exponent (counters of
// requests read best that way); other values in the shortest form that
// reads back to the same double.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // also -0
  if (v == std::floor(v) && std::fabs(v) < 1e18) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  FS_CHECK(ec == std::errc());
  return std::string(buf, end);
}

// HELP text escapes backslash and newline; label values also escape '"'.
void append_escaped(std::string& out, const std::string& s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

void append_labels(std::string& out, const Labels& labels, const std::string* le) {
  if (labels.empty() && le == nullptr) return;
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out.push_back('"');
  }
  if (le != nullptr) {
    if (!first) out.push_back(',');
    out += "le=\"";
    out += *le;
    out.push_back('"');
  }
  out.push_back('}');
}

void append_sample(std::string& out, const std::string& name, const Labels& labels, double v,
                   const std::string* le = nullptr) {
  out += name;
  append_labels(out, labels, le);
  out.push_back(' ');
  out += format_value(v);
  out.push_back('\n');
}

void append_header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  append_escaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
}

// /proc/self/stat after the command name (which may hold spaces and
// parentheses, so split after the last ')'): field 3 (state) is index 0.
std::vector<std::string> read_proc_stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// Open descriptors, not counting the one this scan itself holds.
int count_open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  std::string own = std::to_string(dirfd(d));
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (own == e->d_name) continue;
    ++n;
  }
  closedir(d);
  return n;
}

void append_process_metrics(std::string& out) {
  std::vector<std::string> f = read_proc_stat_fields();
  // proc(5) numbers fields from 1: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int proc_index) -> double {
    size_t i = static_cast<size_t>(proc_index - 3);
    return i < f.size() ? std::strtod(f[i].c_str(), nullptr) : 0.0;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (!f.empty() && ticks > 0) {
    append_header(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter");
    append_sample(out, "process_cpu_seconds_total", {}, (field(14) + field(15)) / ticks);
  }
  int fds = count_open_fds();
  if (fds >= 0) {
    append_header(out, "process_open_fds", "Number of open file descriptors.", "gauge");
    append_sample(out, "process_open_fds", {}, fds);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    append_header(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge");
    append_sample(out, "process_max_fds", {}, static_cast<double>(lim.rlim_cur));
  }
  if (!f.empty()) {
    append_header(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
    append_sample(out, "process_resident_memory_bytes", {}, field(24) * page);
    append_header(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
    append_sample(out, "process_virtual_memory_bytes", {}, field(23));
    double btime = boot_time_seconds();
    if (btime > 0 && ticks > 0) {
      append_header(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    "gauge");
      // Whole-tick precision, as the Prometheus clients report it.
      append_sample(out, "process_start_time_seconds", {}, btime + field(22) / ticks);
    }
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    FS_CHECK_MSG(std::isfinite(bounds_[i]), "histogram bounds must be finite (+Inf is implicit)");
    FS_CHECK_MSG(i == 0 || bounds_[i] > bounds_[i - 1], "histogram bounds must increase");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // First bucket whose bound is >= v (Prometheus buckets are "le").
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> latency_buckets_seconds() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
          50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    5.0,  10.0};
}

std::vector<double> batch_size_buckets() {
  std::vector<double> b;
  for (int v = 1; v <= 1024; v *= 2) b.push_back(v);
  return b;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Kind kind) {
  // Caller holds mu_.
  auto it = families_.find(name);
  if (it == families_.end()) {
    FS_CHECK_MSG(valid_metric_name(name), name.c_str());
    auto f = std::make_unique<Family>();
    f->name = name;
    f->help = help;
    f->kind = kind;
    it = families_.emplace(name, std::move(f)).first;
  }
  FS_CHECK_MSG(it->second->kind == kind, "metric family registered with two types");
  return *it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = family(name, help, Kind::kCounter);
  Labels key = sorted_labels(labels, false);
  auto& s = f.series[key];
  if (!s) {
    s = std::make_unique<Series>();
    s->labels = std::move(key);
    s->counter = std::make_unique<Counter>();
  }
  return *s->counter;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = family(name, help, Kind::kGauge);
  Labels key = sorted_labels(labels, false);
  auto& s = f.series[key];
  if (!s) {
    s = std::make_unique<Series>();
    s->labels = std::move(key);
    s->gauge = std::make_unique<Gauge>();
  }
  return *s->gauge;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                                      const std::vector<double>& upper_bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = family(name, help, Kind::kHistogram);
  if (f.series.empty()) f.bounds = upper_bounds;
  FS_CHECK_MSG(f.bounds == upper_bounds, "histogram family registered with two bucket sets");
  Labels key = sorted_labels(labels, true);
  auto& s = f.series[key];
  if (!s) {
    s = std::make_unique<Series>();
    s->labels = std::move(key);
    s->histogram = std::make_unique<Histogram>(upper_bounds);
  }
  return *s->histogram;
}

std::string MetricsRegistry::render() const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, f] : families_) {
      const char* type = f->kind == Kind::kCounter ? "counter" : f->kind == Kind::kGauge ? "gauge" : "histogram";
      append_header(out, name, f->help, type);
      for (const auto& [key, s] : f->series) {
        if (f->kind == Kind::kCounter) {
          append_sample(out, name, s->labels, s->counter->value());
        } else if (f->kind == Kind::kGauge) {
          append_sample(out, name, s->labels, s->gauge->value());
        } else {
          const Histogram& h = *s->histogram;
          std::vector<uint64_t> counts = h.bucket_counts();
          double sum = h.sum();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            std::string le = i < f->bounds.size() ? format_value(f->bounds[i]) : "+Inf";
            append_sample(out, name + "_bucket", s->labels, static_cast<double>(cumulative), &le);
          }
          append_sample(out, name + "_sum", s->labels, sum);
          // _count from the same snapshot as the buckets, so it always equals
          // the +Inf bucket even while other threads observe.
          append_sample(out, name + "_count", s->labels, static_cast<double>(cumulative));
        }
      }
    }
  }
  append_process_metrics(out);
  return out;
}

ModelMetrics make_model_metrics(MetricsRegistry& registry, const std::string& model, const std::string& version) {
  const Labels mv = {{"model", model}, {"version", version}};
  auto with = [&](const char* key, const char* value) {
    Labels l = mv;
    l.emplace_back(key, value);
    return l;
  };
  ModelMetrics m;
  m.request_success = &registry.counter("nv_inference_request_success",
                                        "Number of successful inference requests, all batch sizes", mv);
  const char* kFailureHelp = "Number of failed inference requests, all batch sizes";
  m.failure_rejected = &registry.counter("nv_inference_request_failure", kFailureHelp, with("reason", "REJECTED"));
  m.failure_timeout = &registry.counter("nv_inference_request_failure", kFailureHelp, with("reason", "TIMEOUT"));
  m.failure_unavailable =
      &registry.counter("nv_inference_request_failure", kFailureHelp, with("reason", "UNAVAILABLE"));
  m.failure_backend = &registry.counter("nv_inference_request_failure", kFailureHelp, with("reason", "BACKEND"));
  m.inference_count = &registry.counter("nv_inference_count", "Number of inferences performed (items, batch dimension summed)", mv);
  m.exec_count = &registry.counter("nv_inference_exec_count", "Number of model executions performed (batches)", mv);
  m.request_duration_us = &registry.counter("nv_inference_request_duration_us",
                                            "Cumulative inference request duration in microseconds", mv);
  m.queue_duration_us = &registry.counter("nv_inference_queue_duration_us",
                                          "Cumulative inference queuing duration in microseconds", mv);
  m.compute_infer_duration_us = &registry.counter("nv_inference_compute_infer_duration_us",
                                                  "Cumulative compute inference duration in microseconds", mv);
  m.pending = &registry.gauge("nv_inference_pending_request_count",
                              "Instantaneous number of pending requests awaiting execution per-model.", mv);
  const char* kDurationHelp = "Request latency in seconds by stage (queue, compute, total)";
  const std::vector<double> lat = latency_buckets_seconds();
  m.queue_seconds = &registry.histogram("fastserve_request_duration_seconds", kDurationHelp, with("stage", "queue"), lat);
  m.compute_seconds =
      &registry.histogram("fastserve_request_duration_seconds", kDurationHelp, with("stage", "compute"), lat);
  m.total_seconds = &registry.histogram("fastserve_request_duration_seconds", kDurationHelp, with("stage", "total"), lat);
  m.batch_size = &registry.histogram("fastserve_batch_size", "Items per executed batch", mv, batch_size_buckets());
  m.load_seconds = &registry.gauge("fastserve_model_load_duration_seconds",
                                   "Seconds the model version took to load (sessions and warmup)", mv);
  m.memory_bytes = &registry.gauge("fastserve_model_memory_bytes",
                                   "Bytes held by the model version (weights and planned arena)", mv);
  return m;
}

ServerMetrics::ServerMetrics(MetricsRegistry& r)
    : registry(r),
      inflight(r.gauge("fastserve_inflight_requests", "Requests inside the server now")),
      http_requests_total(r.counter("fastserve_http_requests_total", "HTTP requests received, every route")),
      grpc_requests_total(r.counter("fastserve_grpc_requests_total", "gRPC requests received, every method")),
      auth_failures(r.counter("fastserve_auth_failures_total", "Requests refused for a missing or unknown API key",
                              {{"reason", "unauthenticated"}})),
      rate_limited(r.counter("fastserve_rate_limited_total", "Requests refused by an API key's rate limit")) {}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

}  // namespace fastserve::serve
