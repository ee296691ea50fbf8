// What `fastserve bench` measured, and its two renderings: a compact text
// table and one JSON object whose keys other tools parse (schema in
// bench_report.cc; keep the keys stable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/bench_profile.h"
#include "cli/latency_stats.h"

namespace fastserve::cli {

struct BatchResult {
  int64_t batch = 0;
  double first_ms = 0;     // the first run at this batch size (cold: shapes, caches, pages)
  LatencyStats latency;    // over the timed runs, ms
  double runs_per_s = 0;   // timed runs / their wall time
  double items_per_s = 0;  // runs_per_s * batch
  // Intermediate tensors at this batch size: the memory planner's arena
  // (what is alive at once, placed) and the naive sum (each in its own buffer).
  size_t planned_activation_bytes = 0;
  size_t naive_activation_bytes = 0;
};

struct BenchReport {
  std::string model;
  int threads = 0;
  std::string isa;
  std::string kernels = "auto";
  double compile_ms = 0;   // Session::create
  double peak_rss_mb = 0;  // getrusage ru_maxrss at the end, MiB
  std::vector<BatchResult> results;
  std::optional<ProfileReport> profile;
};

// `top` limits the profile's node table; the JSON lists every node.
std::string bench_report_text(const BenchReport& report, int top);
std::string bench_report_json(const BenchReport& report);

}  // namespace fastserve::cli
