// `fastserve bench --server` under load: the loop against small fake HTTP
// and gRPC servers started in the test (what bench sends, what it counts,
// timeouts, the open loop's schedule-based latency), and the flag checks
// through the binary.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "cli/bench_server.h"
#include "grpc_service.grpc.pb.h"
#include "tests/cli/cli_harness.h"

namespace fastserve::cli {
namespace {

using std::chrono::steady_clock;

// --- the load loop against a fake HTTP server -------------------------------------------

constexpr char kMetadata[] =
    R"({"name":"tiny","versions":["1"],"platform":"onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,4,4]}],"outputs":[{"name":"y","datatype":"FP32","shape":[-1,2]}]})";

// A KServe v2 look-alike: checks what bench sends, answers with Server-Timing.
class FakeHttpServer {
 public:
  std::function<void()> infer_delay;                // runs before each answer
  std::function<int(int64_t)> status_for = nullptr;  // request number -> HTTP status (default 200)
  std::string expected_auth;                         // "" = no check

  FakeHttpServer() {
    svr_.Get("/v2/models/tiny", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kMetadata, "application/json");
    });
    svr_.Get("/v2/models/(.*)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"error":"unknown model"})", "application/json");
    });
    svr_.Post("/v2/models/tiny/infer", [this](const httplib::Request& req, httplib::Response& res) {
      const int64_t n = received.fetch_add(1);
      {
        std::lock_guard<std::mutex> lock(mu_);
        remote_ports.insert(req.remote_port);
      }
      if (!request_is_valid(req)) malformed.fetch_add(1);
      if (infer_delay) infer_delay();
      const int status = status_for ? status_for(n) : 200;
      if (status != 200) {
        res.status = status;
        res.set_content(R"({"error":"busy"})", "application/json");
        return;
      }
      res.set_header("Server-Timing", "queue;dur=0.250, compute;dur=1.500, total;dur=2.000");
      const std::string json = R"({"model_name":"tiny","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":8}}]})";
      res.set_header("Inference-Header-Content-Length", std::to_string(json.size()));
      res.set_content(json + std::string(8, '\0'), "application/octet-stream");
    });
    // httplib closes a keep-alive connection after 5 requests by default;
    // the count of connections below would then measure that, not bench.
    svr_.set_keep_alive_max_count(1000000);
    // Without it, Nagle's algorithm holds the body behind the headers until the
    // client's delayed ACK (~40 ms on Linux): every answer would wait for it.
    svr_.set_tcp_nodelay(true);
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHttpServer() {
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return remote_ports.size();
  }

  std::atomic<int64_t> received{0};
  std::atomic<int64_t> malformed{0};
  std::atomic<int64_t> json_requests{0};

 private:
  bool request_is_valid(const httplib::Request& req) {
    if (!expected_auth.empty() && req.get_header_value("Authorization") != expected_auth) return false;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!req.has_header("Inference-Header-Content-Length")) {
      json_requests.fetch_add(1);
      simdjson::dom::array data;
      return parser.parse(req.body).get(doc) == simdjson::SUCCESS &&
             doc["inputs"].at(0)["data"].get_array().get(data) == simdjson::SUCCESS && data.size() == 16;
    }
    const size_t json_size = std::stoul(req.get_header_value("Inference-Header-Content-Length"));
    int64_t binary_size = 0;
    return json_size < req.body.size() && parser.parse(req.body.data(), json_size).get(doc) == simdjson::SUCCESS &&
           doc["inputs"].at(0)["parameters"]["binary_data_size"].get_int64().get(binary_size) == simdjson::SUCCESS &&
           binary_size == 16 * 4 && req.body.size() == json_size + 16 * 4;
  }

  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::set<int> remote_ports;
};

ServerBenchOptions quick_options(const std::string& url) {
  ServerBenchOptions o;
  o.url = url;
  o.model = "tiny";
  o.duration_s = 0.3;
  o.warmup_s = 0.1;
  o.timeout_s = 5;
  return o;
}

TEST(ServerBench, ClosedLoopCountsAnswersAndServerTiming) {
  FakeHttpServer server;
  server.expected_auth = "Bearer sesame";
  ServerBenchOptions o = quick_options(server.url());
  o.concurrency = 2;
  o.api_key = "sesame";
  int64_t last_progress = -1;
  Result<ServerBenchReport> r = run_server_bench(o, [&](int64_t n) { last_progress = n; });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->successes, 0);
  EXPECT_EQ(r->failed(), 0);
  EXPECT_EQ(server.malformed.load(), 0);
  EXPECT_EQ(server.json_requests.load(), 0) << "binary by default";
  EXPECT_GE(server.received.load(), r->requests) << "warm-up requests reach the server too";
  EXPECT_EQ(last_progress, server.received.load());
  EXPECT_LE(server.connections(), 2u) << "one keep-alive connection per client";
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(r->timed, r->successes);
  EXPECT_DOUBLE_EQ(r->queue_ms.p50, 0.25);
  EXPECT_DOUBLE_EQ(r->compute_ms.p99, 1.5);
  EXPECT_DOUBLE_EQ(r->server_overhead_p50_ms, 0.5);
  EXPECT_GT(r->requests_per_s, 0);
  EXPECT_GE(r->measured_s, 0.3);
  EXPECT_GT(r->latency_ms.min, 0);
  EXPECT_LE(r->latency_ms.p50, r->latency_ms.p99);
  const std::string json = server_bench_report_json(*r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  int64_t successes = 0;
  EXPECT_EQ(doc["successes"].get_int64().get(successes), simdjson::SUCCESS);
  EXPECT_EQ(successes, r->successes);
  EXPECT_TRUE(doc["rate"].is_null());
  EXPECT_NE(server_bench_report_text(*r).find("queue p50 0.250"), std::string::npos) << server_bench_report_text(*r);
}

TEST(ServerBench, JsonDataAndBatchReachTheServer) {
  FakeHttpServer server;
  ServerBenchOptions o = quick_options(server.url());
  o.json_data = true;
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->successes, 0);
  EXPECT_EQ(server.malformed.load(), 0);
  EXPECT_EQ(server.json_requests.load(), server.received.load());
  o.json_data = false;
  o.batch = 3;
  Result<ServerBenchReport> b = run_server_bench(o, nullptr);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->items_per_request, 3);
  EXPECT_DOUBLE_EQ(b->items_per_s, 3 * b->requests_per_s);
  EXPECT_GT(server.malformed.load(), 0) << "the fake expects batch 1: batch 3 must have reached it";
}

TEST(ServerBench, FailuresAreCountedByStatus) {
  FakeHttpServer server;
  server.status_for = [](int64_t n) { return n % 2 == 0 ? 200 : 503; };
  Result<ServerBenchReport> r = run_server_bench(quick_options(server.url()), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->successes, 0);
  ASSERT_EQ(r->failures.count("HTTP 503"), 1u);
  EXPECT_GT(r->failures.at("HTTP 503"), 0);
  EXPECT_EQ(r->successes + r->failed(), r->requests);
  EXPECT_EQ(r->first_failure.at("HTTP 503"), "busy");
  EXPECT_EQ(r->latency_ms.count, r->successes) << "latency covers successes only";
}

TEST(ServerBench, UnknownModelIsNotFound) {
  FakeHttpServer server;
  ServerBenchOptions o = quick_options(server.url());
  o.model = "resnet";
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("'resnet'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("unknown model"), std::string::npos) << r.status().message();
}

// A port nobody listens on: bind, read the port, close.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(ServerBench, UnreachableServerIsUnavailable) {
  for (bool grpc : {false, true}) {
    ServerBenchOptions o = quick_options((grpc ? "127.0.0.1:" : "http://127.0.0.1:") + std::to_string(closed_port()));
    o.grpc = grpc;
    const auto t0 = steady_clock::now();
    Result<ServerBenchReport> r = run_server_bench(o, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
    EXPECT_NE(r.status().message().find("cannot reach"), std::string::npos) << r.status().message();
    EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(4));
  }
}

TEST(ServerBench, SilentServerTimesOutInsteadOfHanging) {
  // Listening, never answering: the kernel completes the handshake, nobody reads.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ServerBenchOptions o = quick_options("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  o.timeout_s = 0.3;
  const auto t0 = steady_clock::now();
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  const auto elapsed = steady_clock::now() - t0;
  close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(ServerBench, SlowAnswersBeyondTheTimeoutAreFailuresAndTheRunEnds) {
  FakeHttpServer server;
  server.infer_delay = [] { std::this_thread::sleep_for(std::chrono::milliseconds(400)); };
  ServerBenchOptions o = quick_options(server.url());
  o.timeout_s = 0.1;
  o.warmup_s = 0;
  const auto t0 = steady_clock::now();
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(r->successes, 0);
  EXPECT_GT(r->failed(), 0);
  EXPECT_EQ(r->failures.begin()->first.rfind("HTTP transport: ", 0), 0u) << r->failures.begin()->first;
}

TEST(ServerBench, OpenLoopSendsAtTheRate) {
  FakeHttpServer server;
  ServerBenchOptions o = quick_options(server.url());
  o.rate = 200;
  o.concurrency = 4;
  o.duration_s = 0.5;
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // 100 expected (Poisson, sd 10); the fixed seed makes it one number, the bounds allow a loaded machine.
  EXPECT_GE(r->requests + r->unsent, 70);
  EXPECT_LE(r->requests + r->unsent, 130);
  EXPECT_EQ(r->failed(), 0);
  EXPECT_EQ(r->send_lag_ms.count, r->requests);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(server_bench_report_json(*r)).get(doc), simdjson::SUCCESS);
  double rate = 0;
  EXPECT_EQ(doc["rate"].get_double().get(rate), simdjson::SUCCESS);
  EXPECT_EQ(rate, 200);
}

TEST(ServerBench, OpenLoopLatencyCountsFromTheScheduledTime) {
  // 40 ms per answer, one connection, 100 requests/s due: the server falls
  // behind, and the time requests waited for their turn must show.
  FakeHttpServer server;
  server.infer_delay = [] { std::this_thread::sleep_for(std::chrono::milliseconds(40)); };
  ServerBenchOptions o = quick_options(server.url());
  o.rate = 100;
  o.concurrency = 1;
  o.warmup_s = 0;
  o.duration_s = 0.6;
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_GT(r->successes, 3);
  EXPECT_GT(r->latency_ms.p90, 120) << "a closed-loop measurement would say ~40 ms";
  EXPECT_GT(r->send_lag_ms.max, 80);
  EXPECT_GT(r->unsent, 0);
  EXPECT_NE(server_bench_report_text(*r).find("never sent"), std::string::npos);
}

TEST(ServerBench, OpenLoopWarmupBacklogIsDroppedAtTheMeasuredWindow) {
  // The warm-up falls ~20 requests behind; were they still sent, the whole
  // measured window would go to them and count nothing.
  FakeHttpServer server;
  server.infer_delay = [] { std::this_thread::sleep_for(std::chrono::milliseconds(40)); };
  ServerBenchOptions o = quick_options(server.url());
  o.rate = 100;
  o.concurrency = 1;
  o.warmup_s = 0.3;
  o.duration_s = 0.4;
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->successes, 3);
}

// --- gRPC ------------------------------------------------------------------------------

class FakeGrpcService final : public inference::GRPCInferenceService::Service {
 public:
  std::atomic<int64_t> received{0}, malformed{0};

  grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* req,
                             inference::ModelMetadataResponse* resp) override {
    if (req->name() != "tiny") return {grpc::StatusCode::NOT_FOUND, "unknown model"};
    resp->set_name("tiny");
    auto* in = resp->add_inputs();
    in->set_name("input");
    in->set_datatype("FP32");
    for (int64_t d : {-1, 1, 4, 4}) in->add_shape(d);
    return grpc::Status::OK;
  }

  grpc::Status ModelInfer(grpc::ServerContext* ctx, const inference::ModelInferRequest* req,
                          inference::ModelInferResponse* resp) override {
    received.fetch_add(1);
    auto auth = ctx->client_metadata().find("authorization");
    const bool auth_ok = auth != ctx->client_metadata().end() && auth->second == "Bearer k1";
    if (!auth_ok || req->inputs_size() != 1 || req->raw_input_contents_size() != 1 ||
        req->raw_input_contents(0).size() != 16 * 4 || req->inputs(0).shape_size() != 4)
      malformed.fetch_add(1);
    resp->set_model_name("tiny");
    ctx->AddTrailingMetadata("server-timing", "queue;dur=0.100, compute;dur=0.700, total;dur=1.000");
    return grpc::Status::OK;
  }
};

TEST(ServerBench, GrpcClosedLoopSendsRawInputsAndReadsTrailingTiming) {
  FakeGrpcService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ServerBenchOptions o = quick_options("127.0.0.1:" + std::to_string(port));
  o.grpc = true;
  o.concurrency = 2;
  o.api_key = "k1";
  Result<ServerBenchReport> r = run_server_bench(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->successes, 0);
  EXPECT_EQ(r->failed(), 0);
  EXPECT_EQ(service.malformed.load(), 0);
  EXPECT_EQ(r->protocol, "grpc");
  EXPECT_DOUBLE_EQ(r->compute_ms.p50, 0.7);
  EXPECT_NEAR(r->server_overhead_p50_ms, 0.3, 1e-9);
  o.model = "nope";
  Result<ServerBenchReport> missing = run_server_bench(o, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  server->Shutdown();
}

// --- flags, through the binary ------------------------------------------------------------

#define SKIP_WITHOUT_BINARY()                                                                  \
  do {                                                                                         \
    if (fastserve::testing::fastserve_binary().empty()) GTEST_SKIP() << "fastserve not built"; \
  } while (0)

void expect_usage_error(const std::vector<std::string>& args, const std::vector<std::string>& needles) {
  fastserve::testing::ProcessResult r = fastserve::testing::run_fastserve(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(fastserve::testing::split_lines(r.err).size(), 1u) << r.err;
  for (const std::string& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << n << " not in: " << r.err;
}

TEST(ServerBenchFlags, LocalModelFlagsAreRefusedByName) {
  SKIP_WITHOUT_BINARY();
  expect_usage_error({"bench", "--server", "http://127.0.0.1:1", "--model", "m", "--profile", "--threads", "2"},
                     {"--profile", "--threads", "local model"});
  expect_usage_error({"bench", "--server", "http://127.0.0.1:1", "--model", "m", "--warmup", "3"}, {"--warmup"});
  expect_usage_error({"bench", "--server", "http://127.0.0.1:1", "--model", "m", "--batch", "1,2"}, {"--batch"});
}

TEST(ServerBenchFlags, ServerFlagsNeedServerAndBadUrlsAreUsageErrors) {
  SKIP_WITHOUT_BINARY();
  expect_usage_error({"bench", "--model", "m.onnx", "--concurrency", "4"}, {"--concurrency", "--server"});
  expect_usage_error({"bench", "--server", "h:1", "--model", "m", "--grpc", "--json-data"}, {"--json-data"});
  expect_usage_error({"bench", "--server", "h:1", "--model", "m", "--binary", "--json-data"}, {"--json-data", "--binary"});
  expect_usage_error({"bench", "--server", "localhost", "--model", "m"}, {"'localhost'", "port"});
}

TEST(ServerBenchFlags, EveryServerFlagReachesTheRun) {
  SKIP_WITHOUT_BINARY();
  FakeHttpServer server;
  server.expected_auth = "Bearer k9";
  auto run_json = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"bench", "--server", server.url(), "--model", "tiny", "--duration", "0.2",
                                     "--api-key", "k9", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    fastserve::testing::ProcessResult r = fastserve::testing::run_fastserve(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << "no progress line with --json: " << r.err;
    return r.out;
  };
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string closed = run_json({"--concurrency", "2", "--warmup-seconds", "0", "--json-data", "--timeout", "2"});
  ASSERT_EQ(parser.parse(closed).get(doc), simdjson::SUCCESS) << closed;
  EXPECT_EQ(doc["concurrency"].get_int64().value_unsafe(), 2);
  EXPECT_EQ(doc["warmup_s"].get_double().value_unsafe(), 0.0);
  EXPECT_EQ(doc["data"].get_string().value_unsafe(), "json");
  EXPECT_EQ(doc["mode"].get_string().value_unsafe(), "closed");
  EXPECT_GT(doc["successes"].get_int64().value_unsafe(), 0);
  EXPECT_EQ(server.malformed.load(), 0) << "the API key and the JSON body reached the server";
  const std::string open = run_json({"--rate", "50", "--batch", "2", "--binary", "--warmup-seconds", "0.1"});
  ASSERT_EQ(parser.parse(open).get(doc), simdjson::SUCCESS) << open;
  EXPECT_EQ(doc["rate"].get_double().value_unsafe(), 50.0);
  EXPECT_EQ(doc["items_per_request"].get_int64().value_unsafe(), 2);
  EXPECT_EQ(doc["data"].get_string().value_unsafe(), "binary");
  EXPECT_EQ(doc["warmup_s"].get_double().value_unsafe(), 0.1);
  fastserve::testing::ProcessResult text = fastserve::testing::run_fastserve(
      {"bench", "--server", server.url(), "--model", "tiny", "--duration", "0.1", "--api-key", "k9", "--quiet"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("latency ms   min "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("queue p50 0.250"), std::string::npos) << text.out;
}

TEST(ServerBenchFlags, EveryRequestFailingExitsOneAfterTheReport) {
  SKIP_WITHOUT_BINARY();
  FakeHttpServer server;
  server.status_for = [](int64_t) { return 503; };
  fastserve::testing::ProcessResult r = fastserve::testing::run_fastserve(
      {"bench", "--server", server.url(), "--model", "tiny", "--duration", "0.1", "--warmup-seconds", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("failed: HTTP 503"), std::string::npos) << r.out;
  ASSERT_EQ(fastserve::testing::split_lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("requests failed (first reason: HTTP 503: busy)"), std::string::npos) << r.err;
}

TEST(ServerBenchFlags, UnreachableServerIsOneErrorLineAndExitOne) {
  SKIP_WITHOUT_BINARY();
  fastserve::testing::ProcessResult r = fastserve::testing::run_fastserve(
      {"bench", "--server", "http://127.0.0.1:" + std::to_string(closed_port()), "--model", "m", "--duration", "0.1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(fastserve::testing::split_lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("fastserve: error: cannot reach", 0), 0u) << r.err;
}

}  // namespace
}  // namespace fastserve::cli
