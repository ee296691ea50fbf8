// Exit codes, error lines, engine options and output formatting shared by
// the subcommands (see cli_common.h).
#include "cli/cli_common.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "data/image_preprocess.h"
#include "onnx/onnx_reader.h"

namespace fastserve::cli {

int exit_code_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kInvalidModel:
    case StatusCode::kOutOfRange:
      return kExitInput;
    case StatusCode::kUnsupported:
      return kExitUnsupported;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kInternal:
      return kExitRuntime;
  }
  return kExitRuntime;
}

namespace {

// One line, whatever the message holds (a multi-line status from a session
// listing several unsupported nodes becomes "a; b").
std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r') continue;
    if (c == '\n') {
      if (i + 1 < message.size()) out += "; ";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

int report_error(const Status& status) {
  fmt::print(stderr, "fastserve: error: {}\n", one_line(status.message()));
  std::fflush(stderr);
  return exit_code_for(status.code());
}

int report_usage_error(std::string_view message) {
  fmt::print(stderr, "fastserve: error: {}\n", one_line(message));
  std::fflush(stderr);
  return kExitUsage;
}

void add_engine_options(CLI::App& app, EngineOptions& options) {
  app.add_option("--threads", options.threads, "Intra-op threads (0 = one per core)")
      ->check(CLI::Range(0, 4096))
      ->default_val(0);
  app.add_option("--max-isa", options.max_isa, "Highest instruction set the kernels may use")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512", "avx512vnni"}));
  add_opt_level_option(app, options.opt_level);
  app.add_option("--kernels", options.kernels,
                 "Kernel provider: auto (ours), fastserve (ours only) or onednn (oneDNN where it covers "
                 "a node, ours elsewhere; for comparison)")
      ->check(CLI::IsMember({"auto", "fastserve", "onednn"}))
      ->default_val("auto");
}

void add_opt_level_option(CLI::App& app, int& level) {
  // A short option with an attached value: "-O3" is "-O 3", as compilers spell it.
  app.add_option("-O,--opt-level", level, "Graph optimization level: 0 none, 1 basic, 2 fusions, 3 all")
      ->check(CLI::Range(0, kMaxOptimizationLevel))
      ->default_val(kMaxOptimizationLevel);
}

SessionOptions session_options(const EngineOptions& options) {
  SessionOptions so;
  so.num_threads = options.threads;
  so.max_isa = options.max_isa;
  so.optimization_level = options.opt_level;
  so.kernels = options.kernels;
  return so;
}

Result<std::shared_ptr<Model>> load_model(const std::string& path) { return load_onnx_model(path); }

Result<std::unique_ptr<Session>> create_session(std::shared_ptr<const Model> model, const EngineOptions& options) {
  return Session::create(std::move(model), session_options(options));
}

CLI::Validator float_list_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<std::vector<float>> r = parse_float_list(text, "value");
        return r.ok() ? std::string() : r.status().message();
      },
      "FLOAT[,FLOAT...]");
}

std::string format_shape(bool shape_known, const Shape& shape, const std::vector<std::string>& dim_params) {
  if (!shape_known) return "[?]";
  std::string s = "[";
  for (size_t i = 0; i < shape.rank(); ++i) {
    if (i) s += ",";
    if (shape[i] != kUnknownDim) {
      s += std::to_string(shape[i]);
    } else if (i < dim_params.size() && !dim_params[i].empty()) {
      s += dim_params[i];
    } else {
      s += "?";
    }
  }
  return s + "]";
}

std::string json_shape(bool shape_known, const Shape& shape, const std::vector<std::string>& dim_params) {
  if (!shape_known) return "null";
  std::string s = "[";
  for (size_t i = 0; i < shape.rank(); ++i) {
    if (i) s += ",";
    if (shape[i] != kUnknownDim) {
      s += std::to_string(shape[i]);
    } else if (i < dim_params.size() && !dim_params[i].empty()) {
      s += json_string(dim_params[i]);
    } else {
      s += "null";
    }
  }
  return s + "]";
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

std::string json_number(float v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

std::string human_count(double v) {
  const char* units[] = {" ", " K", " M", " G", " T", " P"};
  int u = 0;
  while (std::abs(v) >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f}{}", v, units[0]) : fmt::format("{:.2f}{}", v, units[u]);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

TensorSummary summarize(const Tensor& t) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TensorSummary s{nan, nan, nan};
  const int64_t n = t.numel();
  if (n == 0 || !dtype_is_storable(t.dtype())) return s;
  double mn = std::numeric_limits<double>::infinity(), mx = -mn, sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = t.dtype() == DType::kF32 ? static_cast<double>(t.data<float>()[i]) : t.element_as_double(i);
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    sum += v;
  }
  s.min = mn;
  s.max = mx;
  s.mean = sum / static_cast<double>(n);
  return s;
}

}  // namespace fastserve::cli
