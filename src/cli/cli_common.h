// What every `fastserve` subcommand shares: exit codes, error and log
// output, engine options (--threads, --max-isa, -O), model loading, and the
// small formatting helpers for text and JSON output.
//
// The CLI is the only layer that turns a Status into an exit code and prints.
// Exit codes (documented in the README):
//   0  success
//   1  runtime or internal failure (kInternal, kResourceExhausted, kUnavailable)
//   2  usage error: unknown flag, missing or malformed argument (CLI11 parse errors)
//   3  input or model error: file not found, not a model, truncated, bad image,
//      wrong shape or dtype (kInvalidArgument, kNotFound, kInvalidModel, kOutOfRange)
//   4  unsupported: op, opset or dtype FastServe does not handle (kUnsupported)
// An error prints exactly one line to stderr: "fastserve: error: <message>".
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/session.h"
#include "fastserve/status.h"

namespace fastserve::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;
inline constexpr int kExitUnsupported = 4;

int exit_code_for(StatusCode code);

// Prints "fastserve: error: <message>" (newlines folded into "; ") to stderr
// and returns the exit code for the status.
int report_error(const Status& status);
// Same, for a usage problem found after parsing (exit code 2).
int report_usage_error(std::string_view message);

// A subcommand: its CLI11 app, and what to run once it has been parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Options every command that runs a model takes.
struct EngineOptions {
  int threads = 0;      // 0 = one per core
  std::string max_isa;  // "" = what the host supports
  int opt_level = 3;    // graph passes: -O0 (none) .. -O3 (all); SessionOptions::optimization_level
  std::string kernels = "auto";  // SessionOptions::kernels: auto, fastserve or onednn
};
void add_engine_options(CLI::App& app, EngineOptions& options);
// -O0..-O3 / --opt-level N (default 3), shared by the commands that compile a model.
void add_opt_level_option(CLI::App& app, int& level);
SessionOptions session_options(const EngineOptions& options);

// Loads and compiles a model: errors come back with their own codes
// (not found / invalid model -> 3, unsupported op or opset -> 4).
Result<std::shared_ptr<Model>> load_model(const std::string& path);
Result<std::unique_ptr<Session>> create_session(std::shared_ptr<const Model> model, const EngineOptions& options);

// CLI11 validator for "0.5" or "0.485,0.456,0.406".
CLI::Validator float_list_validator();

// "[batch,1,28,28]"; unnamed unknown dims print as "?", an unknown rank as "[?]".
std::string format_shape(bool shape_known, const Shape& shape, const std::vector<std::string>& dim_params);
// JSON array of dims: numbers, dim names as strings, null for unnamed unknowns.
std::string json_shape(bool shape_known, const Shape& shape, const std::vector<std::string>& dim_params);
// A JSON string literal with escapes.
std::string json_string(std::string_view s);
// A JSON number (shortest round-trip form); null for NaN and infinities.
std::string json_number(double v);
std::string json_number(float v);
// 1234567 -> "1.23 M", 123 -> "123 ": a count with a unit prefix, ready for "FLOPs".
std::string human_count(double v);
// Bytes as "812.3 KiB".
std::string human_bytes(double bytes);

// min / max / mean of a numeric tensor (as double); all NaN when empty.
struct TensorSummary {
  double min = 0, max = 0, mean = 0;
};
TensorSummary summarize(const Tensor& t);

}  // namespace fastserve::cli
