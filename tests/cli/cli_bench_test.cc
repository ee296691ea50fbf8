// `fastserve bench` as a user runs it: the JSON schema and its values, the
// profile, batch handling (dynamic, static, files, --shape), the text table,
// the progress bar and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "core/npy.h"
#include "onnx/onnx_reader.h"
#include "tests/cli/cli_harness.h"
#include "tests/cli/json_reader.h"
#include "tests/onnx/proto_builder.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                     \
  do {                                                                            \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built"; \
  } while (0)

std::string src(const std::string& rel) { return source_path(rel); }
const std::string kTiny = "models/tiny_cnn.onnx";

void expect_one_line_error(const ProcessResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << "stderr: " << r.err;
  std::vector<std::string> lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr: " << r.err;
  EXPECT_EQ(lines[0].rfind("fastserve: error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(needle), std::string::npos) << "missing '" << needle << "' in: " << lines[0];
  EXPECT_TRUE(r.out.empty()) << "stdout: " << r.out;
}

// Runs bench with --json and returns the parsed object (fails the test otherwise).
JsonValue bench_json(std::vector<std::string> args) {
  args.insert(args.begin(), "bench");
  args.push_back("--json");
  ProcessResult r = run_fastserve(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << "a pipe gets no progress bar and no logs: " << r.err;
  EXPECT_EQ(split_lines(r.out).size(), 1u) << r.out;
  std::string error;
  std::optional<JsonValue> v = parse_json(r.out, &error);
  EXPECT_TRUE(v.has_value()) << error << " in: " << r.out;
  return v.value_or(JsonValue{});
}

double num(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.find(key);
  EXPECT_TRUE(m != nullptr && m->is_number()) << key;
  return m != nullptr && m->is_number() ? m->number : std::nan("");
}

// Checks one "results" entry; returns its batch.
int64_t check_result(const JsonValue& r, int64_t iterations) {
  EXPECT_EQ(r.keys(),
            (std::vector<std::string>{"batch", "first_ms", "iterations", "latency_ms", "throughput",
                                      "activation_bytes"}));
  const int64_t batch = static_cast<int64_t>(num(r, "batch"));
  EXPECT_GT(num(r, "first_ms"), 0.0);
  if (iterations > 0) {
    EXPECT_EQ(num(r, "iterations"), iterations);
  }
  const JsonValue* lat = r.find("latency_ms");
  const JsonValue* tp = r.find("throughput");
  if (lat == nullptr || tp == nullptr) return batch;
  EXPECT_EQ(lat->keys(), (std::vector<std::string>{"min", "p50", "p90", "p99", "p999", "max", "mean"}));
  const double mn = num(*lat, "min"), mx = num(*lat, "max");
  EXPECT_GT(mn, 0.0);
  double prev = mn;
  for (const char* k : {"p50", "p90", "p99", "p999", "max"}) {
    EXPECT_GE(num(*lat, k), prev) << k;
    prev = num(*lat, k);
  }
  EXPECT_GE(num(*lat, "p50"), mn);
  EXPECT_LE(num(*lat, "p50"), mx);
  EXPECT_GE(num(*lat, "mean"), mn);
  EXPECT_LE(num(*lat, "mean"), mx);
  EXPECT_EQ(tp->keys(), (std::vector<std::string>{"runs_per_s", "items_per_s"}));
  const double runs = num(*tp, "runs_per_s");
  EXPECT_GT(runs, 0.0);
  // Runs per second cannot beat the fastest run.
  EXPECT_LE(runs, 1000.0 / mn * 1.0001);
  EXPECT_NEAR(num(*tp, "items_per_s"), runs * static_cast<double>(batch),
              1e-9 * runs * static_cast<double>(batch));
  // The memory planner's arena holds every intermediate at once at most.
  if (const JsonValue* mem = r.find("activation_bytes"); mem != nullptr) {
    EXPECT_EQ(mem->keys(), (std::vector<std::string>{"planned", "naive"}));
    EXPECT_GE(num(*mem, "planned"), 0.0);  // 0 when the graph has no intermediates
    EXPECT_LE(num(*mem, "planned"), num(*mem, "naive"));
  }
  return batch;
}

std::shared_ptr<Model> load(const std::string& rel) {
  Result<std::shared_ptr<Model>> m = load_onnx_model(src(rel));
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? m.value() : std::make_shared<Model>();
}

// x float32[2,3] -> Relu -> y: a static batch of 2.
std::string write_static_batch_model(const ScratchDir& dir) {
  GraphParts g;
  g.nodes.push_back(node("Relu", {"x"}, {"y"}, "relu"));
  g.inputs.push_back(value_info("x", kOnnxFloat, {int64_t{2}, int64_t{3}}));
  g.outputs.push_back(value_info("y", kOnnxFloat, {int64_t{2}, int64_t{3}}));
  const std::string path = dir.file("static_batch.onnx");
  write_file(path, model(graph(g)));
  return path;
}

TEST(CliBench, JsonHasTheSchemaAndSaneValues) {
  SKIP_WITHOUT_BINARY();
  const JsonValue v = bench_json({"--model", src(kTiny), "--iterations", "5", "--warmup", "1"});
  EXPECT_EQ(v.keys(), (std::vector<std::string>{"model", "threads", "isa", "kernels", "compile_ms",
                                                "peak_rss_mb", "results"}));
  ASSERT_TRUE(v.find("model") && v.find("model")->is_string());
  EXPECT_EQ(v.find("model")->string, src(kTiny));
  EXPECT_GE(num(v, "threads"), 1.0);
  ASSERT_TRUE(v.find("isa") && v.find("isa")->is_string());
  EXPECT_TRUE(std::set<std::string>({"scalar", "avx2", "avx512", "avx512vnni"}).count(v.find("isa")->string));
  EXPECT_EQ(v.find("kernels")->string, "auto");
  EXPECT_GT(num(v, "compile_ms"), 0.0);
  EXPECT_GT(num(v, "peak_rss_mb"), 1.0);  // the binary and the model at least
  EXPECT_LT(num(v, "peak_rss_mb"), 4096.0);
  const JsonValue* results = v.find("results");
  ASSERT_TRUE(results && results->is_array());
  ASSERT_EQ(results->array.size(), 1u);
  EXPECT_EQ(check_result(results->array[0], 5), 1);  // tiny_cnn's batch is symbolic: default 1
}

TEST(CliBench, ProfileListsEveryNodeOnceAndSharesSumToAHundred) {
  SKIP_WITHOUT_BINARY();
  // -O0: the profile lists the model's own nodes (passes would fuse some).
  const JsonValue v = bench_json({"--model", src(kTiny), "--iterations", "5", "--profile", "-O0"});
  const JsonValue* profile = v.find("profile");
  ASSERT_TRUE(profile && profile->is_array());
  std::shared_ptr<Model> m = load(kTiny);
  std::multiset<std::string> names;
  std::map<std::string, std::string> op_of;
  for (const Node& n : m->graph.nodes) op_of[n.name] = n.op_type;
  ASSERT_EQ(profile->array.size(), m->graph.nodes.size());
  double percent = 0, prev_ms = INFINITY;
  for (const JsonValue& row : profile->array) {
    EXPECT_EQ(row.keys(), (std::vector<std::string>{"op", "name", "kernel", "shapes", "ms", "percent",
                                                    "gflops", "calls"}));
    const std::string name = row.find("name")->string, op = row.find("op")->string;
    names.insert(name);
    EXPECT_EQ(op, op_of[name]) << name;
    EXPECT_FALSE(row.find("kernel")->string.empty()) << name;
    EXPECT_EQ(num(row, "calls"), 5);  // min(iterations, 50) profile runs
    EXPECT_GE(num(row, "ms"), 0.0);
    EXPECT_LE(num(row, "ms"), prev_ms) << "slowest first";
    prev_ms = num(row, "ms");
    percent += num(row, "percent");
    const std::string shapes = row.find("shapes")->string;
    if (op == "Conv") {
      // Weights are left out; the batch-1 activations are shown.
      EXPECT_EQ(shapes, "1x1x28x28 -> 1x8x26x26");
      EXPECT_GT(num(row, "gflops"), 0.0);
    }
    if (op == "Flatten") {
      EXPECT_EQ(num(row, "gflops"), 0.0);  // moves data only
    }
    EXPECT_NE(shapes.find(" -> "), std::string::npos) << shapes;
  }
  for (const Node& n : m->graph.nodes) EXPECT_EQ(names.count(n.name), 1u) << n.name;
  EXPECT_NEAR(percent, 100.0, 0.01);
}

TEST(CliBench, DynamicBatchRunsEveryBatchSize) {
  SKIP_WITHOUT_BINARY();
  const JsonValue v = bench_json({"--model", src(kTiny), "--batch", "1,4", "--iterations", "3", "--profile"});
  const JsonValue* results = v.find("results");
  ASSERT_TRUE(results && results->array.size() == 2u);
  EXPECT_EQ(check_result(results->array[0], 3), 1);
  EXPECT_EQ(check_result(results->array[1], 3), 4);
  // The profile is of the last batch size.
  const JsonValue* profile = v.find("profile");
  ASSERT_TRUE(profile != nullptr);
  bool saw_conv = false;
  for (const JsonValue& row : profile->array) {
    // At the default -O3 the Conv + Relu run as one fastserve.FusedConv.
    const std::string op = row.find("op")->string;
    if (op != "Conv" && op != "FusedConv") continue;
    saw_conv = true;
    EXPECT_EQ(row.find("shapes")->string, "4x1x28x28 -> 4x8x26x26");
    EXPECT_EQ(num(row, "calls"), 3);
  }
  EXPECT_TRUE(saw_conv);
}

TEST(CliBench, StaticBatchModelTakesOnlyItsBatch) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string model_path = write_static_batch_model(dir);
  expect_one_line_error(run_fastserve({"bench", "--model", model_path, "--batch", "4", "--iterations", "2"}),
                        2, "--batch 4: input 'x' has a fixed batch of 2");
  expect_one_line_error(
      run_fastserve({"bench", "--model", model_path, "--batch", "2,3", "--iterations", "2"}), 2, "input 'x'");
  JsonValue v = bench_json({"--model", model_path, "--iterations", "2"});
  ASSERT_TRUE(v.find("results") && v.find("results")->array.size() == 1u);
  EXPECT_EQ(check_result(v.find("results")->array[0], 2), 2);  // the model's own batch by default
  v = bench_json({"--model", model_path, "--batch", "2", "--iterations", "2"});
  ASSERT_TRUE(v.find("results") && v.find("results")->array.size() == 1u);
  EXPECT_EQ(check_result(v.find("results")->array[0], 2), 2);
}

TEST(CliBench, OtherSymbolicDimsNeedShape) {
  SKIP_WITHOUT_BINARY();
  // dims_symbolic_static: a float32[batch,3,seq], b float32[1,3,1], c float32[3,1].
  const std::string model_path = src("tests/data/models/dims_symbolic_static.onnx");
  expect_one_line_error(run_fastserve({"bench", "--model", model_path, "--iterations", "2"}), 2,
                        "input 'a' dim 2 ('seq') is symbolic");
  expect_one_line_error(
      run_fastserve({"bench", "--model", model_path, "--shape", "a=1x4x5", "--iterations", "2"}), 2,
      "--shape for input 'a': dim 1 is 4, but the model fixes it at 3");
  expect_one_line_error(
      run_fastserve({"bench", "--model", model_path, "--shape", "a=1x3", "--iterations", "2"}), 2,
      "--shape for input 'a': 2 dims");
  expect_one_line_error(
      run_fastserve({"bench", "--model", model_path, "--shape", "zz=1x3", "--iterations", "2"}), 2,
      "no input 'zz'");
  const JsonValue v = bench_json(
      {"--model", model_path, "--shape", "a=1x3x7", "--batch", "2,3", "--iterations", "2", "--profile"});
  const JsonValue* results = v.find("results");
  ASSERT_TRUE(results && results->array.size() == 2u);
  EXPECT_EQ(check_result(results->array[0], 2), 2);
  EXPECT_EQ(check_result(results->array[1], 2), 3);
  // --batch replaced the --shape's dim 0: the last batch ran a as 3x3x7.
  bool saw_a = false;
  for (const JsonValue& row : v.find("profile")->array) {
    saw_a = saw_a || row.find("shapes")->string.rfind("3x3x7", 0) == 0;
  }
  EXPECT_TRUE(saw_a);
  // Without --batch the --shape's dim 0 is the batch.
  const JsonValue d = bench_json({"--model", model_path, "--shape", "a=5x3x2", "--iterations", "2"});
  ASSERT_TRUE(d.find("results") && d.find("results")->array.size() == 1u);
  EXPECT_EQ(check_result(d.find("results")->array[0], 2), 5);
}

TEST(CliBench, NpyInputsSetTheBatchAndMustFitIt) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  std::mt19937 rng(3);
  ASSERT_TRUE(write_npy(dir.file("x.npy"), random_f32({2, 1, 28, 28}, rng)).ok());
  JsonValue v =
      bench_json({"--model", src(kTiny), "--input", "input=" + dir.file("x.npy"), "--iterations", "2"});
  ASSERT_TRUE(v.find("results") && v.find("results")->array.size() == 1u);
  EXPECT_EQ(check_result(v.find("results")->array[0], 2), 2);
  v = bench_json(
      {"--model", src(kTiny), "--input", dir.file("x.npy"), "--iterations", "2"});  // one input: bare file
  EXPECT_EQ(check_result(v.find("results")->array[0], 2), 2);
  expect_one_line_error(run_fastserve({"bench", "--model", src(kTiny), "--input",
                                       "input=" + dir.file("x.npy"), "--batch", "3", "--iterations", "2"}),
                        2, "input 'input' comes from " + dir.file("x.npy") + ", whose dim 0 is 2");
  expect_one_line_error(
      run_fastserve({"bench", "--model", src(kTiny), "--input", "input=/nonexistent/x.npy"}), 3,
      "/nonexistent/x.npy");
  expect_one_line_error(run_fastserve({"bench", "--model", src(kTiny), "--input", "zz=" + dir.file("x.npy")}),
                        2, "no input 'zz'");
  ASSERT_TRUE(write_npy(dir.file("bad.npy"), random_f32({2, 1, 27, 28}, rng)).ok());
  expect_one_line_error(
      run_fastserve({"bench", "--model", src(kTiny), "--input", "input=" + dir.file("bad.npy")}), 3,
      "does not match model input 'input'");
}

TEST(CliBench, IntegerInputsGetValidRandomIndices) {
  SKIP_WITHOUT_BINARY();
  // ops_softmax_shape feeds an int64 'tokens' input to an embedding Gather:
  // out-of-range random indices would fail the run.
  const JsonValue v =
      bench_json({"--model", src("tests/data/models/ops_softmax_shape.onnx"), "--iterations", "2"});
  ASSERT_TRUE(v.find("results") && v.find("results")->array.size() == 1u);
  check_result(v.find("results")->array[0], 2);
}

TEST(CliBench, ThreadsAndMaxIsaReachTheSession) {
  SKIP_WITHOUT_BINARY();
  JsonValue v = bench_json({"--model", src(kTiny), "--threads", "1", "--iterations", "3"});
  EXPECT_EQ(num(v, "threads"), 1);
  check_result(v.find("results")->array.at(0), 3);
  v = bench_json({"--model", src(kTiny), "--threads", "2", "--max-isa", "scalar", "--iterations", "3"});
  EXPECT_EQ(num(v, "threads"), 2);
  EXPECT_EQ(v.find("isa")->string, "scalar");
}

TEST(CliBench, DurationAndWarmup) {
  SKIP_WITHOUT_BINARY();
  // No --iterations: as many runs as fit in the duration (tiny_cnn runs in well under 10 ms).
  const JsonValue v = bench_json({"--model", src(kTiny), "--duration", "0.3", "--warmup", "0"});
  const JsonValue& r = v.find("results")->array.at(0);
  check_result(r, 0);
  EXPECT_GT(num(r, "iterations"), 1);
}

TEST(CliBench, TextTableAndTop) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r =
      run_fastserve({"bench", "--model", src(kTiny), "--iterations", "4", "--profile", "--top", "2", "-O0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  const std::vector<std::string> lines = split_lines(r.out);
  EXPECT_EQ(r.out.rfind("model: " + src(kTiny) + "\n", 0), 0u) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(threads \d+, isa \w+, kernels auto, compile [0-9.]+ ms, peak RSS [0-9.]+ MiB)")))
      << r.out;
  EXPECT_NE(r.out.find("p99.9 ms"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n +1 +[0-9.]+ +4 )"))) << r.out;  // batch 1, 4 runs
  EXPECT_NE(r.out.find("profile: batch 1, 4 runs; kernels "), std::string::npos) << r.out;
  // Two node rows between the header and the "shown" note.
  size_t header = lines.size(), note = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("GFLOP/s") != std::string::npos) header = i;
    if (lines[i].find("(2 of 5 nodes shown; --top N shows more)") != std::string::npos) note = i;
  }
  ASSERT_LT(header, lines.size()) << r.out;
  ASSERT_LT(note, lines.size()) << r.out;
  EXPECT_EQ(note - header - 1, 2u) << r.out;
  EXPECT_NE(r.out.find("op type"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Conv"), std::string::npos) << r.out;
}

TEST(CliBench, ProgressBarOnlyOnATerminalAndNotWithQuietOrJson) {
  SKIP_WITHOUT_BINARY();
  ProcessResult tty =
      run_fastserve_on_pty({"bench", "--model", src(kTiny), "--duration", "0.3", "--profile"});
  ASSERT_EQ(tty.exit_code, 0) << tty.out;
  EXPECT_NE(tty.out.find("batch 1 ["), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[K"), std::string::npos);  // erased before the table
  EXPECT_NE(tty.out.find("p50 ms"), std::string::npos);
  ProcessResult counted = run_fastserve_on_pty({"bench", "--model", src(kTiny), "--iterations", "20"});
  ASSERT_EQ(counted.exit_code, 0) << counted.out;
  EXPECT_NE(counted.out.find("batch 1 ["), std::string::npos) << counted.out;
  for (const char* flag : {"--quiet", "--json"}) {
    ProcessResult quiet = run_fastserve_on_pty({"bench", "--model", src(kTiny), "--iterations", "20", flag});
    ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
    EXPECT_EQ(quiet.out.find("batch 1 ["), std::string::npos) << flag << ": " << quiet.out;
    EXPECT_EQ(quiet.out.find("\x1b[K"), std::string::npos) << flag;
  }
}

TEST(CliBench, UsageErrorsExitTwo) {
  SKIP_WITHOUT_BINARY();
  const std::string m = src(kTiny);
  expect_one_line_error(run_fastserve({"bench"}), 2, "--model");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--iterations", "0"}), 2, "--iterations");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--iterations", "5", "--duration", "1"}), 2,
                        "excludes");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--duration", "0"}), 2, "--duration");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--batch", "0"}), 2, "--batch");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--batch", "1,x"}), 2, "--batch");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--warmup", "-1"}), 2, "--warmup");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--top", "0"}), 2, "--top");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--threads", "-2"}), 2, "--threads");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--shape", "input"}), 2, "expected NAME=DIMS");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--shape", "input=1x0x28x28"}), 2,
                        "dim '0' is not a positive integer");
  expect_one_line_error(run_fastserve({"bench", "--model", m, "--shape", "input=1xx28"}), 2, "--shape");
}

TEST(CliBench, BadModelsExitLikeRun) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  write_file(dir.file("garbage.onnx"), "not a model at all");
  expect_one_line_error(run_fastserve({"bench", "--model", dir.file("garbage.onnx")}), 3, "garbage.onnx");
  expect_one_line_error(run_fastserve({"bench", "--model", "/nonexistent/m.onnx"}), 3, "/nonexistent/m.onnx");
  expect_one_line_error(run_fastserve({"bench", "--model", src("tests/data/models/unknown_ops.onnx")}), 4,
                        "FooBar");
}

}  // namespace
}  // namespace fastserve::testing
