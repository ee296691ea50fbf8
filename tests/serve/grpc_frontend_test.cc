// GrpcFrontend end to end: an in-process ModelManager serving
// models/tiny_cnn.onnx, the front end on a free port, and a client built from
// the generated stub, as a Triton client would call it: health, metadata,
// config, inference (raw and typed contents, compared with a plain Session
// run), errors and their codes, trailing metadata, API keys, statistics.
#include "serve/grpc/grpc_frontend.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "grpc_service.grpc.pb.h"
#include "onnx/onnx_reader.h"

namespace fastserve::serve {
namespace {

const std::string kTinyCnn = std::string(FASTSERVE_SOURCE_DIR) + "/models/tiny_cnn.onnx";

std::vector<float> random_image(uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(28 * 28);
  for (float& x : v) x = u(rng);
  return v;
}

// The reference: the same model through a plain Session.
std::vector<float> direct_logits(const std::vector<float>& image) {
  auto model = load_onnx_model(kTinyCnn);
  EXPECT_TRUE(model.ok());
  auto session = Session::create(std::move(model).value());
  EXPECT_TRUE(session.ok());
  std::vector<NamedTensor> in = {{"input", Tensor::from_vector(image, Shape{1, 1, 28, 28})}};
  auto out = session.value()->run(in);
  EXPECT_TRUE(out.ok());
  const Tensor& t = out.value()[0].tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

inference::ModelInferRequest image_request(const std::string& model, const std::string& input,
                                           const std::vector<float>& image) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  auto* in = r.add_inputs();
  in->set_name(input);
  in->set_datatype("FP32");
  for (int64_t d : {1, 1, 28, 28}) in->add_shape(d);
  r.add_raw_input_contents()->assign(reinterpret_cast<const char*>(image.data()), image.size() * sizeof(float));
  return r;
}

std::string trailer(const grpc::ClientContext& ctx, const std::string& key) {
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find(key);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

class GrpcFrontendTest : public ::testing::Test {
 protected:
  void SetUp() override { start(nullptr); }

  void start(Authenticator* auth) {
    frontend_.reset();
    manager_.reset();
    ManagerOptions mo;
    mo.explicit_models = {{"tiny", kTinyCnn}};
    manager_ = std::make_unique<ModelManager>(mo, metrics_);
    ASSERT_TRUE(manager_->load_all().ok());
    GrpcOptions go;
    go.host = "127.0.0.1";
    go.port = 0;
    go.threads = 8;
    auto fe = GrpcFrontend::start(go, *manager_, metrics_, auth);
    ASSERT_TRUE(fe.ok()) << fe.status().message();
    frontend_ = std::move(fe).value();
    ASSERT_GT(frontend_->port(), 0);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(frontend_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = inference::GRPCInferenceService::NewStub(channel);
  }

  MetricsRegistry registry_;
  ServerMetrics metrics_{registry_};
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<GrpcFrontend> frontend_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

TEST_F(GrpcFrontendTest, ServerLiveAndReadyAnswerTrue) {
  grpc::ClientContext c1, c2;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub_->ServerLive(&c1, {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub_->ServerReady(&c2, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  EXPECT_EQ(metrics_.grpc_requests_total.value(), 2.0);
  EXPECT_EQ(metrics_.inflight.value(), 0.0);
}

TEST_F(GrpcFrontendTest, ServerMetadataNamesFastServe) {
  grpc::ClientContext ctx;
  inference::ServerMetadataResponse r;
  ASSERT_TRUE(stub_->ServerMetadata(&ctx, {}, &r).ok());
  EXPECT_EQ(r.name(), "fastserve");
  EXPECT_EQ(r.version(), FASTSERVE_VERSION);
  EXPECT_GT(r.extensions_size(), 0);
  // The same list GET /v2 answers with (kServerExtensions, infer_request.h).
  ASSERT_EQ(static_cast<size_t>(r.extensions_size()), std::size(kServerExtensions));
  for (size_t i = 0; i < std::size(kServerExtensions); ++i) EXPECT_EQ(r.extensions(static_cast<int>(i)), kServerExtensions[i]);
}

TEST_F(GrpcFrontendTest, ModelReadyAndMetadataDescribeTinyCnn) {
  grpc::ClientContext c1;
  inference::ModelReadyRequest rr;
  rr.set_name("tiny");
  inference::ModelReadyResponse ready;
  ASSERT_TRUE(stub_->ModelReady(&c1, rr, &ready).ok());
  EXPECT_TRUE(ready.ready());

  grpc::ClientContext c2;
  inference::ModelMetadataRequest mr;
  mr.set_name("tiny");
  inference::ModelMetadataResponse m;
  grpc::Status s = stub_->ModelMetadata(&c2, mr, &m);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(m.name(), "tiny");
  ASSERT_EQ(m.versions_size(), 1);
  EXPECT_EQ(m.versions(0), "1");
  ASSERT_EQ(m.inputs_size(), 1);
  EXPECT_EQ(m.inputs(0).name(), "input");
  EXPECT_EQ(m.inputs(0).datatype(), "FP32");
  ASSERT_EQ(m.inputs(0).shape_size(), 4);
  EXPECT_EQ(m.inputs(0).shape(0), -1);
  EXPECT_EQ(m.inputs(0).shape(3), 28);
  ASSERT_EQ(m.outputs_size(), 1);
  EXPECT_EQ(m.outputs(0).name(), "logits");
}

TEST_F(GrpcFrontendTest, ModelConfigNamesTheModelAndItsTensors) {
  grpc::ClientContext ctx;
  inference::ModelConfigRequest req;
  req.set_name("tiny");
  inference::ModelConfigResponse r;
  grpc::Status s = stub_->ModelConfig(&ctx, req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.config().name(), "tiny");
  EXPECT_EQ(r.config().platform(), "onnxruntime_onnx");
  ASSERT_GE(r.config().input_size(), 1);
  EXPECT_EQ(r.config().input(0).name(), "input");
  EXPECT_EQ(r.config().input(0).data_type(), inference::TYPE_FP32);
}

TEST_F(GrpcFrontendTest, ModelInferWithRawContentsReturnsTheModelsLogits) {
  const std::vector<float> image = random_image(7);
  inference::ModelInferRequest req = image_request("tiny", "input", image);
  req.set_id("req-7");
  grpc::ClientContext ctx;
  inference::ModelInferResponse r;
  grpc::Status s = stub_->ModelInfer(&ctx, req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.model_name(), "tiny");
  EXPECT_EQ(r.model_version(), "1");
  EXPECT_EQ(r.id(), "req-7");
  ASSERT_EQ(r.outputs_size(), 1);
  EXPECT_EQ(r.outputs(0).name(), "logits");
  EXPECT_EQ(r.outputs(0).datatype(), "FP32");
  ASSERT_EQ(r.outputs(0).shape_size(), 2);
  EXPECT_EQ(r.outputs(0).shape(0), 1);
  EXPECT_EQ(r.outputs(0).shape(1), 10);
  ASSERT_EQ(r.raw_output_contents_size(), 1);
  ASSERT_EQ(r.raw_output_contents(0).size(), 10 * sizeof(float));
  std::vector<float> got(10);
  std::memcpy(got.data(), r.raw_output_contents(0).data(), 10 * sizeof(float));
  const std::vector<float> want = direct_logits(image);
  ASSERT_EQ(want.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "logit " << i;
  EXPECT_EQ(trailer(ctx, "x-request-id"), "req-7");
  const std::string timing = trailer(ctx, "server-timing");
  EXPECT_NE(timing.find("queue;dur="), std::string::npos) << timing;
  EXPECT_NE(timing.find("compute;dur="), std::string::npos) << timing;
  EXPECT_NE(timing.find("total;dur="), std::string::npos) << timing;
}

TEST_F(GrpcFrontendTest, ModelInferWithTypedContentsMatchesRaw) {
  const std::vector<float> image = random_image(8);
  inference::ModelInferRequest req = image_request("tiny", "input", image);
  req.clear_raw_input_contents();
  for (float v : image) req.mutable_inputs(0)->mutable_contents()->add_fp32_contents(v);
  req.add_outputs()->set_name("logits");
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", "from-metadata");
  inference::ModelInferResponse r;
  grpc::Status s = stub_->ModelInfer(&ctx, req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.id(), "");  // the request had no id of its own
  EXPECT_EQ(trailer(ctx, "x-request-id"), "from-metadata");
  std::vector<float> got(10);
  ASSERT_EQ(r.raw_output_contents(0).size(), 10 * sizeof(float));
  std::memcpy(got.data(), r.raw_output_contents(0).data(), 10 * sizeof(float));
  const std::vector<float> want = direct_logits(image);
  for (int i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "logit " << i;
}

TEST_F(GrpcFrontendTest, BadInputNameIsInvalidArgumentNamingIt) {
  grpc::ClientContext ctx;
  inference::ModelInferResponse r;
  grpc::Status s = stub_->ModelInfer(&ctx, image_request("tiny", "images", random_image(1)), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("'images'"), std::string::npos) << s.error_message();
  EXPECT_FALSE(trailer(ctx, "x-request-id").empty());  // errors carry the id too
}

TEST_F(GrpcFrontendTest, BadTensorSizeIsInvalidArgumentNamingIt) {
  inference::ModelInferRequest req = image_request("tiny", "input", random_image(1));
  req.mutable_raw_input_contents(0)->resize(100);
  grpc::ClientContext ctx;
  inference::ModelInferResponse r;
  grpc::Status s = stub_->ModelInfer(&ctx, req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("'input'"), std::string::npos) << s.error_message();
}

TEST_F(GrpcFrontendTest, UnknownModelIsNotFound) {
  grpc::ClientContext c1;
  inference::ModelInferResponse r;
  grpc::Status s = stub_->ModelInfer(&c1, image_request("nope", "input", random_image(1)), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("nope"), std::string::npos) << s.error_message();

  grpc::ClientContext c2;
  inference::ModelMetadataRequest mr;
  mr.set_name("nope");
  inference::ModelMetadataResponse m;
  EXPECT_EQ(stub_->ModelMetadata(&c2, mr, &m).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcFrontendTest, RepositoryIndexAndStatisticsSeeTheModel) {
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse r;
    ASSERT_TRUE(stub_->ModelInfer(&ctx, image_request("tiny", "input", random_image(3)), &r).ok());
  }
  grpc::ClientContext c1;
  inference::RepositoryIndexResponse index;
  ASSERT_TRUE(stub_->RepositoryIndex(&c1, {}, &index).ok());
  ASSERT_EQ(index.models_size(), 1);
  EXPECT_EQ(index.models(0).name(), "tiny");
  EXPECT_EQ(index.models(0).state(), "READY");

  grpc::ClientContext c2;
  inference::ModelStatisticsRequest sr;
  sr.set_name("tiny");
  inference::ModelStatisticsResponse stats;
  grpc::Status s = stub_->ModelStatistics(&c2, sr, &stats);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(stats.model_stats_size(), 1);
  EXPECT_EQ(stats.model_stats(0).name(), "tiny");
  EXPECT_EQ(stats.model_stats(0).inference_count(), 1u);
  EXPECT_EQ(stats.model_stats(0).inference_stats().success().count(), 1u);
}

TEST_F(GrpcFrontendTest, UnloadThenLoadMakesTheModelUnreadyThenReady) {
  auto model_ready = [&]() {
    grpc::ClientContext ctx;
    inference::ModelReadyRequest rr;
    rr.set_name("tiny");
    inference::ModelReadyResponse r;
    EXPECT_TRUE(stub_->ModelReady(&ctx, rr, &r).ok());
    return r.ready();
  };
  grpc::ClientContext c1;
  inference::RepositoryModelUnloadRequest ur;
  ur.set_model_name("tiny");
  inference::RepositoryModelUnloadResponse unloaded;
  grpc::Status s = stub_->RepositoryModelUnload(&c1, ur, &unloaded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(model_ready());

  grpc::ClientContext c2;
  inference::RepositoryModelLoadRequest lr;
  lr.set_model_name("tiny");
  inference::RepositoryModelLoadResponse loaded;
  s = stub_->RepositoryModelLoad(&c2, lr, &loaded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(model_ready());

  grpc::ClientContext c3;
  (*lr.mutable_parameters())["file:1/model.onnx"].set_bytes_param("x");
  EXPECT_EQ(stub_->RepositoryModelLoad(&c3, lr, &loaded).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcFrontendTest, ApiKeysGateEveryCallButHealth) {
  auto auth = Authenticator::from_text("good-key name=alice\nslow-key name=bob rate=0.001 burst=1\n", "keys");
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  start(auth.value().get());
  inference::ModelMetadataRequest mr;
  mr.set_name("tiny");
  inference::ModelMetadataResponse m;

  grpc::ClientContext c1;
  inference::ServerLiveResponse live;
  EXPECT_TRUE(stub_->ServerLive(&c1, {}, &live).ok());

  grpc::ClientContext c2;
  EXPECT_EQ(stub_->ModelMetadata(&c2, mr, &m).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(metrics_.auth_failures.value(), 1.0);

  grpc::ClientContext c3;
  c3.AddMetadata("authorization", "Bearer good-key");
  EXPECT_TRUE(stub_->ModelMetadata(&c3, mr, &m).ok());

  grpc::ClientContext c4;
  c4.AddMetadata("x-api-key", "good-key");
  EXPECT_TRUE(stub_->ModelMetadata(&c4, mr, &m).ok());

  grpc::ClientContext c5;
  c5.AddMetadata("x-api-key", "wrong");
  EXPECT_EQ(stub_->ModelMetadata(&c5, mr, &m).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  grpc::ClientContext c6, c7;
  c6.AddMetadata("x-api-key", "slow-key");
  EXPECT_TRUE(stub_->ModelMetadata(&c6, mr, &m).ok());  // the burst of one
  c7.AddMetadata("x-api-key", "slow-key");
  EXPECT_EQ(stub_->ModelMetadata(&c7, mr, &m).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(trailer(c7, "retry-after").empty());
  EXPECT_GE(std::stol(trailer(c7, "retry-after")), 1);
  EXPECT_EQ(metrics_.rate_limited.value(), 1.0);
  frontend_.reset();  // before the authenticator goes
}

TEST_F(GrpcFrontendTest, BusyPortIsAnError) {
  GrpcOptions go;
  go.host = "127.0.0.1";
  go.port = frontend_->port();
  auto second = GrpcFrontend::start(go, *manager_, metrics_, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(go.port)), std::string::npos);
}

TEST_F(GrpcFrontendTest, TlsNeedsBothFilesAndReadableOnes) {
  GrpcOptions go;
  go.host = "127.0.0.1";
  go.port = 0;
  go.tls_cert = "/nonexistent/cert.pem";
  auto only_cert = GrpcFrontend::start(go, *manager_, metrics_, nullptr);
  ASSERT_FALSE(only_cert.ok());
  EXPECT_EQ(only_cert.status().code(), StatusCode::kInvalidArgument);
  go.tls_key = "/nonexistent/key.pem";
  auto missing = GrpcFrontend::start(go, *manager_, metrics_, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/cert.pem"), std::string::npos)
      << missing.status().message();
}

TEST_F(GrpcFrontendTest, StopIsIdempotentAndRefusesNewCalls) {
  frontend_->stop();
  frontend_->stop();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  inference::ServerLiveResponse live;
  EXPECT_FALSE(stub_->ServerLive(&ctx, {}, &live).ok());
}

}  // namespace
}  // namespace fastserve::serve
