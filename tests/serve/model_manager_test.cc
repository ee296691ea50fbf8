// ModelManager + DynamicBatcher: loading (explicit and repository), request
// validation, batching that returns what unbatched runs return, bounded
// queues, deadlines, version policies, reload under load, drain.
#include "serve/model_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/cli/cli_harness.h"
#include "onnx/onnx_reader.h"

namespace fastserve::serve {
namespace {

namespace fs = std::filesystem;
using fastserve::testing::ScratchDir;

const std::string kTinyCnn = std::string(FASTSERVE_SOURCE_DIR) + "/models/tiny_cnn.onnx";

Tensor random_images(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Tensor t = Tensor::empty(DType::kF32, Shape{n, 1, 28, 28});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

InferRequest tiny_request(const std::string& model, Tensor images) {
  InferRequest r;
  r.model = model;
  r.inputs.push_back({"input", std::move(images)});
  return r;
}

// The reference: the same model through a plain Session.
Tensor direct_logits(const Tensor& images) {
  auto model = load_onnx_model(kTinyCnn);
  EXPECT_TRUE(model.ok());
  auto session = Session::create(std::move(model).value());
  EXPECT_TRUE(session.ok());
  std::vector<NamedTensor> in = {{"input", images}};
  auto out = session.value()->run(in);
  EXPECT_TRUE(out.ok());
  return out.value()[0].tensor;
}

// Equal to float rounding: a batch of several requests runs the GEMM path
// where one request runs the GEMV path, which sums in another order.
void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) {
    const float x = a.data<float>()[i], y = b.data<float>()[i];
    ASSERT_NEAR(x, y, 1e-5f * std::max(1.f, std::abs(y))) << "at " << i;
  }
}

// <dir>/<name>/config.pbtxt and <dir>/<name>/<v>/model.onnx for each version.
void add_repo_model(const fs::path& repo, const std::string& name, const std::string& config,
                    const std::vector<int>& versions) {
  fs::create_directories(repo / name);
  if (!config.empty()) std::ofstream(repo / name / "config.pbtxt") << config;
  for (int v : versions) {
    fs::create_directories(repo / name / std::to_string(v));
    fs::copy_file(kTinyCnn, repo / name / std::to_string(v) / "model.onnx", fs::copy_options::overwrite_existing);
  }
}

struct Fixture {
  MetricsRegistry registry;
  ServerMetrics metrics{registry};
  std::unique_ptr<ModelManager> manager;
  explicit Fixture(ManagerOptions o) : manager(std::make_unique<ModelManager>(std::move(o), metrics)) {}
};

ManagerOptions explicit_tiny() {
  ManagerOptions o;
  o.explicit_models = {{"tiny", kTinyCnn}};
  o.threads = 1;
  return o;
}

TEST(ModelManager, ExplicitModelServesWhatASessionComputes) {
  Fixture f(explicit_tiny());
  ASSERT_TRUE(f.manager->load_all().ok());
  EXPECT_TRUE(f.manager->server_ready());
  EXPECT_TRUE(f.manager->model_ready("tiny", ""));
  EXPECT_TRUE(f.manager->model_ready("tiny", "1"));
  EXPECT_FALSE(f.manager->model_ready("tiny", "2"));

  auto md = f.manager->metadata("tiny", "");
  ASSERT_TRUE(md.ok());
  ASSERT_EQ(md.value().inputs.size(), 1u);
  EXPECT_EQ(md.value().inputs[0].datatype, "FP32");
  EXPECT_EQ(md.value().inputs[0].shape, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(md.value().outputs[0].shape, (std::vector<int64_t>{-1, 10}));
  EXPECT_EQ(md.value().versions, (std::vector<std::string>{"1"}));
  // No config.pbtxt: the variable leading dim makes it batchable.
  auto cfg = f.manager->config("tiny", "");
  ASSERT_TRUE(cfg.ok());
  EXPECT_GT(cfg.value().max_batch_size, 0);

  Tensor images = random_images(3, 7);
  auto r = f.manager->infer(tiny_request("tiny", images));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().version, "1");
  ASSERT_EQ(r.value().outputs.size(), 1u);
  EXPECT_EQ(r.value().outputs[0].name, "logits");
  expect_same(r.value().outputs[0].tensor, direct_logits(images));
}

TEST(ModelManager, RequestsThatDoNotMatchTheModelNameTheTensor) {
  Fixture f(explicit_tiny());
  ASSERT_TRUE(f.manager->load_all().ok());
  auto expect_error = [&](InferRequest r, StatusCode code, const std::string& needle) {
    auto res = f.manager->infer(std::move(r));
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.status().code(), code);
    EXPECT_NE(res.status().message().find(needle), std::string::npos) << res.status().message();
  };
  InferRequest unknown_input = tiny_request("tiny", random_images(1, 1));
  unknown_input.inputs[0].name = "image";
  expect_error(std::move(unknown_input), StatusCode::kInvalidArgument, "unknown input 'image'");

  InferRequest missing;
  missing.model = "tiny";
  expect_error(std::move(missing), StatusCode::kInvalidArgument, "missing input 'input'");

  InferRequest wrong_type = tiny_request("tiny", Tensor::zeros(DType::kF64, Shape{1, 1, 28, 28}));
  expect_error(std::move(wrong_type), StatusCode::kInvalidArgument, "datatype FP64");

  expect_error(tiny_request("tiny", Tensor::zeros(DType::kF32, Shape{1, 1, 28, 27})), StatusCode::kInvalidArgument,
               "dim 3 must be 28");
  expect_error(tiny_request("tiny", Tensor::zeros(DType::kF32, Shape{1, 28, 28})), StatusCode::kInvalidArgument,
               "has 3 dims");
  expect_error(tiny_request("tiny", Tensor::zeros(DType::kF32, Shape{33, 1, 28, 28})),
               StatusCode::kInvalidArgument, "batch size 33");

  InferRequest bad_output = tiny_request("tiny", random_images(1, 2));
  bad_output.outputs = {"probs"};
  expect_error(std::move(bad_output), StatusCode::kInvalidArgument, "unknown output 'probs'");

  expect_error(tiny_request("nope", random_images(1, 3)), StatusCode::kNotFound, "unknown model 'nope'");
  InferRequest bad_version = tiny_request("tiny", random_images(1, 3));
  bad_version.version = "7";
  expect_error(std::move(bad_version), StatusCode::kNotFound, "no loaded version 7");
}

TEST(ModelManager, ConcurrentRequestsRunInBatchesAndGetTheirOwnRows) {
  ScratchDir dir;
  add_repo_model(dir.path(), "tiny",
                 "name: \"tiny\"\nmax_batch_size: 16\ninstance_group [{ count: 1, kind: KIND_CPU }]\n"
                 "dynamic_batching { max_queue_delay_microseconds: 20000 }\n",
                 {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  o.threads = 1;
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());

  constexpr int kClients = 8;
  std::vector<Tensor> inputs, outputs(kClients);
  for (int i = 0; i < kClients; ++i) inputs.push_back(random_images(1 + i % 3, 100 + i));
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  int64_t max_batch_seen = 0;
  std::mutex mu;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      auto r = f.manager->infer(tiny_request("tiny", inputs[i]));
      if (!r.ok()) {
        ++failures;
        return;
      }
      outputs[i] = r.value().outputs[0].tensor;
      std::lock_guard lock(mu);
      max_batch_seen = std::max(max_batch_seen, r.value().timing.batch_size);
    });
  for (auto& c : clients) c.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_GT(max_batch_seen, 3) << "requests were not batched";
  for (int i = 0; i < kClients; ++i) expect_same(outputs[i], direct_logits(inputs[i]));

  auto stats = f.manager->statistics("tiny", "");
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats.value().size(), 1u);
  EXPECT_EQ(stats.value()[0].success.count, static_cast<uint64_t>(kClients));
  EXPECT_LT(stats.value()[0].execution_count, static_cast<uint64_t>(kClients));
  uint64_t items = 0;
  for (int i = 0; i < kClients; ++i) items += static_cast<uint64_t>(inputs[i].dim(0));
  EXPECT_EQ(stats.value()[0].inference_count, items);
}

TEST(ModelManager, AFullQueueRejectsAndTheQueuedRequestStillRuns) {
  ScratchDir dir;
  add_repo_model(dir.path(), "tiny",
                 "max_batch_size: 8\ndynamic_batching { max_queue_delay_microseconds: 300000\n"
                 "  default_queue_policy { max_queue_size: 1 } }\n",
                 {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  o.threads = 1;
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());
  // The first request waits out the 300 ms delay in the queue ...
  std::thread first([&] { EXPECT_TRUE(f.manager->infer(tiny_request("tiny", random_images(1, 1))).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // ... so the second finds the one-slot queue full.
  auto second = f.manager->infer(tiny_request("tiny", random_images(1, 2)));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(http_status_for(second.status()), 429);
  first.join();
}

TEST(ModelManager, AHigherPriorityRequestRunsBeforeAnOlderLowerOne) {
  ScratchDir dir;
  // A batch holds 4 items, so the 3-item low-priority request and the
  // 2-item high-priority one cannot share one: whichever heads the queue runs first.
  add_repo_model(dir.path(), "tiny",
                 "max_batch_size: 4\ndynamic_batching { max_queue_delay_microseconds: 200000\n"
                 "  priority_levels: 2 default_priority_level: 2 }\n",
                 {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  o.threads = 1;
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());
  // Order is judged by when each batch started on the server (send time +
  // the server's queue time), not by which client thread woke first: the
  // low request's batch runs right after the high one's, so the threads'
  // wake-ups could come in either order on a loaded machine.
  using Clock = std::chrono::steady_clock;
  Clock::time_point low_start, high_start;
  std::thread low([&] {
    const Clock::time_point sent = Clock::now();
    auto r = f.manager->infer(tiny_request("tiny", random_images(3, 1)));  // default level 2
    ASSERT_TRUE(r.ok());
    low_start = sent + std::chrono::microseconds(r->timing.queue_us);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  InferRequest high = tiny_request("tiny", random_images(2, 2));
  high.priority = 1;
  const Clock::time_point sent = Clock::now();
  auto r = f.manager->infer(std::move(high));
  ASSERT_TRUE(r.ok());
  high_start = sent + std::chrono::microseconds(r->timing.queue_us);
  low.join();
  EXPECT_LT(high_start, low_start) << "the level-1 request should run first, though it came 50 ms later";
  EXPECT_EQ(r->timing.batch_size, 2);  // 3 + 2 items exceed max_batch_size 4: separate batches

  InferRequest bad = tiny_request("tiny", random_images(1, 3));
  bad.priority = 3;
  auto res = f.manager->infer(std::move(bad));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("priority 3"), std::string::npos) << res.status().message();
}

TEST(ModelManager, ARequestPastItsTimeoutIsDroppedBeforeItRuns) {
  ScratchDir dir;
  add_repo_model(dir.path(), "tiny", "max_batch_size: 8\ndynamic_batching { max_queue_delay_microseconds: 200000 }\n",
                 {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());
  InferRequest r = tiny_request("tiny", random_images(1, 1));
  r.timeout_us = 20000;  // 20 ms, well inside the 200 ms batching delay
  auto res = f.manager->infer(std::move(r));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(http_status_for(res.status()), 504);
}

TEST(ModelManager, VersionPolicyPicksVersionsAndUnloadLoadWork) {
  ScratchDir dir;
  add_repo_model(dir.path(), "latest", "", {1, 2, 3});
  add_repo_model(dir.path(), "all", "version_policy { all { } }\n", {1, 2});
  add_repo_model(dir.path(), "some", "version_policy { specific { versions: [1, 3] } }\n", {1, 2, 3});
  ManagerOptions o;
  o.repository = dir.path().string();
  o.threads = 1;
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());
  EXPECT_EQ(f.manager->metadata("latest", "").value().versions, (std::vector<std::string>{"3"}));
  EXPECT_EQ(f.manager->metadata("all", "").value().versions, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(f.manager->metadata("some", "").value().versions, (std::vector<std::string>{"1", "3"}));
  auto r = f.manager->infer(tiny_request("latest", random_images(1, 1)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().version, "3");

  ASSERT_TRUE(f.manager->unload("all").ok());
  EXPECT_FALSE(f.manager->model_ready("all", ""));
  auto gone = f.manager->infer(tiny_request("all", random_images(1, 1)));
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  auto index = f.manager->repository_index(false);
  bool listed_unavailable = false;
  for (const auto& e : index)
    if (e.name == "all") listed_unavailable = e.state == "UNAVAILABLE";
  EXPECT_TRUE(listed_unavailable);
  ASSERT_TRUE(f.manager->load("all").ok());
  EXPECT_TRUE(f.manager->model_ready("all", "2"));
  EXPECT_EQ(f.manager->load("missing").code(), StatusCode::kNotFound);
}

TEST(ModelManager, ABadConfigFailsTheLoadWithTheFileName) {
  ScratchDir dir;
  add_repo_model(dir.path(), "bad", "max_batch_size: -3\n", {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  Fixture f(o);
  Status s = f.manager->load_all();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("config.pbtxt"), std::string::npos) << s.message();
  EXPECT_FALSE(f.manager->server_ready());
}

TEST(ModelManager, ReloadWhileRequestsRunFailsNone) {
  ScratchDir dir;
  add_repo_model(dir.path(), "tiny", "max_batch_size: 8\ndynamic_batching { }\n", {1});
  ManagerOptions o;
  o.repository = dir.path().string();
  o.threads = 1;
  Fixture f(o);
  ASSERT_TRUE(f.manager->load_all().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&, c] {
      uint32_t seed = 10 * c;
      while (!stop.load()) {
        auto r = f.manager->infer(tiny_request("tiny", random_images(1, ++seed)));
        (r.ok() ? ok : failed)++;
      }
    });
  // A new version appears (latest policy: it replaces version 1), then the old one comes back.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fs::create_directories(dir.path() / "tiny" / "2");
  fs::copy_file(kTinyCnn, dir.path() / "tiny" / "2" / "model.onnx");
  ASSERT_TRUE(f.manager->load("tiny").ok());
  EXPECT_EQ(f.manager->metadata("tiny", "").value().versions, (std::vector<std::string>{"2"}));
  fs::remove_all(dir.path() / "tiny" / "2");
  ASSERT_TRUE(f.manager->load("tiny").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);
}

TEST(ModelManager, DrainTurnsReadinessOffAndRejectsNewRequests) {
  Fixture f(explicit_tiny());
  ASSERT_TRUE(f.manager->load_all().ok());
  EXPECT_TRUE(f.manager->drain(1000));
  EXPECT_FALSE(f.manager->server_ready());
  EXPECT_TRUE(f.manager->server_live());
  auto r = f.manager->infer(tiny_request("tiny", random_images(1, 1)));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST(ModelManager, APendingStopSignalTurnsReadinessOffBeforeDrain) {
  std::atomic<bool> stop{false};
  ManagerOptions o = explicit_tiny();
  o.stop_requested = [&stop] { return stop.load(); };
  Fixture f(std::move(o));
  ASSERT_TRUE(f.manager->load_all().ok());
  EXPECT_TRUE(f.manager->server_ready());
  EXPECT_TRUE(f.manager->model_ready("tiny", ""));
  stop = true;
  EXPECT_FALSE(f.manager->server_ready());
  EXPECT_FALSE(f.manager->model_ready("tiny", ""));
  EXPECT_TRUE(f.manager->server_live());
}

}  // namespace
}  // namespace fastserve::serve
