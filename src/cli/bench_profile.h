// `fastserve bench --profile`: turns the runtime's per-node kernel times
// (RunProfile, session.h) into the report's rows: each node with its kernel,
// the shapes it ran on, its share of the kernel time and its GFLOP/s (FLOPs
// from graph/flops.h on the run's concrete shapes), and a summary per op type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/session.h"

namespace fastserve::cli {

struct ProfileRow {
  std::string op;
  std::string name;  // the node's name, "#<index>" when it has none
  std::string kernel;
  std::string shapes;  // "1x1x28x28 -> 1x16x28x28": non-constant inputs -> outputs
  double ms = 0;       // average per run
  double percent = 0;  // of the summed kernel time of all nodes
  double gflops = 0;   // NaN when the node's FLOPs are unknown; 0 for data movement
  int64_t calls = 0;
};

struct OpTypeRow {
  std::string op;
  int64_t nodes = 0;
  double ms = 0;  // average per run, summed over the op's nodes
  double percent = 0;
};

struct ProfileReport {
  int64_t batch = 0;
  int64_t runs = 0;
  double kernel_ms = 0;             // per run, all nodes' kernels
  double run_ms = 0;                // per run, the whole Session::run
  std::vector<ProfileRow> nodes;    // slowest first; ties in execution order
  std::vector<OpTypeRow> op_types;  // slowest first
};

ProfileReport build_profile_report(const RunProfile& profile, const Model& model, int64_t batch);

// "1x3x224x224" ("scalar" for rank 0).
std::string dims_text(const Shape& shape);

}  // namespace fastserve::cli
