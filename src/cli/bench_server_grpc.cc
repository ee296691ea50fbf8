// The gRPC side of `bench --server` (bench_server_transport.h):
// ModelMetadata and ModelInfer through the stub generated from
// proto/grpc_service.proto, one channel per client thread. The request
// message is built once and shared read-only (a const protobuf may be
// serialized by several threads at once).
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "cli/bench_server_transport.h"
#include "grpc_service.grpc.pb.h"

namespace fastserve::cli {
namespace {

using Stub = inference::GRPCInferenceService::Stub;

const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

// Per-call context: a deadline and the API key. A ClientContext serves one call only.
void setup_context(grpc::ClientContext& ctx, const ServerBenchOptions& options) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(options.timeout_s * 1e6)));
  if (!options.api_key.empty()) ctx.AddMetadata("authorization", "Bearer " + options.api_key);
}

class GrpcBenchClient final : public BenchClient {
 public:
  GrpcBenchClient(std::unique_ptr<Stub> stub, std::shared_ptr<const inference::ModelInferRequest> request,
                  const ServerBenchOptions& options)
      : stub_(std::move(stub)), request_(std::move(request)), options_(options) {}

  CallOutcome infer() override {
    CallOutcome o;
    try {
      grpc::ClientContext ctx;
      setup_context(ctx, options_);
      inference::ModelInferResponse response;
      const grpc::Status s = stub_->ModelInfer(&ctx, *request_, &response);
      if (!s.ok()) {
        o.reason = fmt::format("gRPC {}", code_name(s.error_code()));
        o.message = s.error_message();
        return o;
      }
      o.ok = true;
      const auto& trailing = ctx.GetServerTrailingMetadata();
      auto it = trailing.find("server-timing");
      if (it != trailing.end()) o.timing = parse_server_timing(std::string_view(it->second.data(), it->second.size()));
    } catch (const std::exception& e) {
      o.ok = false;
      o.reason = "gRPC client error";
      o.message = e.what();
    }
    return o;
  }

 private:
  std::unique_ptr<Stub> stub_;
  std::shared_ptr<const inference::ModelInferRequest> request_;
  ServerBenchOptions options_;
};

class GrpcTransport final : public BenchTransport {
 public:
  GrpcTransport(const ServerUrl& url, const ServerBenchOptions& options) : url_(url), options_(options) {}

  Result<ModelSpec> fetch_metadata() override {
    std::unique_ptr<Stub> stub = new_stub();
    grpc::ClientContext ctx;
    setup_context(ctx, options_);
    inference::ModelMetadataRequest req;
    req.set_name(options_.model);
    inference::ModelMetadataResponse resp;
    const grpc::Status s = stub->ModelMetadata(&ctx, req, &resp);
    const std::string what = fmt::format("grpc://{} model '{}'", url_.authority(), options_.model);
    if (!s.ok()) {
      const std::string detail = fmt::format("gRPC {}: {}", code_name(s.error_code()), s.error_message());
      switch (s.error_code()) {
        case grpc::StatusCode::NOT_FOUND:
          return not_found(fmt::format("{}: no such model on the server ({})", what, detail));
        case grpc::StatusCode::UNAUTHENTICATED:
        case grpc::StatusCode::PERMISSION_DENIED:
          return invalid_argument(fmt::format("{}: the server refused the API key ({}; see --api-key)", what, detail));
        case grpc::StatusCode::UNAVAILABLE:
        case grpc::StatusCode::DEADLINE_EXCEEDED:
          return Status(StatusCode::kUnavailable, fmt::format("cannot reach grpc://{}: {}", url_.authority(), detail));
        default:
          return Status(StatusCode::kUnavailable, fmt::format("{}: metadata request failed ({})", what, detail));
      }
    }
    ModelSpec spec;
    spec.name = resp.name();
    auto copy = [](const auto& list, std::vector<TensorSpec>* out) {
      for (const auto& t : list) {
        out->push_back(TensorSpec{t.name(), t.datatype(), std::vector<int64_t>(t.shape().begin(), t.shape().end())});
      }
    };
    copy(resp.inputs(), &spec.inputs);
    copy(resp.outputs(), &spec.outputs);
    return spec;
  }

  Status prepare(const std::vector<BenchTensor>& inputs) override {
    auto req = std::make_shared<inference::ModelInferRequest>();
    req->set_model_name(options_.model);
    for (const BenchTensor& t : inputs) {
      inference::ModelInferRequest::InferInputTensor* in = req->add_inputs();
      in->set_name(t.name);
      in->set_datatype(t.datatype);
      for (int64_t d : t.shape) in->add_shape(d);
      req->add_raw_input_contents(t.raw);
    }
    request_ = std::move(req);
    return ok_status();
  }

  std::unique_ptr<BenchClient> make_client() override {
    return std::make_unique<GrpcBenchClient>(new_stub(), request_, options_);
  }

 private:
  std::unique_ptr<Stub> new_stub() const {
    grpc::ChannelArguments args;
    // Channels with equal arguments share one connection through grpc's
    // global subchannel pool; a local pool gives each client its own.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    std::shared_ptr<grpc::ChannelCredentials> creds =
        url_.tls ? grpc::SslCredentials(grpc::SslCredentialsOptions()) : grpc::InsecureChannelCredentials();
    return inference::GRPCInferenceService::NewStub(grpc::CreateCustomChannel(url_.authority(), creds, args));
  }

  ServerUrl url_;
  ServerBenchOptions options_;
  std::shared_ptr<const inference::ModelInferRequest> request_;
};

}  // namespace

std::unique_ptr<BenchTransport> make_grpc_transport(const ServerUrl& url, const ServerBenchOptions& options) {
  return std::make_unique<GrpcTransport>(url, options);
}

}  // namespace fastserve::cli
