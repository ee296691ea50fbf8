// The gRPC front end (see grpc_frontend.h): one synchronous grpc::Service
// whose handlers call the model manager. Each handler is a small body run
// inside serve_call(), which does what every call shares: metrics, request
// id, authentication, status mapping, trailing metadata and the access log.
#include "serve/grpc/grpc_frontend.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "grpc_service.grpc.pb.h"
#include "serve/grpc/grpc_messages.h"
#include "serve/grpc/grpc_tensor.h"
#include "serve/request_log.h"

namespace fastserve::serve {

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(10);

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string_view client_metadata(const grpc::ServerContext* ctx, std::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return {it->second.data(), it->second.size()};
}

Result<std::string> read_pem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("gRPC TLS " + std::string(what) + " '" + path + "': cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof())
    return invalid_argument("gRPC TLS " + std::string(what) + " '" + path + "': read failed");
  std::string pem = ss.str();
  if (pem.find("-----BEGIN") == std::string::npos)
    return invalid_argument("gRPC TLS " + std::string(what) + " '" + path + "': not a PEM file");
  return pem;
}

// "[::1]:8001" for IPv6 literals, "host:8001" otherwise.
std::string listen_address(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[')
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

// What one call reports to the access log and trailing metadata.
struct CallInfo {
  Clock::time_point start;
  std::string request_id;
  std::string model, version;
  bool has_timing = false;  // a ModelInfer that ran: send server-timing
  double queue_ms = 0, compute_ms = 0;
};

class InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  InferenceService(ModelManager& manager, ServerMetrics& metrics, Authenticator* auth)
      : manager_(manager), metrics_(metrics), auth_(auth) {}

  grpc::Status ServerLive(grpc::ServerContext* ctx, const inference::ServerLiveRequest* req,
                          inference::ServerLiveResponse* resp) override {
    return serve_call(ctx, "ServerLive", false, {}, *req, *resp, [&](CallInfo&) {
      resp->set_live(manager_.server_live());
      return ok_status();
    });
  }

  grpc::Status ServerReady(grpc::ServerContext* ctx, const inference::ServerReadyRequest* req,
                           inference::ServerReadyResponse* resp) override {
    return serve_call(ctx, "ServerReady", false, {}, *req, *resp, [&](CallInfo&) {
      resp->set_ready(manager_.server_ready());
      return ok_status();
    });
  }

  grpc::Status ModelReady(grpc::ServerContext* ctx, const inference::ModelReadyRequest* req,
                          inference::ModelReadyResponse* resp) override {
    return serve_call(ctx, "ModelReady", true, {}, *req, *resp, [&](CallInfo& info) {
      info.model = req->name();
      info.version = req->version();
      resp->set_ready(manager_.model_ready(req->name(), req->version()));
      return ok_status();
    });
  }

  grpc::Status ServerMetadata(grpc::ServerContext* ctx, const inference::ServerMetadataRequest* req,
                              inference::ServerMetadataResponse* resp) override {
    return serve_call(ctx, "ServerMetadata", true, {}, *req, *resp, [&](CallInfo&) {
      resp->set_name("fastserve");
      resp->set_version(FASTSERVE_VERSION);
      for (const char* e : kServerExtensions) resp->add_extensions(e);
      return ok_status();
    });
  }

  grpc::Status ModelMetadata(grpc::ServerContext* ctx, const inference::ModelMetadataRequest* req,
                             inference::ModelMetadataResponse* resp) override {
    return serve_call(ctx, "ModelMetadata", true, {}, *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->name();
      info.version = req->version();
      FS_ASSIGN_OR_RETURN(const serve::ModelMetadata m, manager_.metadata(req->name(), req->version()));
      model_metadata_to_proto(m, resp);
      return ok_status();
    });
  }

  grpc::Status ModelInfer(grpc::ServerContext* ctx, const inference::ModelInferRequest* req,
                          inference::ModelInferResponse* resp) override {
    return serve_call(ctx, "ModelInfer", true, req->id(), *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->model_name();
      info.version = req->model_version();
      FS_ASSIGN_OR_RETURN(InferRequest request, infer_request_from_proto(*req));
      request.id = info.request_id;
      request.arrival = info.start;
      FS_ASSIGN_OR_RETURN(InferResponse response, manager_.infer(std::move(request)));
      info.version = response.version;
      FS_RETURN_IF_ERROR(infer_response_to_proto(response, resp));
      // The protocol echoes the client's own id (empty when it sent none);
      // the chosen id travels in the x-request-id trailer.
      resp->set_id(req->id());
      info.has_timing = true;
      info.queue_ms = static_cast<double>(response.timing.queue_us) / 1000.0;
      info.compute_ms = static_cast<double>(response.timing.compute_us) / 1000.0;
      return ok_status();
    });
  }

  grpc::Status ModelConfig(grpc::ServerContext* ctx, const inference::ModelConfigRequest* req,
                           inference::ModelConfigResponse* resp) override {
    return serve_call(ctx, "ModelConfig", true, {}, *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->name();
      info.version = req->version();
      FS_ASSIGN_OR_RETURN(const serve::ModelConfig c, manager_.config(req->name(), req->version()));
      model_config_to_proto(c, resp->mutable_config());
      return ok_status();
    });
  }

  grpc::Status ModelStatistics(grpc::ServerContext* ctx, const inference::ModelStatisticsRequest* req,
                               inference::ModelStatisticsResponse* resp) override {
    return serve_call(ctx, "ModelStatistics", true, {}, *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->name();
      info.version = req->version();
      FS_ASSIGN_OR_RETURN(const std::vector<serve::ModelStatistics> stats,
                          manager_.statistics(req->name(), req->version()));
      for (const serve::ModelStatistics& s : stats) model_statistics_to_proto(s, resp->add_model_stats());
      return ok_status();
    });
  }

  grpc::Status RepositoryIndex(grpc::ServerContext* ctx, const inference::RepositoryIndexRequest* req,
                               inference::RepositoryIndexResponse* resp) override {
    // FastServe has one repository: repository_name selects nothing.
    return serve_call(ctx, "RepositoryIndex", true, {}, *req, *resp, [&](CallInfo&) {
      repository_index_to_proto(manager_.repository_index(req->ready()), resp);
      return ok_status();
    });
  }

  grpc::Status RepositoryModelLoad(grpc::ServerContext* ctx, const inference::RepositoryModelLoadRequest* req,
                                   inference::RepositoryModelLoadResponse* resp) override {
    return serve_call(ctx, "RepositoryModelLoad", true, {}, *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->model_name();
      if (req->model_name().empty()) return invalid_argument("RepositoryModelLoadRequest: model_name is missing");
      std::string config_json;
      for (const auto& [key, value] : req->parameters()) {
        if (key == "config") {
          if (value.parameter_choice_case() != inference::ModelRepositoryParameter::kStringParam)
            return invalid_argument("parameter 'config' must be a string_param holding the configuration as JSON");
          config_json = value.string_param();
        } else {
          // Triton's "file:<path>" parameters upload model files; FastServe
          // loads from its repository only.
          return unsupported("parameter '" + key + "' is not supported by RepositoryModelLoad");
        }
      }
      return manager_.load(req->model_name(), config_json);
    });
  }

  grpc::Status RepositoryModelUnload(grpc::ServerContext* ctx, const inference::RepositoryModelUnloadRequest* req,
                                     inference::RepositoryModelUnloadResponse* resp) override {
    // "unload_dependents" is accepted and means nothing: there are no ensembles.
    return serve_call(ctx, "RepositoryModelUnload", true, {}, *req, *resp, [&](CallInfo& info) -> Status {
      info.model = req->model_name();
      if (req->model_name().empty()) return invalid_argument("RepositoryModelUnloadRequest: model_name is missing");
      return manager_.unload(req->model_name());
    });
  }

 private:
  // Checks the caller's key. Returns OK, UNAUTHENTICATED or RESOURCE_EXHAUSTED
  // (with a retry-after trailer).
  grpc::Status authenticate(grpc::ServerContext* ctx) {
    const AuthDecision d = auth_->check(client_metadata(ctx, "authorization"), client_metadata(ctx, "x-api-key"));
    switch (d.outcome) {
      case AuthDecision::Outcome::kAllowed: return grpc::Status::OK;
      case AuthDecision::Outcome::kUnauthenticated:
        metrics_.auth_failures.inc();
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "missing or invalid API key (send metadata 'authorization: Bearer <key>' or "
                            "'x-api-key: <key>')");
      case AuthDecision::Outcome::kRateLimited: {
        metrics_.rate_limited.inc();
        const long secs = std::max(1L, static_cast<long>(std::ceil(d.retry_after_s)));
        ctx->AddTrailingMetadata("retry-after", std::to_string(secs));
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "rate limit exceeded for API key '" + d.key_name + "'; retry after " +
                                std::to_string(secs) + " s");
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown authentication outcome");
  }

  template <typename Req, typename Resp, typename Body>
  grpc::Status serve_call(grpc::ServerContext* ctx, const char* rpc, bool needs_auth, std::string_view protocol_id,
                          const Req& req, const Resp& resp, Body&& body) {
    CallInfo info;
    info.start = Clock::now();
    metrics_.grpc_requests_total.inc();
    metrics_.inflight.inc();
    info.request_id = choose_request_id(protocol_id, client_metadata(ctx, "x-request-id"),
                                        client_metadata(ctx, "traceparent"));
    ctx->AddTrailingMetadata("x-request-id", info.request_id);

    grpc::Status result = (auth_ != nullptr && needs_auth) ? authenticate(ctx) : grpc::Status::OK;
    if (result.ok()) {
      Status status;
      try {
        status = body(info);
      } catch (const std::exception& e) {
        // Nothing below throws by design; a third-party exception (an
        // allocation failure, say) must still not take the server down.
        status = internal_error(std::string(rpc) + ": unexpected exception: " + e.what());
      } catch (...) {
        status = internal_error(std::string(rpc) + ": unexpected exception");
      }
      result = to_grpc_status(status);
      if (status.code() == StatusCode::kResourceExhausted) ctx->AddTrailingMetadata("retry-after", "1");
    }

    const double total_ms = ms_between(info.start, Clock::now());
    if (info.has_timing && result.ok()) {
      char timing[128];
      std::snprintf(timing, sizeof timing, "queue;dur=%.3f, compute;dur=%.3f, total;dur=%.3f", info.queue_ms,
                    info.compute_ms, total_ms);
      ctx->AddTrailingMetadata("server-timing", timing);
    }

    const std::string path = std::string("/inference.GRPCInferenceService/") + rpc;
    const std::string peer = ctx->peer();
    const std::string error = result.error_message();  // returned by value: keep it alive
    AccessRecord record;
    record.protocol = "grpc";
    record.method = rpc;
    record.path = path;
    record.request_id = info.request_id;
    record.model = info.model;
    record.version = info.version;
    record.peer = peer;
    record.status = static_cast<int>(result.error_code());
    record.total_ms = total_ms;
    record.queue_ms = info.queue_ms;
    record.compute_ms = info.compute_ms;
    record.bytes_in = req.ByteSizeLong();
    record.bytes_out = result.ok() ? resp.ByteSizeLong() : 0;
    record.error = error;
    log_access(record);
    metrics_.inflight.dec();
    return result;
  }

  ModelManager& manager_;
  ServerMetrics& metrics_;
  Authenticator* auth_;
};

}  // namespace

struct GrpcFrontend::Impl {
  // The service must outlive the server that dispatches into it: declared first.
  std::unique_ptr<InferenceService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;
};

namespace {

// gRPC's own messages (a failed TLS handshake, a broken connection) would go
// to stderr in glog format; route them into the JSON log like everything else.
void log_grpc_message(gpr_log_func_args* args) {
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kWarn
                         : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                   : LogLevel::kDebug;
  log_event(level, std::string("grpc: ") + (args->message != nullptr ? args->message : ""));
}

}  // namespace

Result<std::unique_ptr<GrpcFrontend>> GrpcFrontend::start(const GrpcOptions& options, ModelManager& manager,
                                                          ServerMetrics& metrics, Authenticator* auth) {
  gpr_set_log_function(&log_grpc_message);
  if (options.port < 0 || options.port > 65535)
    return invalid_argument("gRPC port " + std::to_string(options.port) + " is outside 0..65535");
  if (options.host.empty()) return invalid_argument("gRPC host is empty");
  if (options.threads < 0) return invalid_argument("gRPC threads must be >= 0, got " + std::to_string(options.threads));
  if (options.max_message_bytes == 0 || options.max_message_bytes > static_cast<size_t>(INT_MAX))
    return invalid_argument("gRPC max message size must be 1.." + std::to_string(INT_MAX) + " bytes, got " +
                            std::to_string(options.max_message_bytes));

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls_cert.empty() != options.tls_key.empty())
    return invalid_argument(std::string("gRPC TLS needs both a certificate and a key; only the ") +
                            (options.tls_cert.empty() ? "key" : "certificate") + " is set");
  if (!options.tls_cert.empty()) {
    FS_ASSIGN_OR_RETURN(std::string cert, read_pem(options.tls_cert, "certificate"));
    FS_ASSIGN_OR_RETURN(std::string key, read_pem(options.tls_key, "key"));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  // A blocked handler thread is cheap (it sleeps in infer()), and too few of
  // them would cap how many requests the dynamic batcher can gather.
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // grpc keeps up to two polling threads of its own inside the same quota.
  const int threads = std::max(4, options.threads > 0 ? options.threads : std::max(64, 8 * hw));

  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<InferenceService>(manager, metrics, auth);
  const std::string address = listen_address(options.host, options.port);
  int selected_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, creds, &selected_port);
  builder.RegisterService(impl->service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  // Without this grpc sets SO_REUSEPORT and a second server on the same port
  // "succeeds" and steals half the connections; a busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("fastserve_grpc");
  quota.SetMaxThreads(threads);
  builder.SetResourceQuota(quota);
  impl->server = builder.BuildAndStart();
  if (!impl->server || selected_port == 0)
    return Status(StatusCode::kUnavailable, "gRPC: cannot listen on " + address + " (port in use or address not local)");
  impl->port = selected_port;
  log_event(LogLevel::kInfo, "gRPC listening on " + listen_address(options.host, selected_port) +
                                 (options.tls_cert.empty() ? "" : " (TLS)") + ", " + std::to_string(threads) +
                                 " threads");
  return std::make_unique<GrpcFrontend>(std::move(impl));
}

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcFrontend::~GrpcFrontend() { stop(); }

int GrpcFrontend::port() const { return impl_->port; }

void GrpcFrontend::stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped || !impl_->server) return;
  impl_->stopped = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  impl_->server->Wait();
}

}  // namespace fastserve::serve
