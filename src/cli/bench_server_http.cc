// The HTTP side of `bench --server` (bench_server_transport.h): the v2
// metadata GET and the infer POST, one keep-alive httplib::Client per client
// thread. The request body is built once and shared read-only.
#include <fmt/format.h>
#include <httplib.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <memory>
#include <string>

#include "cli/bench_server_transport.h"

namespace fastserve::cli {
namespace {

// Connecting should be quick on any network a benchmark runs on; a long wait
// means nothing is listening, so the connect deadline is capped below --timeout.
constexpr double kMaxConnectTimeoutS = 5;
constexpr size_t kMaxMessageChars = 200;

// Percent-encodes a path segment (RFC 3986 unreserved characters stay).
std::string encode_segment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The server's error text: the "error" field of a v2 JSON error body, else
// the body itself, on one line and clipped.
std::string error_text(const std::string& body) {
  std::string text = body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view msg;
  if (parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS &&
      doc["error"].get_string().get(msg) == simdjson::SUCCESS) {
    text = std::string(msg);
  }
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (text.size() > kMaxMessageChars) text = text.substr(0, kMaxMessageChars) + "...";
  return text;
}

// httplib's own names for these are terse ("Connection", "Read").
std::string transport_error(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::ConnectionTimeout: return "connect timed out";
    case httplib::Error::Read: return "read failed or timed out";
    case httplib::Error::Write: return "write failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "TLS certificate verification failed";
    default: return httplib::to_string(e);
  }
}

std::string with_detail(std::string_view head, const std::string& detail) {
  return detail.empty() ? std::string(head) : fmt::format("{}: {}", head, detail);
}

void set_timeouts(httplib::Client& cli, double timeout_s) {
  const auto to_us = [](double s) { return std::chrono::microseconds(static_cast<int64_t>(s * 1e6)); };
  cli.set_connection_timeout(to_us(std::min(timeout_s, kMaxConnectTimeoutS)));
  cli.set_read_timeout(to_us(timeout_s));
  cli.set_write_timeout(to_us(timeout_s));
}

// What every client sends, built once by prepare().
struct HttpRequest {
  std::string path;
  httplib::Headers headers;
  std::string body;
  std::string content_type;
  bool binary = true;
};

class HttpBenchClient final : public BenchClient {
 public:
  HttpBenchClient(std::unique_ptr<httplib::Client> cli, std::shared_ptr<const HttpRequest> request)
      : cli_(std::move(cli)), request_(std::move(request)) {}

  CallOutcome infer() override {
    CallOutcome o;
    try {
      const httplib::Result res = cli_->Post(request_->path, request_->headers, request_->body, request_->content_type);
      if (!res) {
        o.reason = "HTTP transport: " + transport_error(res.error());
        return o;
      }
      if (res->status != 200) {
        o.reason = fmt::format("HTTP {}", res->status);
        o.message = error_text(res->body);
        return o;
      }
      if (!body_is_well_formed(*res, &o.message)) {
        o.reason = "bad response";
        return o;
      }
      o.ok = true;
      if (res->has_header("Server-Timing")) o.timing = parse_server_timing(res->get_header_value("Server-Timing"));
    } catch (const std::exception& e) {
      o.ok = false;
      o.reason = "HTTP client error";
      o.message = e.what();
    }
    return o;
  }

 private:
  // A cheap sanity check, not a decode: the JSON part is there and the
  // binary part is as long as the header says it is at least.
  bool body_is_well_formed(const httplib::Response& res, std::string* why) const {
    size_t json_size = res.body.size();
    if (res.has_header("Inference-Header-Content-Length")) {
      const std::string v = res.get_header_value("Inference-Header-Content-Length");
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), json_size);
      if (ec != std::errc() || end != v.data() + v.size() || json_size > res.body.size()) {
        *why = fmt::format("Inference-Header-Content-Length '{}' does not fit a {}-byte body", v, res.body.size());
        return false;
      }
    }
    if (json_size == 0 || res.body.front() != '{') {
      *why = "the body does not start with a JSON object";
      return false;
    }
    return true;
  }

  std::unique_ptr<httplib::Client> cli_;
  std::shared_ptr<const HttpRequest> request_;
};

class HttpTransport final : public BenchTransport {
 public:
  HttpTransport(const ServerUrl& url, const ServerBenchOptions& options) : url_(url), options_(options) {
    model_path_ = "/v2/models/" + encode_segment(options.model);
    // Identity encoding: a server that compresses answers when asked
    // (Triton does) would otherwise benchmark zlib.
    base_headers_.emplace("Accept-Encoding", "identity");
    if (!options.api_key.empty()) base_headers_.emplace("Authorization", "Bearer " + options.api_key);
  }

  Result<ModelSpec> fetch_metadata() override {
    try {
      std::unique_ptr<httplib::Client> cli = new_client();
      const httplib::Result res = cli->Get(model_path_, base_headers_);
      if (!res) {
        return Status(StatusCode::kUnavailable,
                      fmt::format("cannot reach {}: {}", url_.http_origin(), transport_error(res.error())));
      }
      const std::string what = fmt::format("{} model '{}'", url_.http_origin(), options_.model);
      const std::string detail = error_text(res->body);
      switch (res->status) {
        case 200: {
          Result<ModelSpec> spec = parse_model_metadata_json(res->body);
          if (!spec.ok()) return spec.status().with_context(what);
          return spec;
        }
        case 404:
          return not_found(with_detail(fmt::format("{}: no such model on the server (HTTP 404)", what), detail));
        case 401:
        case 403:
          return invalid_argument(
              with_detail(fmt::format("{}: the server refused the API key (HTTP {}; see --api-key)", what, res->status),
                          detail));
        default:
          return Status(StatusCode::kUnavailable,
                        with_detail(fmt::format("{}: metadata request failed (HTTP {})", what, res->status), detail));
      }
    } catch (const std::exception& e) {
      return Status(StatusCode::kUnavailable, fmt::format("{}: {}", url_.http_origin(), e.what()));
    }
  }

  Status prepare(const std::vector<BenchTensor>& inputs) override {
    auto req = std::make_shared<HttpRequest>();
    req->path = model_path_ + "/infer";
    req->headers = base_headers_;
    req->binary = !options_.json_data;
    size_t json_size = 0;
    req->body = make_http_infer_body(inputs, req->binary, &json_size);
    if (req->binary) {
      req->headers.emplace("Inference-Header-Content-Length", std::to_string(json_size));
      req->content_type = "application/octet-stream";
    } else {
      req->content_type = "application/json";
    }
    request_ = std::move(req);
    return ok_status();
  }

  std::unique_ptr<BenchClient> make_client() override {
    return std::make_unique<HttpBenchClient>(new_client(), request_);
  }

 private:
  std::unique_ptr<httplib::Client> new_client() const {
    // The origin comes from parse_server_url, so httplib's own parse of it cannot fail.
    auto cli = std::make_unique<httplib::Client>(url_.http_origin());
    cli->set_keep_alive(true);
    cli->set_tcp_nodelay(true);
    cli->set_decompress(false);
    set_timeouts(*cli, options_.timeout_s);
    return cli;
  }

  ServerUrl url_;
  ServerBenchOptions options_;
  std::string model_path_;
  httplib::Headers base_headers_;
  std::shared_ptr<const HttpRequest> request_;
};

}  // namespace

std::unique_ptr<BenchTransport> make_http_transport(const ServerUrl& url, const ServerBenchOptions& options) {
  return std::make_unique<HttpTransport>(url, options);
}

}  // namespace fastserve::cli
