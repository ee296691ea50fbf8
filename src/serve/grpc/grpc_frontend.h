// The gRPC front end: inference.GRPCInferenceService (KServe v2 / Triton
// protocol, proto/grpc_service.proto) served with grpc++'s synchronous API
// over the model manager, so that Triton's tritonclient.grpc, stubs generated
// from the published proto and perf_analyzer work unchanged.
//
// Every call is one access-log record (protocol "grpc") and counts in
// fastserve_grpc_requests_total. Trailing metadata: "x-request-id" (the
// request id chosen from ModelInferRequest.id, metadata x-request-id or
// traceparent), "server-timing" on ModelInfer ("queue;dur=<ms>,
// compute;dur=<ms>, total;dur=<ms>"), "retry-after" (seconds) with
// RESOURCE_EXHAUSTED. With an Authenticator, every call but ServerLive and
// ServerReady needs metadata "authorization: Bearer <key>" or "x-api-key".
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "fastserve/status.h"
#include "serve/auth.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

struct GrpcOptions {
  std::string host = "0.0.0.0";
  int port = 8001;  // 0 = any free port (see GrpcFrontend::port())
  // Handler threads, which bound the calls served at once (ModelInfer holds
  // its thread while the batch runs); calls beyond them are answered
  // RESOURCE_EXHAUSTED by grpc. 0 = max(64, 8 x hardware threads).
  int threads = 0;
  size_t max_message_bytes = 64 << 20;  // receive and send limit per message
  // PEM files; TLS is on when both are set (one alone is an error).
  std::string tls_cert, tls_key;
};

class GrpcFrontend {
 public:
  // Binds host:port and starts serving. Errors: kInvalidArgument for bad
  // options or unreadable TLS files (naming the file), kUnavailable when the
  // address cannot be bound. `auth` null = no authentication. The manager,
  // metrics and authenticator must outlive the front end.
  static Result<std::unique_ptr<GrpcFrontend>> start(const GrpcOptions& options, ModelManager& manager,
                                                    ServerMetrics& metrics, Authenticator* auth);

  // The bound port (the chosen one when options.port was 0).
  int port() const;
  // Stops accepting calls, lets running ones finish (cancelling any still
  // running after 10 s) and joins the threads. Idempotent.
  void stop();
  ~GrpcFrontend();

  struct Impl;
  explicit GrpcFrontend(std::unique_ptr<Impl> impl);  // used by start()
  GrpcFrontend(const GrpcFrontend&) = delete;
  GrpcFrontend& operator=(const GrpcFrontend&) = delete;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastserve::serve
