// What the user sees of `bench --server` (bench_server.h): the flags it adds
// to `bench`, the check that no local-model flag came with --server, the
// progress line, and the text and JSON reports.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "cli/bench_server.h"
#include "cli/cli_common.h"
#include "cli/progress_bar.h"

namespace fastserve::cli {
namespace {

std::string ms_text(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3f}", v); }

std::string shape_json(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string p50_p99_json(const LatencyStats& s) {
  return fmt::format("{{\"p50\":{},\"p99\":{}}}", json_number(s.p50), json_number(s.p99));
}

// The bench flags that mean the same with --server; every other one given is refused.
const std::set<std::string>& server_mode_flags() {
  static const std::set<std::string> kFlags = {
      "--help",    "--model",       "--batch",   "--duration",       "--json",    "--quiet",
      "--server",  "--concurrency", "--rate",    "--grpc",           "--binary",  "--json-data",
      "--api-key", "--warmup-seconds", "--timeout"};
  return kFlags;
}

}  // namespace

// --- flags ---------------------------------------------------------------------

void add_server_bench_options(CLI::App& bench, ServerBenchFlags& flags) {
  ServerBenchOptions& o = flags.options;
  CLI::Option* server =
      bench.add_option("--server", o.url,
                       "Load-test a running KServe v2 server instead of a local model: http://host:port, "
                       "https://host:port, or host:port with --grpc (--model then names the served model)");
  bench.add_option("--concurrency", o.concurrency,
                   "Server mode: client threads, one connection each (with --rate: the most requests in flight)")
      ->check(CLI::Range(1, 4096))
      ->default_val(1)
      ->needs(server);
  bench.add_option("--rate", o.rate,
                   "Server mode: open loop, R requests/s in total with Poisson arrivals (default: closed loop)")
      ->check(CLI::Range(1e-3, 1e7))
      ->needs(server);
  CLI::Option* grpc = bench.add_flag("--grpc", o.grpc, "Server mode: use the gRPC protocol (URL host:port)")->needs(server);
  CLI::Option* binary =
      bench.add_flag("--binary", flags.binary, "Server mode, HTTP: binary tensor data extension (the default)")
          ->needs(server);
  bench.add_flag("--json-data", o.json_data, "Server mode, HTTP: send and receive tensors as JSON arrays")
      ->needs(server)
      ->excludes(binary)
      ->excludes(grpc);
  bench.add_option("--api-key", o.api_key, "Server mode: send 'Authorization: Bearer KEY'")->needs(server);
  bench.add_option("--warmup-seconds", o.warmup_s, "Server mode: seconds of load before the measured ones")
      ->check(CLI::Range(0.0, 1e6))
      ->default_val(1)
      ->needs(server);
  bench.add_option("--timeout", o.timeout_s, "Server mode: connect and read deadline of every request, seconds")
      ->check(CLI::Range(1e-3, 3600.0))
      ->default_val(30)
      ->needs(server);
}

bool server_bench_requested(const CLI::App& bench) {
  const CLI::Option* server = bench.get_option_no_throw("--server");
  return server != nullptr && server->count() > 0;
}

int run_server_bench_command(const CLI::App& bench, const ServerBenchFlags& flags, const SharedBenchFlags& shared) {
  std::vector<std::string> refused;
  for (const CLI::Option* opt : bench.get_options()) {
    if (opt->count() == 0) continue;
    const std::string name = opt->get_name();
    if (server_mode_flags().count(name) == 0) refused.push_back(name);
  }
  if (!refused.empty()) {
    return report_usage_error(fmt::format("--server: {} {} to a local model only (see fastserve bench --help)",
                                          fmt::join(refused, ", "), refused.size() == 1 ? "applies" : "apply"));
  }
  if (shared.batches.size() > 1)
    return report_usage_error(fmt::format("--server: --batch takes one size, got {}", shared.batches.size()));

  ServerBenchOptions options = flags.options;
  options.model = shared.model;
  options.batch = shared.batches.empty() ? 0 : shared.batches.front();
  options.duration_s = shared.duration_s;
  if (Result<ServerUrl> url = parse_server_url(options.url, options.grpc); !url.ok())
    return report_usage_error(url.status().message());

  const bool show_progress = !shared.quiet && !shared.json && stderr_is_tty();
  ProgressBar bar(fmt::format("bench {}", options.model), ProgressBar::Seconds{options.warmup_s + options.duration_s},
                  show_progress);
  Result<ServerBenchReport> report = run_server_bench(options, [&bar](int64_t answers) { bar.update(answers); });
  bar.finish();
  if (!report.ok()) return report_error(report.status());

  fmt::print("{}", shared.json ? server_bench_report_json(*report) + "\n" : server_bench_report_text(*report));
  std::fflush(stdout);
  if (report->requests > 0 && report->successes == 0) {
    const auto& [reason, message] = *report->first_failure.begin();
    return report_error(Status(StatusCode::kUnavailable,
                               fmt::format("all {} requests failed (first reason: {}{}{})", report->requests, reason,
                                           message.empty() ? "" : ": ", message)));
  }
  return kExitOk;
}

// --- reports -------------------------------------------------------------------

std::string server_bench_report_text(const ServerBenchReport& r) {
  std::string out = fmt::format("server: {} ({}, {} data), model '{}'\n", r.server, r.protocol, r.data, r.model);
  if (r.rate > 0) {
    out += fmt::format("load: open loop, Poisson arrivals at {} req/s over {} connection{}", r.rate, r.concurrency,
                       r.concurrency == 1 ? "" : "s");
  } else {
    out += fmt::format("load: closed loop, {} client{}", r.concurrency, r.concurrency == 1 ? "" : "s");
  }
  out += fmt::format("; warm-up {:.1f} s, measured {:.2f} s\ninputs:", r.warmup_s, r.measured_s);
  for (const TensorSpec& t : r.inputs) out += fmt::format(" {} {} {}", t.name, t.datatype, shape_json(t.shape));
  out += "\n\n";

  out += fmt::format("requests     {} ({} ok, {} failed)\n", r.requests, r.successes, r.failed());
  for (const auto& [reason, n] : r.failures) {
    auto first = r.first_failure.find(reason);
    const std::string msg = first == r.first_failure.end() || first->second.empty() ? "" : " (first: " + first->second + ")";
    out += fmt::format("  failed: {} x{}{}\n", reason, n, msg);
  }
  out += fmt::format("throughput   {:.1f} req/s, {:.1f} items/s ({} item{} per request)\n", r.requests_per_s,
                     r.items_per_s, r.items_per_request, r.items_per_request == 1 ? "" : "s");
  const LatencyStats& l = r.latency_ms;
  out += fmt::format("latency ms   min {}  p50 {}  p90 {}  p99 {}  max {}  mean {}\n", ms_text(l.min), ms_text(l.p50),
                     ms_text(l.p90), ms_text(l.p99), ms_text(l.max), ms_text(l.mean));
  if (r.timed > 0) {
    out += fmt::format("server ms    queue p50 {} p99 {} | compute p50 {} p99 {} | total p50 {} p99 {} ({} of {} timed)\n",
                       ms_text(r.queue_ms.p50), ms_text(r.queue_ms.p99), ms_text(r.compute_ms.p50),
                       ms_text(r.compute_ms.p99), ms_text(r.server_total_ms.p50), ms_text(r.server_total_ms.p99),
                       r.timed, r.successes);
    out += fmt::format("overhead ms  p50 server (total - compute) {} | client (latency - server total) {}\n",
                       ms_text(r.server_overhead_p50_ms), ms_text(r.client_overhead_p50_ms));
  } else {
    out += "server ms    not reported (no Server-Timing in the answers)\n";
  }
  if (r.rate > 0) {
    out += fmt::format("send lag ms  p50 {}  p99 {}  max {} (actual send - scheduled send); {} due but unsent\n",
                       ms_text(r.send_lag_ms.p50), ms_text(r.send_lag_ms.p99), ms_text(r.send_lag_ms.max), r.unsent);
    // A few unsent at the very end are the edge of the window (every
    // connection busy at the last instant), not a sign of overload.
    if (r.unsent * 100 > r.requests + r.unsent) {
      out += fmt::format(
          "warning: {} requests due in the measured window were never sent: the server, or --concurrency {}, "
          "could not keep up with --rate {}\n",
          r.unsent, r.concurrency, r.rate);
    }
  }
  return out;
}

std::string server_bench_report_json(const ServerBenchReport& r) {
  std::string out = fmt::format(
      "{{\"server\":{},\"model\":{},\"protocol\":{},\"data\":{},\"mode\":{},\"concurrency\":{},\"rate\":{},"
      "\"items_per_request\":{},\"inputs\":[",
      json_string(r.server), json_string(r.model), json_string(r.protocol), json_string(r.data),
      json_string(r.rate > 0 ? "open" : "closed"), r.concurrency, r.rate > 0 ? json_number(r.rate) : "null",
      r.items_per_request);
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    const TensorSpec& t = r.inputs[i];
    out += fmt::format("{}{{\"name\":{},\"datatype\":{},\"shape\":{}}}", i ? "," : "", json_string(t.name),
                       json_string(t.datatype), shape_json(t.shape));
  }
  out += fmt::format("],\"warmup_s\":{},\"duration_s\":{},\"requests\":{},\"successes\":{},\"unsent\":{},"
                     "\"failures\":{{\"total\":{},\"by_reason\":{{",
                     json_number(r.warmup_s), json_number(r.measured_s), r.requests, r.successes, r.unsent,
                     r.failed());
  bool first = true;
  for (const auto& [reason, n] : r.failures) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(reason), n);
    first = false;
  }
  const LatencyStats& l = r.latency_ms;
  out += fmt::format(
      "}}}},\"throughput\":{{\"requests_per_s\":{},\"items_per_s\":{}}},"
      "\"latency_ms\":{{\"min\":{},\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{},\"mean\":{}}},",
      json_number(r.requests_per_s), json_number(r.items_per_s), json_number(l.min), json_number(l.p50),
      json_number(l.p90), json_number(l.p99), json_number(l.max), json_number(l.mean));
  out += fmt::format(
      "\"server_timing\":{{\"responses\":{},\"queue_ms\":{},\"compute_ms\":{},\"total_ms\":{},"
      "\"overhead_ms\":{{\"server_p50\":{},\"client_p50\":{}}}}},",
      r.timed, p50_p99_json(r.queue_ms), p50_p99_json(r.compute_ms), p50_p99_json(r.server_total_ms),
      json_number(r.server_overhead_p50_ms), json_number(r.client_overhead_p50_ms));
  out += fmt::format("\"send_lag_ms\":{{\"p50\":{},\"p99\":{},\"max\":{}}}}}", json_number(r.send_lag_ms.p50),
                     json_number(r.send_lag_ms.p99), json_number(r.send_lag_ms.max));
  return out;
}

}  // namespace fastserve::cli
