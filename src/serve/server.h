// `fastserve serve`: wires the model manager, the HTTP, gRPC and metrics
// front ends, auth and logging together, and runs until SIGTERM / SIGINT.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::serve {

struct ServeOptions {
  std::string host = "0.0.0.0";
  int http_port = 8080;
  int grpc_port = 8001;     // -1 = no gRPC
  int metrics_port = 8002;  // -1 = no metrics server (GET /metrics is served on this port only)
  std::string repository;
  std::vector<std::pair<std::string, std::string>> models;  // --model NAME=PATH
  int threads = 0;           // intra-op threads per model instance (0 = cores / instances)
  int http_threads = 0;      // 0 = the front end's default
  std::string device = "cpu";
  std::string api_key_file;  // "" = no auth
  std::string tls_cert, tls_key;
  size_t max_request_bytes = 64u << 20;
  std::string log_level = "info";
  int64_t poll_ms = 0;             // repository poll period (0 = off)
  int64_t drain_timeout_ms = 30000;  // SIGTERM: how long in-flight requests may take
  // Written once every port is bound: "http=8080 grpc=8001 metrics=8002\n"
  // (tests start the server on port 0 and read the real ports here).
  std::string ports_file;
};

// Blocks until a SIGTERM or SIGINT has been handled (drain, stop, return ok),
// or returns the start-up error (bad option, model that fails to load, port in use).
Status run_server(const ServeOptions& options);

}  // namespace fastserve::serve
