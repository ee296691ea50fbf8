// The `fastserve` subcommands. Each adds itself to the top-level CLI11 app
// and returns what main() runs once that subcommand has been parsed.
#pragma once

#include "cli/cli_common.h"

namespace fastserve::cli {

Command add_run_command(CLI::App& app);      // run_command.cc: one inference on an image or tensors
Command add_eval_command(CLI::App& app);     // eval_command.cc: accuracy on a labelled test set
Command add_inspect_command(CLI::App& app);  // inspect_command.cc: what a model holds and needs
Command add_bench_command(CLI::App& app);    // bench_command.cc: latency, throughput, per-node profile
Command add_ops_command(CLI::App& app);      // ops_command.cc: supported operators (docs/ops.md)
Command add_serve_command(CLI::App& app);     // serve_command.cc: the KServe v2 / Triton server
Command add_quantize_command(CLI::App& app);  // quantize_command.cc: a dynamic-INT8 copy of a model
Command add_prune_command(CLI::App& app);     // prune_command.cc: a pruned copy of a model

}  // namespace fastserve::cli
