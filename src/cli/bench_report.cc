// Text and JSON renderings of a bench report.
//
// JSON schema (one object on one line; tools parse these keys):
//   {"model", "threads", "isa", "kernels", "compile_ms", "peak_rss_mb",
//    "results": [{"batch", "first_ms", "iterations",
//                 "latency_ms": {"min","p50","p90","p99","p999","max","mean"},
//                 "throughput": {"runs_per_s","items_per_s"},
//                 "activation_bytes": {"planned","naive"}}],
//    "profile": [{"op","name","kernel","shapes","ms","percent","gflops","calls"}]}  (only with --profile)
// "profile" lists every node, slowest first; "ms" is per run, "gflops" null
// when the node's FLOPs are unknown.
#include "cli/bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/cli_common.h"
#include "kernels/cpu/sparse/sparse_matrix.h"

namespace fastserve::cli {
namespace {

// Long names keep their start and end, which is where the distinguishing part usually sits.
std::string clip(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  const size_t head = (width - 3) / 2, tail = width - 3 - head;
  return s.substr(0, head) + "..." + s.substr(s.size() - tail);
}

size_t column_width(const std::vector<ProfileRow>& rows, size_t count, std::string ProfileRow::*field,
                    size_t header, size_t cap) {
  size_t w = header;
  for (size_t i = 0; i < count; ++i) w = std::max(w, (rows[i].*field).size());
  return std::min(w, cap);
}

std::string gflops_text(double g) { return std::isnan(g) || g == 0.0 ? "-" : fmt::format("{:.2f}", g); }

void append_latency_table(std::string& out, const BenchReport& r) {
  out += fmt::format("{:>6} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}\n", "batch",
                     "first ms", "runs", "min ms", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
                     "mean ms", "runs/s", "items/s");
  for (const BatchResult& b : r.results) {
    const LatencyStats& l = b.latency;
    out += fmt::format(
        "{:>6} {:>9.3f} {:>7} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>10.1f} "
        "{:>10.1f}\n",
        b.batch, b.first_ms, l.count, l.min, l.p50, l.p90, l.p99, l.p999, l.max, l.mean, b.runs_per_s,
        b.items_per_s);
  }
  for (const BatchResult& b : r.results) {
    constexpr double kMiB = 1024.0 * 1024.0;
    const double saved = b.naive_activation_bytes > 0
                             ? std::max(0.0, 100.0 * (1.0 - static_cast<double>(b.planned_activation_bytes) /
                                                                static_cast<double>(b.naive_activation_bytes)))
                             : 0.0;
    out += fmt::format("activations at batch {}: planned arena {:.2f} MiB, naive sum {:.2f} MiB ({:.0f}% saved)\n",
                       b.batch, static_cast<double>(b.planned_activation_bytes) / kMiB,
                       static_cast<double>(b.naive_activation_bytes) / kMiB, saved);
  }
}

void append_profile(std::string& out, const ProfileReport& p, int top) {
  const double share = p.run_ms > 0 ? 100.0 * p.kernel_ms / p.run_ms : 0.0;
  out += fmt::format(
      "\nprofile: batch {}, {} runs; kernels {:.4f} ms of {:.4f} ms per run ({:.0f}%; the rest is "
      "shape inference, allocation and dispatch)\n",
      p.batch, p.runs, p.kernel_ms, p.run_ms, share);
  const size_t shown = std::min(p.nodes.size(), static_cast<size_t>(std::max(top, 0)));
  const size_t w_op = column_width(p.nodes, shown, &ProfileRow::op, 2, 20);
  const size_t w_name = column_width(p.nodes, shown, &ProfileRow::name, 4, 44);
  const size_t w_kernel = column_width(p.nodes, shown, &ProfileRow::kernel, 6, 36);
  const size_t w_shapes = column_width(p.nodes, shown, &ProfileRow::shapes, 6, 44);
  out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>9}  {:>6}  {:>8}\n", "op", w_op, "node", w_name,
                     "kernel", w_kernel, "shapes", w_shapes, "ms/run", "%", "GFLOP/s");
  for (size_t i = 0; i < shown; ++i) {
    const ProfileRow& row = p.nodes[i];
    out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>9.4f}  {:>6.1f}  {:>8}\n", clip(row.op, w_op),
                       w_op, clip(row.name, w_name), w_name, clip(row.kernel, w_kernel), w_kernel,
                       clip(row.shapes, w_shapes), w_shapes, row.ms, row.percent, gflops_text(row.gflops));
  }
  if (shown < p.nodes.size()) {
    out += fmt::format("  ({} of {} nodes shown; --top N shows more)\n", shown, p.nodes.size());
  }
  // Which layers run on the sparse kernels (a pruned weight above the
  // break-even, or 2:4 at small batch: kernels/cpu/sparse/), and their time.
  int64_t sparse_nodes = 0;
  double sparse_ms = 0, sparse_pct = 0;
  for (const ProfileRow& row : p.nodes) {
    if (!is_sparse_kernel_name(row.kernel)) continue;
    ++sparse_nodes;
    sparse_ms += row.ms;
    sparse_pct += row.percent;
  }
  out += fmt::format("  sparse kernels: {} of {} nodes{}\n", sparse_nodes, p.nodes.size(),
                     sparse_nodes > 0 ? fmt::format(", {:.4f} ms/run ({:.1f}%)", sparse_ms, sparse_pct) : "");
  size_t w = 7;
  for (const OpTypeRow& op : p.op_types) w = std::max(w, op.op.size());
  out += fmt::format("\n  {:<{}}  {:>5}  {:>9}  {:>6}\n", "op type", w, "nodes", "ms/run", "%");
  for (const OpTypeRow& op : p.op_types) {
    out += fmt::format("  {:<{}}  {:>5}  {:>9.4f}  {:>6.1f}\n", op.op, w, op.nodes, op.ms, op.percent);
  }
}

}  // namespace

std::string bench_report_text(const BenchReport& r, int top) {
  std::string out = fmt::format("model: {}\n", r.model);
  out += fmt::format("threads {}, isa {}, kernels {}, compile {:.2f} ms, peak RSS {:.1f} MiB\n\n", r.threads,
                     r.isa, r.kernels, r.compile_ms, r.peak_rss_mb);
  append_latency_table(out, r);
  if (r.profile) append_profile(out, *r.profile, top);
  return out;
}

std::string bench_report_json(const BenchReport& r) {
  std::string out = fmt::format(
      "{{\"model\":{},\"threads\":{},\"isa\":{},\"kernels\":{},\"compile_ms\":{},"
      "\"peak_rss_mb\":{},\"results\":[",
      json_string(r.model), r.threads, json_string(r.isa), json_string(r.kernels), json_number(r.compile_ms),
      json_number(r.peak_rss_mb));
  for (size_t i = 0; i < r.results.size(); ++i) {
    const BatchResult& b = r.results[i];
    const LatencyStats& l = b.latency;
    out += fmt::format(
        "{}{{\"batch\":{},\"first_ms\":{},\"iterations\":{},\"latency_ms\":{{\"min\":{},\"p50\":{},"
        "\"p90\":{},\"p99\":{},\"p999\":{},\"max\":{},\"mean\":{}}},\"throughput\":{{\"runs_per_s\":{},"
        "\"items_per_s\":{}}},\"activation_bytes\":{{\"planned\":{},\"naive\":{}}}}}",
        i ? "," : "", b.batch, json_number(b.first_ms), l.count, json_number(l.min), json_number(l.p50),
        json_number(l.p90), json_number(l.p99), json_number(l.p999), json_number(l.max), json_number(l.mean),
        json_number(b.runs_per_s), json_number(b.items_per_s), b.planned_activation_bytes,
        b.naive_activation_bytes);
  }
  out += "]";
  if (r.profile) {
    out += ",\"profile\":[";
    for (size_t i = 0; i < r.profile->nodes.size(); ++i) {
      const ProfileRow& row = r.profile->nodes[i];
      out += fmt::format(
          "{}{{\"op\":{},\"name\":{},\"kernel\":{},\"shapes\":{},\"ms\":{},\"percent\":{},"
          "\"gflops\":{},\"calls\":{}}}",
          i ? "," : "", json_string(row.op), json_string(row.name), json_string(row.kernel),
          json_string(row.shapes), json_number(row.ms), json_number(row.percent), json_number(row.gflops),
          row.calls);
    }
    out += "]";
  }
  return out + "}";
}

}  // namespace fastserve::cli
