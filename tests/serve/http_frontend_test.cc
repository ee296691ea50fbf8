// The HTTP front end in process: a ModelManager serving models/tiny_cnn.onnx
// and the Fashion-MNIST classifier, an HttpFrontend on a free port, driven
// with httplib::Client (and a raw socket where the connection itself matters).
#include "serve/http/http_frontend.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "serve/http/http_listener.h"  // httplib.h with the library's definitions

#ifndef FASTSERVE_SOURCE_DIR
#define FASTSERVE_SOURCE_DIR "."
#endif

namespace fastserve::serve {
namespace {

const std::string kSourceDir = FASTSERVE_SOURCE_DIR;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// An FP32 [n,1,28,28] JSON infer body for the tiny model, pixel i = (i % 8) / 8
// (exact in decimal, so JSON and binary requests carry the same values).
std::string tiny_json_body(int n, const std::string& id = "", bool binary_out = false) {
  std::string s = "{";
  if (!id.empty()) s += "\"id\":\"" + id + "\",";
  if (binary_out) s += "\"parameters\":{\"binary_data_output\":true},";
  s += "\"inputs\":[{\"name\":\"input\",\"shape\":[" + std::to_string(n) + ",1,28,28],\"datatype\":\"FP32\",\"data\":[";
  for (int i = 0; i < n * 784; ++i) {
    if (i > 0) s += ',';
    s += std::to_string(static_cast<float>(i % 8) / 8.f);
  }
  s += "]}]}";
  return s;
}

std::vector<float> floats_of(simdjson::dom::element data) {
  std::vector<float> v;
  for (simdjson::dom::element e : data.get_array()) v.push_back(static_cast<float>(e.get_double().value()));
  return v;
}

class HttpFrontendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new MetricsRegistry();
    metrics_ = new ServerMetrics(*registry_);
    ManagerOptions mo;
    mo.explicit_models = {{"tiny", kSourceDir + "/models/tiny_cnn.onnx"},
                          {"fashion", kSourceDir + "/models/fashion_mnist_cnn.onnx"}};
    mo.threads = 1;
    manager_ = new ModelManager(mo, *metrics_);
    Status s = manager_->load_all();
    ASSERT_TRUE(s.ok()) << s.to_string();
    HttpOptions ho;
    ho.host = "127.0.0.1";
    ho.port = 0;
    ho.threads = 4;
    ho.max_request_bytes = 1 << 20;
    auto fe = HttpFrontend::start(ho, *manager_, *metrics_, nullptr);
    ASSERT_TRUE(fe.ok()) << fe.status().to_string();
    frontend_ = std::move(fe).value().release();
  }
  static void TearDownTestSuite() {
    delete frontend_;
    delete manager_;
    delete metrics_;
    delete registry_;
    frontend_ = nullptr;
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", frontend_->port());
    c.set_read_timeout(30, 0);
    return c;
  }

  static MetricsRegistry* registry_;
  static ServerMetrics* metrics_;
  static ModelManager* manager_;
  static HttpFrontend* frontend_;
};
MetricsRegistry* HttpFrontendTest::registry_ = nullptr;
ServerMetrics* HttpFrontendTest::metrics_ = nullptr;
ModelManager* HttpFrontendTest::manager_ = nullptr;
HttpFrontend* HttpFrontendTest::frontend_ = nullptr;

std::string error_of(const httplib::Result& r) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(r->body).get(root)) return "<not JSON: " + r->body + ">";
  std::string_view e;
  if (root["error"].get(e)) return "<no error field: " + r->body + ">";
  return std::string(e);
}

// Sends `raw` on a fresh connection and returns the server's first answer
// (headers and Content-Length body), or what came before it closed or 2 s passed.
std::string raw_exchange(int port, const std::string& raw) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, raw.data(), raw.size(), 0) == static_cast<ssize_t>(raw.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
      got.append(buf, static_cast<size_t>(n));
      const size_t end = got.find("\r\n\r\n");
      const size_t cl = got.find("Content-Length: ");
      if (end != std::string::npos && cl != std::string::npos && cl < end &&
          got.size() >= end + 4 + std::stoul(got.substr(cl + 16)))
        break;
    }
  }
  close(fd);
  return got;
}

TEST_F(HttpFrontendTest, HealthAndServerMetadata) {
  auto c = client();
  for (const char* path : {"/v2/health/live", "/v2/health/ready", "/v2/models/tiny/ready", "/v2/models/tiny/versions/1/ready"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_TRUE(r->body.empty()) << path;
    EXPECT_FALSE(r->get_header_value("X-Request-ID").empty()) << path;
  }
  auto r = c.Get("/v2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(r->body.find("\"name\":\"fastserve\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"binary_tensor_data\""), std::string::npos) << r->body;
}

TEST_F(HttpFrontendTest, ModelReadyAnswers404ForUnknownAnd503ForMissingVersion) {
  auto c = client();
  auto r = c.Get("/v2/models/nope/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(error_of(r).find("nope"), std::string::npos);
  r = c.Get("/v2/models/tiny/versions/9/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(HttpFrontendTest, ModelMetadataConfigAndStats) {
  auto c = client();
  auto r = c.Get("/v2/models/tiny");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(R"("inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,28,28]}])"), std::string::npos)
      << r->body;
  r = c.Get("/v2/models/tiny/versions/1/config");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"name\":\"tiny\""), std::string::npos) << r->body;
  r = c.Get("/v2/models/stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"model_stats\":["), std::string::npos) << r->body;
  r = c.Get("/v2/models/tiny/stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"inference_stats\":{\"success\":{"), std::string::npos) << r->body;
  r = c.Get("/v2/models/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpFrontendTest, JsonInferEchoesIdAndSetsTimingHeaders) {
  auto c = client();
  auto r = c.Post("/v2/models/tiny/infer", tiny_json_body(2, "req-7"), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("X-Request-ID"), "req-7");
  const std::string timing = r->get_header_value("Server-Timing");
  EXPECT_EQ(timing.rfind("queue;dur=", 0), 0u) << timing;
  EXPECT_NE(timing.find(", compute;dur="), std::string::npos) << timing;
  EXPECT_NE(timing.find(", total;dur="), std::string::npos) << timing;
  simdjson::dom::parser p;
  simdjson::dom::element root = p.parse(r->body).value();
  EXPECT_EQ(std::string_view(root["id"].get_string().value()), "req-7");
  EXPECT_EQ(std::string_view(root["model_name"].get_string().value()), "tiny");
  EXPECT_EQ(std::string_view(root["model_version"].get_string().value()), "1");
  simdjson::dom::element out = root["outputs"].at(0).value();
  EXPECT_EQ(std::string_view(out["name"].get_string().value()), "logits");
  EXPECT_EQ(floats_of(out["data"].value()).size(), 20u);
}

TEST_F(HttpFrontendTest, BinaryInferMatchesJsonInfer) {
  auto c = client();
  auto rj = c.Post("/v2/models/tiny/infer", tiny_json_body(1), "application/json");
  ASSERT_TRUE(rj);
  ASSERT_EQ(rj->status, 200) << rj->body;
  simdjson::dom::parser p;
  const std::vector<float> want = floats_of(p.parse(rj->body).value()["outputs"].at(0)["data"].value());

  std::vector<float> pixels(784);
  for (int i = 0; i < 784; ++i) pixels[i] = static_cast<float>(i % 8) / 8.f;
  const std::string header =
      R"({"inputs":[{"name":"input","shape":[1,1,28,28],"datatype":"FP32","parameters":{"binary_data_size":3136}}],)"
      R"("outputs":[{"name":"logits","parameters":{"binary_data":true}}]})";
  std::string body = header;
  body.append(reinterpret_cast<const char*>(pixels.data()), pixels.size() * 4);
  httplib::Headers h = {{"Inference-Header-Content-Length", std::to_string(header.size())}};
  auto rb = c.Post("/v2/models/tiny/infer", h, body, "application/octet-stream");
  ASSERT_TRUE(rb);
  ASSERT_EQ(rb->status, 200) << rb->body;
  EXPECT_EQ(rb->get_header_value("Content-Type"), "application/octet-stream");
  const size_t json_size = std::stoul(rb->get_header_value("Inference-Header-Content-Length"));
  ASSERT_EQ(rb->body.size(), json_size + 40);
  EXPECT_NE(rb->body.substr(0, json_size).find("\"binary_data_size\":40"), std::string::npos);
  std::vector<float> got(10);
  std::memcpy(got.data(), rb->body.data() + json_size, 40);
  ASSERT_EQ(want.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << i;
}

TEST_F(HttpFrontendTest, ErrorsAreJsonWithTheRightStatus) {
  auto c = client();
  auto r = c.Get("/v2/nothing/here");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(error_of(r).find("/v2/nothing/here"), std::string::npos);
  EXPECT_FALSE(r->get_header_value("X-Request-ID").empty());

  r = c.Get("/v2/models/tiny/infer");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");

  r = c.Post("/v2/health/live", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);

  r = c.Post("/v2/models/nope/infer", tiny_json_body(1), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(error_of(r).find("nope"), std::string::npos);

  r = c.Post("/v2/models/tiny/infer", "{\"inputs\":[1 2]}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("at byte 13"), std::string::npos) << error_of(r);

  httplib::Headers bad_len = {{"Inference-Header-Content-Length", "abc"}};
  r = c.Post("/v2/models/tiny/infer", bad_len, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("Inference-Header-Content-Length"), std::string::npos);

  r = c.Post("/v2/models/tiny/infer", R"({"inputs":[{"name":"input","shape":[1,1,28,27],"datatype":"FP32","data":[]}]})",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("input"), std::string::npos);

  // Still serving on the same client afterwards.
  r = c.Post("/v2/models/tiny/infer", tiny_json_body(1), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpFrontendTest, BodyOverTheLimitIs413AndTheConnectionSurvives) {
  auto c = client();
  c.set_keep_alive(true);
  const std::string big(2 << 20, ' ');
  auto r = c.Post("/v2/models/tiny/infer", big, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(error_of(r).find("larger than"), std::string::npos) << r->body;
  r = c.Get("/v2/health/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpFrontendTest, ClassifyReturnsTheTopLabels) {
  auto c = client();
  const std::string png = read_file(kSourceDir + "/models/samples/sample_0_ankle_boot.png");
  ASSERT_FALSE(png.empty());
  auto r = c.Post("/v2/models/fashion/classify?topk=2", png, "image/png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  simdjson::dom::parser p;
  simdjson::dom::element root = p.parse(r->body).value();
  EXPECT_EQ(std::string_view(root["model"].get_string().value()), "fashion");
  simdjson::dom::array preds = root["predictions"].get_array().value();
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_EQ(preds.at(0)["index"].get_int64().value(), 9);
  EXPECT_EQ(std::string_view(preds.at(0)["label"].get_string().value()), "Ankle boot");
  EXPECT_FALSE(r->get_header_value("Server-Timing").empty());

  r = c.Post("/v2/models/fashion/classify?topk=0", png, "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("topk"), std::string::npos);
  r = c.Post("/v2/models/fashion/classify", "not an image", "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpFrontendTest, RepositoryIndexListsTheModels) {
  auto c = client();
  for (const char* body : {"", "{\"ready\":true}"}) {
    auto r = c.Post("/v2/repository/index", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find(R"({"name":"tiny","version":"1","state":"READY","reason":""})"), std::string::npos)
        << r->body;
  }
  // No Content-Length at all (curl -X POST without data): an empty body, at once.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string raw = raw_exchange(frontend_->port(), "POST /v2/repository/index HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  auto r = c.Post("/v2/repository/index", "{\"ready\":3}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// One TCP connection, many requests: keep-alive must not stop at
// cpp-httplib's default of 5.
TEST_F(HttpFrontendTest, KeepAliveServesManyRequestsOnOneConnection) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(frontend_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string pending;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size())) << "request " << i;
    // Read one whole response (empty body: it ends with the blank line).
    while (pending.find("\r\n\r\n") == std::string::npos) {
      char buf[4096];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      ASSERT_GT(n, 0) << "the server closed the connection after " << i << " requests";
      pending.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(pending.rfind("HTTP/1.1 200", 0), 0u) << pending;
    EXPECT_EQ(pending.find("Connection: close"), std::string::npos) << pending;
    pending.erase(0, pending.find("\r\n\r\n") + 4);
  }
  close(fd);
}

TEST_F(HttpFrontendTest, MalformedHttpGetsAJson400AndServingGoesOn) {
  const std::string got = raw_exchange(frontend_->port(), "BLAH\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_NE(got.find("{\"error\":"), std::string::npos) << got;
  EXPECT_NE(got.find("X-Request-ID: "), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  const std::string put = raw_exchange(frontend_->port(), "PUT /v2/models/tiny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(put.rfind("HTTP/1.1 405", 0), 0u) << put;
  auto c = client();
  auto r = c.Get("/v2/health/live");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpFrontendTest, ClientRequestIdIsEchoed) {
  auto c = client();
  httplib::Headers h = {{"X-Request-ID", "client-42"}};
  auto r = c.Get("/v2/models/nope", h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("X-Request-ID"), "client-42");
  httplib::Headers tp = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  r = c.Get("/v2/health/live", tp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("X-Request-ID"), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_F(HttpFrontendTest, CountsRequestsInMetrics) {
  const double before = metrics_->http_requests_total.value();
  auto c = client();
  ASSERT_TRUE(c.Get("/v2/health/live"));
  ASSERT_TRUE(c.Get("/v2/nothing"));
  EXPECT_EQ(metrics_->http_requests_total.value() - before, 2.0);
  EXPECT_EQ(metrics_->inflight.value(), 0.0);
}

TEST_F(HttpFrontendTest, SecondBindOnTheSamePortFailsNamingIt) {
  HttpOptions ho;
  ho.host = "127.0.0.1";
  ho.port = frontend_->port();
  auto again = HttpFrontend::start(ho, *manager_, *metrics_, nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("127.0.0.1:" + std::to_string(frontend_->port())), std::string::npos)
      << again.status().message();
}

TEST_F(HttpFrontendTest, StopDoesNotWaitForIdleKeepAliveConnections) {
  HttpOptions ho;
  ho.host = "127.0.0.1";
  ho.port = 0;
  auto fe = HttpFrontend::start(ho, *manager_, *metrics_, nullptr);
  ASSERT_TRUE(fe.ok()) << fe.status().to_string();
  httplib::Client c("127.0.0.1", (*fe)->port());
  c.set_keep_alive(true);
  auto r = c.Get("/v2/health/live");
  ASSERT_TRUE(r);
  const auto t0 = std::chrono::steady_clock::now();
  (*fe)->stop();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 2.0) << "stop() waited for the idle connection";
}

TEST_F(HttpFrontendTest, AuthenticationGuardsEverythingButHealth) {
  auto auth = Authenticator::from_text("good-key name=alice\n# one request per 100 s: the second is always refused\nslow-key name=bob rate=0.01 burst=1\n", "test keys");
  ASSERT_TRUE(auth.ok()) << auth.status().to_string();
  HttpOptions ho;
  ho.host = "127.0.0.1";
  ho.port = 0;
  auto fe = HttpFrontend::start(ho, *manager_, *metrics_, auth->get());
  ASSERT_TRUE(fe.ok()) << fe.status().to_string();
  httplib::Client c("127.0.0.1", (*fe)->port());
  const double failures = metrics_->auth_failures.value();
  const double limited = metrics_->rate_limited.value();

  auto r = c.Get("/v2/health/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Post("/v2/models/tiny/infer", tiny_json_body(1), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_FALSE(error_of(r).empty());
  r = c.Get("/v2/models/tiny", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(metrics_->auth_failures.value() - failures, 2.0);

  r = c.Get("/v2/models/tiny", {{"Authorization", "Bearer good-key"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Post("/v2/models/tiny/infer", {{"X-API-Key", "good-key"}}, tiny_json_body(1), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  r = c.Get("/v2/models/tiny", {{"X-API-Key", "slow-key"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/v2/models/tiny", {{"X-API-Key", "slow-key"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  const std::string retry = r->get_header_value("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 100);
  EXPECT_EQ(metrics_->rate_limited.value() - limited, 1.0);
}

TEST_F(HttpFrontendTest, HttpsNeedsReadableCertificateAndKey) {
  HttpOptions ho;
  ho.host = "127.0.0.1";
  ho.port = 0;
  ho.tls_cert = kSourceDir + "/no/such/cert.pem";
  auto half = HttpFrontend::start(ho, *manager_, *metrics_, nullptr);
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("both"), std::string::npos) << half.status().message();
  ho.tls_key = kSourceDir + "/no/such/key.pem";
  auto missing = HttpFrontend::start(ho, *manager_, *metrics_, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no/such/cert.pem"), std::string::npos) << missing.status().message();
}

TEST(MetricsFrontend, ServesTheRegistry) {
  MetricsRegistry registry;
  registry.counter("fastserve_test_total", "a test counter").inc(3);
  auto fe = MetricsFrontend::start("127.0.0.1", 0, registry);
  ASSERT_TRUE(fe.ok()) << fe.status().to_string();
  httplib::Client c("127.0.0.1", (*fe)->port());
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_NE(r->body.find("fastserve_test_total 3"), std::string::npos) << r->body;
  r = c.Get("/other");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace fastserve::serve
