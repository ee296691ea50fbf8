// `fastserve serve`: the KServe v2 / Triton-compatible server (src/serve).
// Flags here, everything else in serve::run_server.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "serve/server.h"

namespace fastserve::cli {
namespace {

struct ServeFlags {
  serve::ServeOptions options;
  std::vector<std::string> models;
};

int run_serve(ServeFlags& flags) {
  for (const std::string& m : flags.models) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      return report_usage_error(fmt::format("--model '{}': expected NAME=PATH", m));
    flags.options.models.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  Status s = serve::run_server(flags.options);
  if (!s.ok()) return report_error(s);
  return kExitOk;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  serve::ServeOptions& o = flags->options;
  CLI::App* cmd = app.add_subcommand("serve", "Serve models over the KServe v2 / Triton HTTP and gRPC protocol");
  cmd->add_option("--model-repository", o.repository, "Triton-layout repository: <model>/<version>/model.onnx + config.pbtxt");
  cmd->add_option("--model", flags->models, "Serve one model file as NAME (version 1); repeatable")->type_name("NAME=PATH");
  cmd->add_option("--host", o.host, "Address to listen on")->default_val("0.0.0.0");
  cmd->add_option("--port,--http-port", o.http_port, "HTTP port (0 = any free port)")->default_val(8080)->check(CLI::Range(0, 65535));
  cmd->add_option("--grpc-port", o.grpc_port, "gRPC port (0 = any free port, -1 = off)")->default_val(8001)->check(CLI::Range(-1, 65535));
  cmd->add_option("--metrics-port", o.metrics_port, "Prometheus /metrics port (0 = any, -1 = off)")->default_val(8002)->check(CLI::Range(-1, 65535));
  cmd->add_option("--threads", o.threads, "Intra-op threads per model instance (0 = cores / instances)")->default_val(0)->check(CLI::NonNegativeNumber);
  cmd->add_option("--http-threads", o.http_threads, "HTTP worker threads (0 = default)")->default_val(0)->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", o.device, "Device for models whose config names none")->default_val("cpu");
  cmd->add_option("--api-key-file", o.api_key_file, "API keys, one per line: KEY [name=N] [rate=R] [burst=B]");
  cmd->add_option("--tls-cert", o.tls_cert, "PEM certificate: serve HTTPS and gRPC over TLS");
  cmd->add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--max-request-bytes", o.max_request_bytes, "Largest request body / message")->default_val(64u << 20);
  cmd->add_option("--log-level", o.log_level, "JSON log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_val("info");
  cmd->add_option("--repository-poll-ms", o.poll_ms, "Poll the repository for changes every N ms (0 = off)")->default_val(0);
  cmd->add_option("--drain-timeout-ms", o.drain_timeout_ms, "On SIGTERM, wait this long for in-flight requests")->default_val(30000);
  cmd->add_option("--ports-file", o.ports_file, "Write the bound ports to this file once listening");
  return {cmd, [flags] { return run_serve(*flags); }};
}

}  // namespace fastserve::cli
