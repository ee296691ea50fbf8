// HttpFrontend and MetricsFrontend: an HttpListener each, with the v2
// service or the /metrics page installed on it.
#include "serve/http/http_frontend.h"

#include "serve/http/http_listener.h"
#include "serve/http/http_service.h"
#include "serve/http/v2_server_json.h"

namespace fastserve::serve {

HttpFrontend::HttpFrontend(std::unique_ptr<HttpService> service, std::unique_ptr<HttpListener> listener)
    : service_(std::move(service)), listener_(std::move(listener)) {}

HttpFrontend::~HttpFrontend() { stop(); }

Result<std::unique_ptr<HttpFrontend>> HttpFrontend::start(const HttpOptions& options, ModelManager& manager,
                                                          ServerMetrics& metrics, Authenticator* auth) {
  ListenerOptions lo;
  lo.what = "HTTP";
  lo.host = options.host;
  lo.port = options.port;
  lo.threads = options.threads;
  lo.max_request_bytes = options.max_request_bytes;
  lo.tls_cert = options.tls_cert;
  lo.tls_key = options.tls_key;
  FS_ASSIGN_OR_RETURN(std::unique_ptr<HttpListener> listener, HttpListener::create(lo));
  auto service = std::make_unique<HttpService>(manager, metrics, auth, options.max_request_bytes);
  service->install(listener->server());
  FS_RETURN_IF_ERROR(listener->start());
  return std::unique_ptr<HttpFrontend>(new HttpFrontend(std::move(service), std::move(listener)));
}

int HttpFrontend::port() const { return listener_->port(); }

void HttpFrontend::stop() {
  // The listener goes first: its workers call into the service.
  if (listener_) listener_->stop([this] { service_->wait_written(2000); });
}

MetricsFrontend::MetricsFrontend(std::unique_ptr<HttpListener> listener) : listener_(std::move(listener)) {}

MetricsFrontend::~MetricsFrontend() { stop(); }

Result<std::unique_ptr<MetricsFrontend>> MetricsFrontend::start(const std::string& host, int port,
                                                                MetricsRegistry& registry) {
  ListenerOptions lo;
  lo.what = "metrics";
  lo.host = host;
  lo.port = port;
  lo.threads = 4;  // scrapers are few; each keeps one connection (and thread) open
  lo.max_request_bytes = 1 << 16;
  FS_ASSIGN_OR_RETURN(std::unique_ptr<HttpListener> listener, HttpListener::create(lo));
  httplib::Server& server = listener->server();
  server.set_pre_routing_handler(
      httplib::Server::HandlerWithResponse([&registry](const httplib::Request& req, httplib::Response& res) {
        try {
          if (req.path != "/metrics") {
            res.status = 404;
            res.set_content(error_json("no route for " + req.method + " " + req.path + " (metrics are at /metrics)"),
                            "application/json");
          } else if (req.method != "GET" && req.method != "HEAD") {
            res.status = 405;
            res.set_header("Allow", "GET");
            res.set_content(error_json(req.method + " is not allowed on /metrics (use GET)"), "application/json");
          } else {
            res.status = 200;
            res.set_content(registry.render(), "text/plain; version=0.0.4");
          }
        } catch (const std::exception& e) {
          res.status = 500;
          res.set_content(error_json(std::string("internal error: ") + e.what()), "application/json");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  FS_RETURN_IF_ERROR(listener->start());
  return std::unique_ptr<MetricsFrontend>(new MetricsFrontend(std::move(listener)));
}

int MetricsFrontend::port() const { return listener_->port(); }

void MetricsFrontend::stop() {
  if (listener_) listener_->stop();
}

}  // namespace fastserve::serve
