// `fastserve bench` (see bench_command.h): flag parsing, the timing loops
// and the profile runs; inputs come from bench_inputs, output from bench_report.
#include "cli/bench_command.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "cli/bench_inputs.h"
#include "cli/bench_report.h"
#include "cli/bench_server.h"
#include "cli/commands.h"
#include "cli/npy_input.h"
#include "cli/progress_bar.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "onnx/onnx_writer.h"
#include "runtime/kernel_registry.h"
#include "runtime/optimize_model.h"

namespace fastserve::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Profiling runs cap: enough for stable per-node averages, short on big models.
constexpr int64_t kMaxProfileRuns = 50;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double peak_rss_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// One run, its wall time in ms, or the run's error.
Result<double> timed_run(const Session& sess, const std::vector<NamedTensor>& inputs) {
  const auto t0 = Clock::now();
  Result<std::vector<NamedTensor>> out = sess.run(inputs);
  const auto t1 = Clock::now();
  if (!out.ok()) return out.status();
  return ms_between(t0, t1);
}

// First run, warmup, timed runs for one batch size.
Result<BatchResult> bench_batch(const Session& sess, const std::vector<NamedTensor>& inputs, int64_t batch,
                                const BenchOptions& opts, bool show_progress) {
  BatchResult r;
  r.batch = batch;
  FS_ASSIGN_OR_RETURN(r.first_ms, timed_run(sess, inputs));
  for (int64_t i = 0; i < opts.warmup; ++i) FS_RETURN_IF_ERROR(timed_run(sess, inputs).status());

  std::vector<double> samples;
  const std::string label = fmt::format("batch {}", batch);
  const auto start = Clock::now();
  if (opts.iterations > 0) {
    samples.reserve(static_cast<size_t>(std::min<int64_t>(opts.iterations, int64_t{1} << 20)));
    ProgressBar bar(label, opts.iterations, show_progress);
    for (int64_t i = 0; i < opts.iterations; ++i) {
      FS_ASSIGN_OR_RETURN(double ms, timed_run(sess, inputs));
      samples.push_back(ms);
      bar.update(i + 1);
    }
  } else {
    ProgressBar bar(label, ProgressBar::Seconds{opts.duration_s}, show_progress);
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.duration_s));
    do {
      FS_ASSIGN_OR_RETURN(double ms, timed_run(sess, inputs));
      samples.push_back(ms);
      bar.update(static_cast<int64_t>(samples.size()));
    } while (Clock::now() < deadline);
  }
  const double wall_s = ms_between(start, Clock::now()) / 1000.0;
  r.latency = summarize_latencies(samples);
  r.runs_per_s = wall_s > 0 ? static_cast<double>(samples.size()) / wall_s : 0.0;
  r.items_per_s = r.runs_per_s * static_cast<double>(batch);
  return r;
}

Result<RunProfile> profile_runs(const Session& sess, const std::vector<NamedTensor>& inputs, int64_t runs,
                                bool show_progress) {
  RunProfile profile;
  ProgressBar bar("profile", runs, show_progress);
  for (int64_t i = 0; i < runs; ++i) {
    FS_RETURN_IF_ERROR(sess.run(inputs, &profile).status());
    bar.update(i + 1);
  }
  return profile;
}

// Reads the --input files; their errors keep their own exit codes (missing file 3, ...).
Result<std::map<std::string, FileInput>> load_input_files(const std::map<std::string, std::string>& paths,
                                                          const std::vector<IoInfo>& inputs) {
  std::map<std::string, FileInput> files;
  for (const IoInfo& in : inputs) {
    auto p = paths.find(in.name);
    if (p == paths.end()) continue;
    FS_ASSIGN_OR_RETURN(Tensor t, load_npy_input(p->second, in));
    files.emplace(in.name, FileInput{p->second, std::move(t)});
  }
  return files;
}

// --dump-graph: the passes of -O on a copy (sharing the weights), written
// before the session compiles. Session::model() would not do: compile_plan
// drops the weights its kernels packed from it.
Status dump_graph(const Model& model, int opt_level, const std::string& path) {
  Model copy = model;
  ThreadPool pool(1);
  PlanOptions plan;
  plan.isa = host_isa();
  FS_RETURN_IF_ERROR(optimize_model(copy, opt_level, plan, KernelRegistry::global(), pool).status());
  return save_onnx_model(copy, path);
}

}  // namespace

int run_bench(const BenchOptions& opts) {
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  if (!opts.dump_graph.empty()) {
    if (Status st = dump_graph(**model, opts.engine.opt_level, opts.dump_graph); !st.ok()) return report_error(st);
  }
  const auto compile_start = Clock::now();
  // The session gets the only handle: weights it packs are then freed.
  Result<std::unique_ptr<Session>> session = create_session(std::move(*model), opts.engine);
  const double compile_ms = ms_between(compile_start, Clock::now());
  if (!session.ok()) return report_error(session.status());
  const Session& sess = **session;

  // Flag problems (exit 2) before file problems (their own codes) before any run.
  Result<std::map<std::string, std::string>> paths = parse_input_args(opts.inputs, sess.inputs());
  if (!paths.ok()) return report_usage_error(paths.status().message());
  Result<std::map<std::string, Shape>> shapes = parse_shape_args(opts.shapes, sess.inputs());
  if (!shapes.ok()) return report_usage_error(shapes.status().message());
  Result<std::map<std::string, FileInput>> files = load_input_files(*paths, sess.inputs());
  if (!files.ok()) return report_error(files.status());
  Result<BenchInputPlan> plan = plan_bench_inputs(sess.inputs(), opts.batches, *shapes, *files);
  if (!plan.ok()) return report_usage_error(plan.status().message());

  const bool show_progress = !opts.quiet && !opts.json && stderr_is_tty();
  BenchReport report;
  report.model = opts.model;
  report.threads = sess.num_threads();
  report.isa = sess.isa();
  report.kernels = opts.engine.kernels;
  report.compile_ms = compile_ms;
  for (size_t i = 0; i < plan->batches.size(); ++i) {
    Result<std::vector<NamedTensor>> inputs = make_bench_inputs(plan->per_batch[i]);
    if (!inputs.ok()) return report_error(inputs.status());
    Result<BatchResult> r = bench_batch(sess, *inputs, plan->batches[i], opts, show_progress);
    if (!r.ok()) return report_error(r.status());
    const MemoryStats mem = sess.memory_stats();  // the plan of this batch's shapes, its last run
    r->planned_activation_bytes = mem.planned_activation_bytes;
    r->naive_activation_bytes = mem.naive_activation_bytes;
    report.results.push_back(*r);
    if (opts.profile && i + 1 == plan->batches.size()) {
      const int64_t runs = std::min(r->latency.count, kMaxProfileRuns);
      Result<RunProfile> profile = profile_runs(sess, *inputs, runs, show_progress);
      if (!profile.ok()) return report_error(profile.status());
      report.profile = build_profile_report(*profile, sess.model(), plan->batches[i]);
    }
  }
  report.peak_rss_mb = peak_rss_mib();

  if (opts.json) {
    fmt::print("{}\n", bench_report_json(report));
  } else {
    fmt::print("{}", bench_report_text(report, opts.top));
  }
  return kExitOk;
}

Command add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* sub =
      app.add_subcommand("bench", "Measure latency and throughput of a model, optionally per node");
  sub->add_option("--model,-m", opts->model, "ONNX model file (with --server: the served model's name)")->required();
  sub->add_option("--batch,-b", opts->batches,
                  "Batch sizes, e.g. 1,8,32 (default: the model's fixed batch, else 1)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  sub->add_option("--warmup", opts->warmup, "Untimed runs before the timed ones, per batch size")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->default_val(10);
  CLI::Option* iterations =
      sub->add_option("--iterations,-n", opts->iterations, "Timed runs per batch size (default: --duration)")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  CLI::Option* duration =
      sub->add_option("--duration", opts->duration_s, "Seconds of timed runs per batch size")
          ->check(CLI::Range(0.001, 1e6))
          ->default_val(5);
  iterations->excludes(duration);
  sub->add_option("--input,-i", opts->inputs,
                  "Feed an input from a file, NAME=FILE.npy (default: random data)");
  sub->add_option("--shape", opts->shapes,
                  "Size of an input's symbolic dims, NAME=DxDx... (dim 0 follows --batch)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            Result<std::pair<std::string, Shape>> r = parse_shape_arg(text);
            return r.ok() ? std::string() : r.status().message();
          },
          "NAME=DxDx..."));
  sub->add_flag("--json", opts->json, "Print one JSON object instead of the table");
  sub->add_flag("--profile", opts->profile,
                "Time every node (extra runs of the last batch size, after the timed ones)");
  sub->add_option("--top", opts->top, "Nodes in the profile table (the JSON lists all)")
      ->check(CLI::Range(1, 1 << 30))
      ->default_val(20);
  sub->add_flag("--quiet,-q", opts->quiet, "No progress bar");
  sub->add_option("--dump-graph", opts->dump_graph,
                  "Write the graph after the passes of -O to FILE as an ONNX model (opens in Netron)");
  add_engine_options(*sub, opts->engine);
  // --server: load-test a running server instead (bench_server.h).
  auto server = std::make_shared<ServerBenchFlags>();
  add_server_bench_options(*sub, *server);
  return {sub, [opts, server, sub] {
            if (!server_bench_requested(*sub)) return run_bench(*opts);
            // The server compiles its own graph; there is none here to write.
            if (!opts->dump_graph.empty()) return report_usage_error("--dump-graph cannot be used with --server");
            return run_server_bench_command(
                *sub, *server, SharedBenchFlags{opts->model, opts->batches, opts->duration_s, opts->json, opts->quiet});
          }};
}

}  // namespace fastserve::cli
