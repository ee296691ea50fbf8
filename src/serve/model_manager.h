// The model manager: which models are loaded, in which versions, and the way
// into them. Front ends (HTTP, gRPC) call only this class; it owns the
// repository scan, loading (sessions + warmup), version swaps, the dynamic
// batchers, input validation against the model's metadata, statistics and
// the server's readiness.
//
// Thread-safe: every public method may be called from any thread at once.
// infer() blocks the calling thread until its batch has run (front ends call
// it from their own worker threads).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/status.h"
#include "serve/infer_request.h"
#include "serve/metrics.h"
#include "serve/model_config.h"

namespace fastserve::serve {

struct ManagerOptions {
  std::string repository;  // --model-repository DIR ("" = none)
  // --model NAME=PATH models: each served as version "1", config completed automatically.
  std::vector<std::pair<std::string, std::string>> explicit_models;
  int threads = 0;         // intra-op threads per instance when the config says none; 0 = all cores / instances
  std::string device = "cpu";
  // Poll the repository every this many ms for new / changed / removed
  // versions (0 = off; load and unload then only through the API).
  int64_t poll_ms = 0;
  // True once SIGTERM / SIGINT is pending, before drain() is called: the
  // server is then no longer ready (unset = never).
  std::function<bool()> stop_requested;
};

// One tensor as the v2 metadata lists it: shape with -1 for variable dims
// (the batch dim included when max_batch_size > 0).
struct TensorMetadata {
  std::string name;
  std::string datatype;  // "FP32", "INT64", ...
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;  // ready versions, ascending
  std::string platform;               // "onnxruntime_onnx"
  std::vector<TensorMetadata> inputs, outputs;
};

// GET /v2/repository/index rows.
struct RepositoryEntry {
  std::string name;
  std::string version;  // "" when the model has no loaded version
  std::string state;    // "READY", "UNAVAILABLE", "LOADING", "UNLOADING"
  std::string reason;   // why not ready ("" when ready)
};

// Triton's statistics extension, per model version.
struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};
struct BatchStat {
  int64_t batch_size = 0;
  DurationStat compute_input, compute_infer, compute_output;
};
struct ModelStatistics {
  std::string name;
  std::string version;
  uint64_t last_inference_ms = 0;  // ms since the epoch of the last request
  uint64_t inference_count = 0;    // items
  uint64_t execution_count = 0;    // batches
  DurationStat success, fail, queue, compute_input, compute_infer, compute_output;
  std::vector<BatchStat> batch_stats;
};

// What /classify needs beyond infer(): the model's metadata_props and path.
struct ModelInfo {
  std::string name;
  std::string version;
  std::string path;  // the model.onnx file
  std::map<std::string, std::string> metadata;
  ModelMetadata io;
  ModelConfig config;
};

class LoadedModel;  // one version: sessions, batcher, stats (model_manager.cc)

class ModelManager {
 public:
  ModelManager(ManagerOptions options, ServerMetrics& metrics);
  ~ModelManager();  // stops batchers after draining them
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Loads every model of the repository (and the explicit ones) at start-up;
  // errors name the model and file. Models that fail stay listed as
  // UNAVAILABLE with the reason; the returned status is the first failure.
  Status load_all();

  // Repository extension. load() (re)loads the versions the policy picks;
  // an already-loaded version set is replaced only once the new one is ready
  // (the old one serves until then and drains afterwards: no failed request).
  // `config_json` (optional, Triton's "parameters": {"config": "..."}) is
  // not supported yet and is an error when non-empty.
  Status load(const std::string& name, const std::string& config_json = "");
  Status unload(const std::string& name);
  std::vector<RepositoryEntry> repository_index(bool ready_only) const;

  // Health. live: the process serves requests. ready: live, not draining,
  // and every model that should be loaded is READY.
  bool server_live() const;
  bool server_ready() const;
  // version "" = any ready version.
  bool model_ready(const std::string& name, const std::string& version) const;

  Result<ModelMetadata> metadata(const std::string& name, const std::string& version) const;
  Result<ModelConfig> config(const std::string& name, const std::string& version) const;
  Result<ModelInfo> info(const std::string& name, const std::string& version) const;
  // name "" = every model; version "" = every loaded version.
  Result<std::vector<ModelStatistics>> statistics(const std::string& name, const std::string& version) const;

  // Validates the request against the model's metadata (names, datatypes,
  // shapes, batch size: kInvalidArgument naming the tensor), queues it on the
  // version's batcher and waits for its outputs. Errors:
  //   kNotFound          unknown model or version
  //   kUnavailable       not ready, loading, unloading or the server is draining
  //   kResourceExhausted the model's queue is full (answer 429 / RESOURCE_EXHAUSTED)
  //   kDeadlineExceeded  the request's timeout passed before it ran
  //   kInvalidArgument   the request does not match the model
  //   other              the session failed
  Result<InferResponse> infer(InferRequest request) const;

  // SIGTERM: from now on server_ready() is false and new infer() calls get
  // kUnavailable; returns once every request already admitted has finished
  // (or `timeout_ms` passed; false then).
  bool drain(int64_t timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HTTP status for a manager error (400, 404, 429, 503, 504, 500).
int http_status_for(const Status& status);

}  // namespace fastserve::serve
