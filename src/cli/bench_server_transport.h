// The two wire protocols of `bench --server` behind one small interface, so
// that the load loop (bench_server.cc) knows neither HTTP nor gRPC:
// bench_server_http.cc (cpp-httplib) and bench_server_grpc.cc (grpc++ with
// the stubs generated from proto/grpc_service.proto).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/bench_server.h"

namespace fastserve::cli {

// What one request came to.
struct CallOutcome {
  bool ok = false;
  std::string reason;   // when !ok: the failure's class, the key of the report's count ("HTTP 503")
  std::string message;  // when !ok: details (the server's error text), kept for the first of each reason
  ServerTiming timing;  // when ok: the answer's Server-Timing (NaN fields when absent)
};

// One client thread's connection. Used by one thread at a time.
class BenchClient {
 public:
  virtual ~BenchClient() = default;
  // Sends the prepared request and waits for its answer (bounded by the
  // timeout). Never throws.
  virtual CallOutcome infer() = 0;
};

class BenchTransport {
 public:
  virtual ~BenchTransport() = default;
  // The model's metadata. Errors: kUnavailable (cannot connect, timeout),
  // kNotFound (no such model), kInvalidArgument (API key refused, bad answer).
  virtual Result<ModelSpec> fetch_metadata() = 0;
  // Builds the request every client sends (once, shared read-only).
  virtual Status prepare(const std::vector<BenchTensor>& inputs) = 0;
  // A new connection (HTTP) or channel (gRPC) for one client thread; it
  // connects on first use.
  virtual std::unique_ptr<BenchClient> make_client() = 0;
};

// `url` already parsed for the protocol; options: model, api_key, timeout_s,
// json_data (HTTP).
std::unique_ptr<BenchTransport> make_http_transport(const ServerUrl& url, const ServerBenchOptions& options);
std::unique_ptr<BenchTransport> make_grpc_transport(const ServerUrl& url, const ServerBenchOptions& options);

}  // namespace fastserve::cli
