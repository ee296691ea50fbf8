// The v2 HTTP routes: dispatch, authentication, body reading and the
// per-request bookkeeping (http_service.h). The request path allocates the
// body buffer, the decoded tensors and the one response string; routing is a
// split of the target, headers are looked up in place.
#include "serve/http/http_service.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <string_view>

#include "serve/http/http_classify.h"
#include "serve/http/http_route.h"
#include "serve/http/utf8.h"
#include "serve/http/v2_json.h"
#include "serve/http/v2_server_json.h"
#include "serve/model_config.h"
#include "serve/request_log.h"

namespace fastserve::serve {

namespace {

// Header names as std::string once: cpp-httplib's header map is keyed by
// std::string, and a literal would build a temporary per lookup.
const std::string kAuthorization = "Authorization";
const std::string kApiKey = "X-API-Key";
const std::string kXRequestId = "X-Request-ID";
const std::string kTraceparent = "traceparent";
const std::string kContentLength = "Content-Length";
const std::string kTransferEncoding = "Transfer-Encoding";
const std::string kInferenceHeaderLength = "Inference-Header-Content-Length";
const std::string kContentType = "Content-Type";
const std::string kJson = "application/json";
const std::string kOctetStream = "application/octet-stream";

constexpr size_t kChunkedInitialBytes = size_t{64} << 10;

std::string_view header_view(const httplib::Request& req, const std::string& name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string_view() : std::string_view(it->second);
}

bool parse_size(std::string_view text, size_t* out) {
  if (text.empty()) return false;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The request body in 64-byte aligned memory, placed so that the byte at
// `align_at` (where binary tensor data starts) is itself 64-byte aligned,
// with kJsonPadding readable bytes after the end for simdjson.
struct BodyBuffer {
  std::shared_ptr<char> storage;
  char* data = nullptr;
  size_t size = 0;
  size_t capacity = 0;
  size_t front = 0;

  bool allocate(size_t want) {
    const size_t total = (front + want + kJsonPadding + 63) / 64 * 64;
    char* p = static_cast<char*>(std::aligned_alloc(64, total));
    if (p == nullptr) return false;
    std::shared_ptr<char> fresh(p, [](char* q) { std::free(q); });
    if (size > 0) std::memcpy(p + front, data, size);
    storage = std::move(fresh);
    data = p + front;
    capacity = want;
    std::memset(data + capacity, 0, total - front - capacity);
    return true;
  }
  bool append(const char* d, size_t n) {
    if (size + n > capacity && !allocate(std::max(capacity * 2, size + n))) return false;
    std::memcpy(data + size, d, n);
    size += n;
    return true;
  }
};

// Lowers the inflight gauge however the call leaves.
class InflightGuard {
 public:
  explicit InflightGuard(Gauge& g) : g_(g) { g_.inc(); }
  ~InflightGuard() { g_.dec(); }
  InflightGuard(const InflightGuard&) = delete;
  InflightGuard& operator=(const InflightGuard&) = delete;
 private:
  Gauge& g_;
};

}  // namespace

struct HttpExchange {
  HttpExchange(const httplib::Request& rq, httplib::Response& rs) : req(rq), res(rs) {}
  const httplib::Request& req;
  httplib::Response& res;
  Clock::time_point start = Clock::now();
  Route route;
  std::string protocol_id;  // the infer request's JSON id
  std::string version;      // the version that served it (for the log)
  std::string error;        // message of a failed request
  bool timed = false;       // add Server-Timing
  InferTiming timing;
  BodyBuffer body;
  size_t json_size = 0;     // Inference-Header-Content-Length, else body.size
};

namespace {

void reply(HttpExchange& ex, int status, std::string body, const std::string& content_type) {
  ex.res.status = status;
  ex.res.body = std::move(body);
  ex.res.set_header(kContentType, content_type);
}

void reply_empty(HttpExchange& ex, int status) {
  ex.res.status = status;
  ex.res.body.clear();
}

void fail(HttpExchange& ex, int status, std::string message) {
  if (status == 429 && !ex.res.has_header("Retry-After")) ex.res.set_header("Retry-After", "1");
  reply(ex, status, error_json(message), kJson);
  ex.error = std::move(message);
}

void fail(HttpExchange& ex, const Status& s) { fail(ex, http_status_for(s), s.message()); }

// Whether a body follows the headers that nobody has read yet.
bool body_pending(const httplib::Request& req, const httplib::ContentReader* reader) {
  if (reader == nullptr) return false;
  size_t n = 0;
  if (parse_size(header_view(req, kContentLength), &n)) return n > 0;
  return !header_view(req, kTransferEncoding).empty();
}

// Before answering a request early: read and drop its unread body, so that
// the next request on the connection parses and the client, which sends its
// whole body before reading, is not reset mid-send. (cpp-httplib skips a body
// over the size limit without handing it to us.) Close the connection if
// even that fails.
void discard_body(HttpExchange& ex, const httplib::ContentReader* reader) {
  if (!body_pending(ex.req, reader)) return;
  if (!(*reader)([](const char*, size_t) { return true; })) ex.res.set_header("Connection", "close");
}

}  // namespace

HttpService::HttpService(ModelManager& manager, ServerMetrics& metrics, Authenticator* auth, size_t max_request_bytes)
    : manager_(manager),
      metrics_(metrics),
      auth_(auth),
      max_request_bytes_(max_request_bytes),
      classifier_(std::make_unique<Classifier>(manager)) {}

HttpService::~HttpService() = default;

void HttpService::install(httplib::Server& server) {
  // Everything but POST is answered before cpp-httplib looks at its regex
  // routes; POST goes to one catch-all route (the only one), which hands us
  // the body reader so the body lands once, aligned, in our own buffer.
  server.set_pre_routing_handler(
      httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
        if (req.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
        handle(req, res, nullptr);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.Post(".*", httplib::Server::HandlerWithContentReader(
                        [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) { handle(req, res, &reader); }));
  server.Post(".*", httplib::Server::Handler(
                        [this](const httplib::Request& req, httplib::Response& res) { handle(req, res, nullptr); }));
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
        return handle_library_error(req, res) ? httplib::Server::HandlerResponse::Handled
                                              : httplib::Server::HandlerResponse::Unhandled;
      }));
  // Runs once a response is written; ours all carry X-Request-ID (finish()).
  server.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (res.has_header(kXRequestId)) unwritten_.fetch_sub(1);
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(error_json("internal error"), kJson.c_str());
  });
}

void HttpService::handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader) {
  HttpExchange ex(req, res);
  metrics_.http_requests_total.inc();
  try {
    dispatch(ex, reader);
  } catch (const std::exception& e) {
    fail(ex, 500, std::string("internal error: ") + e.what());
  } catch (...) {
    fail(ex, 500, "internal error");
  }
  try {
    finish(ex);
  } catch (...) {
    // Logging failed (out of memory); the answer itself is complete.
  }
}

bool HttpService::handle_library_error(const httplib::Request& req, httplib::Response& res) {
  if (res.has_header(kXRequestId)) return false;  // one of ours, already complete
  try {
    HttpExchange ex(req, res);
    metrics_.http_requests_total.inc();
    const int status = res.status;
    // After a request cpp-httplib could not parse, the stream position is
    // doubtful: ask the client to reconnect.
    if (status == 400 || status == 414) res.set_header("Connection", "close");
    std::string msg;
    switch (status) {
      case 400: msg = "malformed HTTP request"; break;
      case 404: msg = "no route for " + req.method + " " + req.path; break;
      case 413: msg = "the request body is larger than " + std::to_string(max_request_bytes_) + " bytes"; break;
      case 414: msg = "the request URI is too long"; break;
      default: msg = "HTTP error " + std::to_string(status); break;
    }
    fail(ex, status, std::move(msg));
    finish(ex);
  } catch (...) {
    return false;
  }
  return true;
}

void HttpService::finish(HttpExchange& ex) {
  const std::string id =
      choose_request_id(ex.protocol_id, header_view(ex.req, kXRequestId), header_view(ex.req, kTraceparent));
  ex.res.set_header(kXRequestId, id);
  unwritten_.fetch_add(1);
  const double total_ms = ms_between(ex.start, Clock::now());
  const double queue_ms = static_cast<double>(ex.timing.queue_us) / 1000.0;
  const double compute_ms = static_cast<double>(ex.timing.compute_us) / 1000.0;
  if (ex.timed) {
    ex.res.set_header("Server-Timing",
                      fmt::format("queue;dur={:.3f}, compute;dur={:.3f}, total;dur={:.3f}", queue_ms, compute_ms, total_ms));
  }
  // No peer before cpp-httplib has parsed the request (its own errors).
  const std::string peer =
      ex.req.remote_addr.empty() ? std::string() : ex.req.remote_addr + ":" + std::to_string(ex.req.remote_port);
  // Method and path are the client's bytes; the log is JSON, so UTF-8 only.
  std::string method_fixed, path_fixed, error_fixed;
  std::string_view method = ex.req.method, path = ex.req.path, error = ex.error;
  if (!is_valid_utf8(method)) method = method_fixed = sanitize_utf8(method);
  if (!is_valid_utf8(path)) path = path_fixed = sanitize_utf8(path);
  if (!is_valid_utf8(error)) error = error_fixed = sanitize_utf8(error);
  AccessRecord rec;
  rec.protocol = "http";
  rec.method = method;
  rec.path = path;
  rec.request_id = id;
  rec.model = ex.route.model;
  rec.version = ex.version.empty() ? std::string_view(ex.route.version) : std::string_view(ex.version);
  rec.peer = peer;
  rec.status = ex.res.status;
  rec.total_ms = total_ms;
  rec.queue_ms = queue_ms;
  rec.compute_ms = compute_ms;
  rec.bytes_in = ex.body.size;
  rec.bytes_out = ex.res.body.size();
  rec.error = error;
  log_access(rec);
}

bool HttpService::authorized(HttpExchange& ex, const httplib::ContentReader* reader) {
  if (auth_ == nullptr || ex.route.kind == RouteKind::kHealthLive || ex.route.kind == RouteKind::kHealthReady)
    return true;
  const AuthDecision d = auth_->check(header_view(ex.req, kAuthorization), header_view(ex.req, kApiKey));
  switch (d.outcome) {
    case AuthDecision::Outcome::kAllowed:
      return true;
    case AuthDecision::Outcome::kUnauthenticated:
      metrics_.auth_failures.inc();
      discard_body(ex, reader);
      ex.res.set_header("WWW-Authenticate", "Bearer");
      fail(ex, 401, "a valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>)");
      return false;
    case AuthDecision::Outcome::kRateLimited: {
      metrics_.rate_limited.inc();
      discard_body(ex, reader);
      // Whole seconds, at least 1 (RFC 9110 10.2.3), capped so a tiny rate
      // cannot produce an absurd (or infinite) value.
      const double wait = std::min(3600.0, std::max(1.0, std::ceil(d.retry_after_s)));
      ex.res.set_header("Retry-After", std::to_string(static_cast<long long>(wait)));
      fail(ex, 429, "rate limit exceeded for API key '" + d.key_name + "'");
      return false;
    }
  }
  return true;
}

bool HttpService::read_body(HttpExchange& ex, const httplib::ContentReader* reader) {
  size_t expected = 0;
  const bool known = parse_size(header_view(ex.req, kContentLength), &expected);
  // Over the limit: cpp-httplib skips the body and the reader reports 413.
  if (known && expected > max_request_bytes_) expected = 0;
  const bool chunked = !known && !header_view(ex.req, kTransferEncoding).empty();
  const size_t initial = known ? expected : (chunked ? kChunkedInitialBytes : ex.req.body.size());
  // Place the body so that binary tensor data starts 64-byte aligned and can
  // be wrapped rather than copied.
  size_t json_hint = 0;
  const std::string_view ihcl = header_view(ex.req, kInferenceHeaderLength);
  if (!parse_size(ihcl, &json_hint)) json_hint = 0;
  ex.body.front = (64 - json_hint % 64) % 64;
  if (!ex.body.allocate(initial)) {
    ex.res.set_header("Connection", "close");
    fail(ex, 503, "out of memory for the request body");
    return false;
  }
  // A request with neither Content-Length nor Transfer-Encoding has no body
  // (RFC 9112 6.3); cpp-httplib's reader would wait for the connection to
  // close instead, so it is not asked.
  if (reader != nullptr && body_pending(ex.req, reader)) {
    bool too_big = false;
    bool no_memory = false;
    const bool ok = (*reader)([&](const char* d, size_t n) {
      if (ex.body.size + n > max_request_bytes_) {
        too_big = true;
        return false;
      }
      if (!ex.body.append(d, n)) {
        no_memory = true;
        return false;
      }
      return true;
    });
    if (!ok) {
      if (ex.res.status != 413) ex.res.set_header("Connection", "close");  // the rest of the body is unread
      if (too_big || ex.res.status == 413) {
        fail(ex, 413, "the request body is larger than " + std::to_string(max_request_bytes_) + " bytes");
      } else if (no_memory) {
        fail(ex, 503, "out of memory for the request body");
      } else {
        fail(ex, 400, "could not read the request body");
      }
      return false;
    }
  } else if (!ex.req.body.empty() && !ex.body.append(ex.req.body.data(), ex.req.body.size())) {
    fail(ex, 503, "out of memory for the request body");
    return false;
  }
  ex.json_size = ex.body.size;
  if (!ihcl.empty()) {
    Result<size_t> n = parse_inference_header_length(ihcl, ex.body.size);
    if (!n.ok()) {
      fail(ex, 400, n.status().message());
      return false;
    }
    ex.json_size = *n;
  }
  return true;
}

void HttpService::dispatch(HttpExchange& ex, const httplib::ContentReader* reader) {
  ex.route = match_route(ex.req.target);
  if (ex.route.kind == RouteKind::kNotFound) {
    discard_body(ex, reader);
    fail(ex, 404, "no route for " + ex.req.method + " " + ex.req.path);
    return;
  }
  const std::string_view method = ex.req.method == "HEAD" ? std::string_view("GET") : std::string_view(ex.req.method);
  const char* wanted = route_method(ex.route.kind);
  if (method != wanted) {
    discard_body(ex, reader);
    ex.res.set_header("Allow", wanted);
    fail(ex, 405, ex.req.method + " is not allowed on " + ex.req.path + " (use " + wanted + ")");
    return;
  }
  if (!authorized(ex, reader)) return;
  if (method == "GET") {
    discard_body(ex, reader);
    serve_get(ex);
    return;
  }
  if (!read_body(ex, reader)) return;
  switch (ex.route.kind) {
    case RouteKind::kModelInfer: serve_infer(ex); return;
    case RouteKind::kModelClassify: serve_classify(ex); return;
    default: serve_repository(ex); return;
  }
}

void HttpService::serve_get(HttpExchange& ex) {
  const Route& r = ex.route;
  switch (r.kind) {
    case RouteKind::kServerMetadata: {
      static const std::string kMetadata = server_metadata_json();
      reply(ex, 200, kMetadata, kJson);
      return;
    }
    case RouteKind::kHealthLive:
      reply_empty(ex, manager_.server_live() ? 200 : 503);
      return;
    case RouteKind::kHealthReady:
      reply_empty(ex, manager_.server_ready() ? 200 : 503);
      return;
    case RouteKind::kModelReady:
      serve_model_ready(ex);
      return;
    case RouteKind::kModelMetadata: {
      Result<ModelMetadata> m = manager_.metadata(r.model, r.version);
      if (!m.ok()) return fail(ex, m.status());
      reply(ex, 200, model_metadata_json(*m), kJson);
      return;
    }
    case RouteKind::kModelConfig: {
      Result<ModelConfig> c = manager_.config(r.model, r.version);
      if (!c.ok()) return fail(ex, c.status());
      reply(ex, 200, model_config_to_json(*c), kJson);
      return;
    }
    case RouteKind::kModelStats:
    case RouteKind::kAllModelStats: {
      Result<std::vector<ModelStatistics>> s = manager_.statistics(r.model, r.version);
      if (!s.ok()) return fail(ex, s.status());
      reply(ex, 200, model_statistics_json(*s), kJson);
      return;
    }
    default:
      fail(ex, 500, "route without a GET handler");
      return;
  }
}

void HttpService::serve_model_ready(HttpExchange& ex) {
  const Route& r = ex.route;
  if (manager_.model_ready(r.model, r.version)) return reply_empty(ex, 200);
  // Not ready: 503 for a model the server knows, 404 for one it does not.
  for (const RepositoryEntry& e : manager_.repository_index(false)) {
    if (e.name == r.model) return reply_empty(ex, 503);
  }
  fail(ex, 404, "unknown model '" + r.model + "'");
}

void HttpService::serve_infer(HttpExchange& ex) {
  InferBody body;
  body.data = ex.body.data;
  body.size = ex.body.size;
  body.json_size = ex.json_size;
  body.padded = true;
  body.owner = ex.body.storage;
  DecodedInferRequest decoded;
  decoded.request.arrival = ex.start;
  if (Status s = decode_infer_request(body, &decoded); !s.ok()) return fail(ex, 400, s.message());
  ex.protocol_id = decoded.request.id;
  decoded.request.model = ex.route.model;
  decoded.request.version = ex.route.version;
  // infer() takes the request; the output names are still needed to encode.
  std::vector<std::string> outputs = decoded.request.outputs;
  Result<InferResponse> result = [&] {
    InflightGuard inflight(metrics_.inflight);
    return manager_.infer(std::move(decoded.request));
  }();
  decoded.request.outputs = std::move(outputs);
  if (!result.ok()) return fail(ex, result.status());
  const InferResponse& response = *result;
  ex.version = response.version;
  ex.timing = response.timing;
  ex.timed = true;

  std::string out;
  size_t json_size = 0;
  if (Status s = encode_infer_response(response, decoded, &out, &json_size); !s.ok()) return fail(ex, 500, s.message());
  bool binary = false;
  for (const NamedTensor& t : response.outputs) binary = binary || output_is_binary(decoded, t.name);
  if (binary) {
    ex.res.set_header(kInferenceHeaderLength, std::to_string(json_size));
    reply(ex, 200, std::move(out), kOctetStream);
  } else {
    reply(ex, 200, std::move(out), kJson);
  }
}

void HttpService::serve_classify(HttpExchange& ex) {
  ClassifyCall call;
  call.model = ex.route.model;
  call.version = ex.route.version;
  call.image = ex.body.data;
  call.image_size = ex.body.size;
  call.arrival = ex.start;
  std::string topk;
  if (ex.req.has_param("topk")) topk = ex.req.get_param_value("topk");
  call.topk = topk;
  ClassifyResult result;
  Status s;
  {
    InflightGuard inflight(metrics_.inflight);
    s = classifier_->classify(call, &result);
  }
  if (!s.ok()) return fail(ex, s);
  ex.version = result.version;
  ex.timing = result.timing;
  ex.timed = true;
  reply(ex, 200, std::move(result.body), kJson);
}

void HttpService::serve_repository(HttpExchange& ex) {
  const std::string_view body(ex.body.data, ex.body.size);
  switch (ex.route.kind) {
    case RouteKind::kRepositoryIndex: {
      Result<bool> ready = parse_repository_index_request(body);
      if (!ready.ok()) return fail(ex, 400, ready.status().message());
      reply(ex, 200, repository_index_json(manager_.repository_index(*ready)), kJson);
      return;
    }
    case RouteKind::kRepositoryLoad: {
      Result<std::string> config = parse_load_request(body);
      if (!config.ok()) return fail(ex, 400, config.status().message());
      if (Status s = manager_.load(ex.route.model, *config); !s.ok()) return fail(ex, s);
      reply(ex, 200, "{}", kJson);
      return;
    }
    case RouteKind::kRepositoryUnload: {
      if (Status s = parse_unload_request(body); !s.ok()) return fail(ex, 400, s.message());
      if (Status s = manager_.unload(ex.route.model); !s.ok()) return fail(ex, s);
      reply(ex, 200, "{}", kJson);
      return;
    }
    default:
      fail(ex, 500, "route without a POST handler");
      return;
  }
}

void HttpService::wait_written(int64_t timeout_ms) const {
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (unwritten_.load() > 0 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace fastserve::serve
