// run_server: start-up order (logging, auth, models, front ends), then wait
// for a signal and shut down gracefully: readiness turns 503 first, in-flight
// requests finish, then the front ends stop.
#include "serve/server.h"

#include <malloc.h>
#include <signal.h>

#include <fstream>
#include <memory>

#include "serve/auth.h"
#include "serve/grpc/grpc_frontend.h"
#include "serve/http/http_frontend.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"
#include "serve/request_log.h"
#include "serve/stop_signal.h"

namespace fastserve::serve {

Status run_server(const ServeOptions& options) {
  if (!init_json_logging(options.log_level))
    return Status(StatusCode::kInvalidArgument, "--log-level: unknown level '" + options.log_level + "'");
  if (options.repository.empty() && options.models.empty())
    return Status(StatusCode::kInvalidArgument, "serve: give --model-repository DIR or --model NAME=PATH");
  if (options.tls_cert.empty() != options.tls_key.empty())
    return Status(StatusCode::kInvalidArgument, "serve: --tls-cert and --tls-key go together");

  // Signals go to the thread that waits for them, never to a worker: block
  // them before any thread starts (threads inherit the mask).
  StopSignal stop;
  // A client that hangs up mid-response must not kill the server.
  signal(SIGPIPE, SIG_IGN);
  // glibc raises its mmap threshold (up to 32 MiB) after the first large
  // free; from then on request bodies of a MB come from per-thread arenas
  // and each HTTP worker keeps a few MB of them (the soak saw 28 -> 145 MiB
  // with 24 workers). A fixed threshold hands large blocks back when they
  // are freed, so memory follows what the server holds. The sessions' arenas
  // are pooled, so the engine does not pay an mmap per run.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);

  std::unique_ptr<Authenticator> auth;
  if (!options.api_key_file.empty()) {
    FS_ASSIGN_OR_RETURN(auth, Authenticator::from_file(options.api_key_file));
  }

  MetricsRegistry registry;
  ServerMetrics metrics(registry);
  ManagerOptions mo;
  mo.repository = options.repository;
  mo.explicit_models = options.models;
  mo.threads = options.threads;
  mo.device = options.device;
  mo.poll_ms = options.poll_ms;
  mo.stop_requested = [&stop] { return stop.requested(); };
  ModelManager manager(mo, metrics);
  FS_RETURN_IF_ERROR(manager.load_all());

  HttpOptions ho;
  ho.host = options.host;
  ho.port = options.http_port;
  ho.threads = options.http_threads;
  ho.max_request_bytes = options.max_request_bytes;
  ho.tls_cert = options.tls_cert;
  ho.tls_key = options.tls_key;
  FS_ASSIGN_OR_RETURN(auto http, HttpFrontend::start(ho, manager, metrics, auth.get()));

  std::unique_ptr<GrpcFrontend> grpc;
  if (options.grpc_port >= 0) {
    GrpcOptions go;
    go.host = options.host;
    go.port = options.grpc_port;
    go.max_message_bytes = options.max_request_bytes;
    go.tls_cert = options.tls_cert;
    go.tls_key = options.tls_key;
    FS_ASSIGN_OR_RETURN(grpc, GrpcFrontend::start(go, manager, metrics, auth.get()));
  }
  std::unique_ptr<MetricsFrontend> metrics_server;
  if (options.metrics_port >= 0) {
    FS_ASSIGN_OR_RETURN(metrics_server, MetricsFrontend::start(options.host, options.metrics_port, registry));
  }

  std::string ports = "http=" + std::to_string(http->port()) + " grpc=" + std::to_string(grpc ? grpc->port() : -1) +
                      " metrics=" + std::to_string(metrics_server ? metrics_server->port() : -1);
  log_event(LogLevel::kInfo, "serving: " + ports);
  if (!options.ports_file.empty()) {
    // Written to a temporary name and renamed: a reader never sees half a line.
    const std::string tmp = options.ports_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << ports << "\n";
    }
    std::rename(tmp.c_str(), options.ports_file.c_str());
  }

  const int sig = stop.wait();
  log_event(LogLevel::kInfo, std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                                 ": draining (readiness is now 503)");
  const bool drained = manager.drain(options.drain_timeout_ms);
  if (!drained) log_event(LogLevel::kWarn, "drain timed out; stopping with requests still running");
  // In-flight answers have been handed to the front ends; give their threads
  // a moment to write them before the listeners close.
  if (grpc) grpc->stop();
  http->stop();
  if (metrics_server) metrics_server->stop();
  log_event(LogLevel::kInfo, "stopped");
  return ok_status();
}

}  // namespace fastserve::serve
