// The v2 HTTP routes behind cpp-httplib: one entry point per kind of call
// (http_frontend.cc registers them as catch-all handlers), routing by
// http_route.h, then authentication, body reading, the route's work, and
// the per-request bookkeeping (X-Request-ID, metrics, access log).
// Internal to src/serve/http.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "serve/auth.h"
#include "serve/http/http_listener.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

class Classifier;     // http_classify.h
struct HttpExchange;  // one request in flight (http_service.cc)

class HttpService {
 public:
  HttpService(ModelManager& manager, ServerMetrics& metrics, Authenticator* auth, size_t max_request_bytes);
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // A request, with `reader` to read its body (null when cpp-httplib has
  // already read it into req.body, or there is none). Never throws.
  void handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader);
  // An error cpp-httplib produced before any handler ran (malformed
  // request, body over the limit): gives it the JSON error form and logs it.
  // False when `res` is already one of ours.
  bool handle_library_error(const httplib::Request& req, httplib::Response& res);

  // Registers the handlers on `server`.
  void install(httplib::Server& server);
  // Waits until every answer this service has produced is written to its
  // socket (cpp-httplib writes after the handler returns), or `timeout_ms`.
  // Shutdown calls it before closing connections, so no finished request
  // loses its answer.
  void wait_written(int64_t timeout_ms) const;

 private:
  void dispatch(HttpExchange& ex, const httplib::ContentReader* reader);
  bool authorized(HttpExchange& ex, const httplib::ContentReader* reader);
  bool read_body(HttpExchange& ex, const httplib::ContentReader* reader);
  void finish(HttpExchange& ex);

  void serve_get(HttpExchange& ex);
  void serve_model_ready(HttpExchange& ex);
  void serve_infer(HttpExchange& ex);
  void serve_classify(HttpExchange& ex);
  void serve_repository(HttpExchange& ex);

  ModelManager& manager_;
  ServerMetrics& metrics_;
  Authenticator* auth_;
  size_t max_request_bytes_;
  std::unique_ptr<Classifier> classifier_;
  // Answers finished (finish()) but not yet written (cpp-httplib's logger
  // runs after the write): see wait_written().
  std::atomic<int64_t> unwritten_{0};
};

}  // namespace fastserve::serve
