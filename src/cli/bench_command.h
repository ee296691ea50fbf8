// `fastserve bench`: latency and throughput of a model at one or more batch
// sizes, optionally with a per-node profile.
//
//   fastserve bench --model M [--batch 1,8,32] [--threads N] [--max-isa ISA] [--warmup W]
//                   [--iterations I | --duration S] [--input NAME=FILE.npy ...]
//                   [--shape NAME=DxDx...] [--json] [--profile] [--top N] [--quiet]
//                   [--dump-graph FILE]
//
// Per batch size: one first run (timed alone), W warmup runs, then I timed
// runs or as many as fit in S seconds, each timed with steady_clock. With
// --profile, min(runs, 50) more runs of the last batch size record each
// node's kernel time; they come after the timed runs so the clock reads
// around kernels never touch the latency numbers. Inputs: bench_inputs.h.
// --dump-graph FILE first writes the graph after the passes of -O
// (onnx/onnx_writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/cli_common.h"

namespace fastserve::cli {

struct BenchOptions {
  EngineOptions engine;
  std::string model;
  std::vector<int64_t> batches;  // empty: the model's own batch (bench_inputs.h)
  int64_t warmup = 10;
  int64_t iterations = 0;  // 0: run for `duration_s`
  double duration_s = 5;
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::vector<std::string> shapes;  // NAME=DxDx...
  bool json = false;
  bool profile = false;
  int top = 20;
  bool quiet = false;
  std::string dump_graph;  // write the graph after the passes as ONNX here ("" = no)
};

// Runs the benchmark and prints the report; returns the exit code.
int run_bench(const BenchOptions& options);

}  // namespace fastserve::cli
