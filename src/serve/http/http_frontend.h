// The HTTP/REST front end: the KServe v2 (Open Inference Protocol) / Triton
// HTTP API on cpp-httplib, calling only the ModelManager; and the Prometheus
// metrics endpoint on a port of its own.
//
// Routes (every answer carries X-Request-ID; infer answers also
// Server-Timing: "queue;dur=<ms>, compute;dur=<ms>, total;dur=<ms>"):
//   GET  /v2                                   server metadata
//   GET  /v2/health/live | /v2/health/ready    200 or 503, empty body
//   GET  /v2/models/{m}[/versions/{v}]         model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready   200 / 503 (404 for an unknown model)
//   GET  /v2/models/{m}[/versions/{v}]/config  Triton's model configuration JSON
//   GET  /v2/models/stats, /v2/models/{m}[/versions/{v}]/stats   statistics extension
//   POST /v2/models/{m}[/versions/{v}]/infer   JSON or binary tensor data (v2_json.h)
//   POST /v2/models/{m}[/versions/{v}]/classify[?topk=N]   image body (PNG/JPEG/BMP) ->
//        {"model","version","predictions":[{"index","label","score"}]}
//   POST /v2/repository/index                  [{"name","version","state","reason"}]
//   POST /v2/repository/models/{m}/load | unload
// Errors are {"error":"<message>"} with the manager's status mapped by
// http_status_for (400/404/429/503/504/500); 429 adds Retry-After. Unknown
// route 404, wrong method 405, body over max_request_bytes 413.
//
// With an Authenticator, every route but /v2/health/* needs a key
// (Authorization: Bearer <key> or X-API-Key): 401 with WWW-Authenticate:
// Bearer, or 429 with Retry-After when the key's rate is exceeded.
//
// Connections are kept alive (60 s idle, no request limit); each open
// connection holds one worker thread while it lasts (cpp-httplib's model),
// so `threads` bounds the concurrent connections served at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "fastserve/status.h"
#include "serve/auth.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0 = any free port (see port())
  int threads = 0;  // worker threads; 0 = max(64, 8 * cores)
  size_t max_request_bytes = size_t{64} << 20;
  std::string tls_cert, tls_key;  // PEM files; both set = HTTPS, one alone is an error
};

class HttpListener;  // http_listener.h
class HttpService;   // http_service.h

class HttpFrontend {
 public:
  // Binds host:port and serves on background threads. Returns once the
  // socket is bound and accepting; errors name host:port (or the TLS files).
  // `manager`, `metrics` and `auth` (null = no authentication) must outlive
  // the front end.
  static Result<std::unique_ptr<HttpFrontend>> start(const HttpOptions& options, ModelManager& manager,
                                                      ServerMetrics& metrics, Authenticator* auth);
  ~HttpFrontend();  // stop()
  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  int port() const;  // the bound port
  // Stops accepting, closes open connections and joins the workers (a
  // request being served finishes first). Idempotent.
  void stop();

 private:
  HttpFrontend(std::unique_ptr<HttpService> service, std::unique_ptr<HttpListener> listener);
  std::unique_ptr<HttpService> service_;
  std::unique_ptr<HttpListener> listener_;
};

// GET /metrics (text/plain; version=0.0.4) on its own port, without
// authentication (Prometheus scrapers are configured per target).
class MetricsFrontend {
 public:
  static Result<std::unique_ptr<MetricsFrontend>> start(const std::string& host, int port,
                                                         MetricsRegistry& registry);
  ~MetricsFrontend();
  MetricsFrontend(const MetricsFrontend&) = delete;
  MetricsFrontend& operator=(const MetricsFrontend&) = delete;

  int port() const;
  void stop();

 private:
  explicit MetricsFrontend(std::unique_ptr<HttpListener> listener);
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace fastserve::serve
