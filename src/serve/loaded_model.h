// One loaded model version: the parsed model, its sessions (one per
// instance) behind a dynamic batcher, its metadata and metrics. Created by
// load_model_version (warmup included: a LoadedModel exists only once it can
// serve), shared by the requests that use it, destroyed after draining.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "fastserve/graph.h"
#include "serve/batcher.h"
#include "serve/model_config.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

class LoadedModel {
 public:
  std::string name;
  std::string version;
  std::string path;
  std::string signature;  // repository signature it was loaded from ("" for explicit models)
  ModelConfig config;     // completed: batch size and IO filled in from the model
  // The file's metadata_props and weight bytes. The parsed Model itself is
  // not kept: the sessions hold what they run, and a kept copy would keep
  // every weight resident beside its packed form.
  std::map<std::string, std::string> model_metadata;
  size_t weight_bytes = 0;
  ModelMetadata io;
  ModelMetrics metrics;
  std::unique_ptr<DynamicBatcher> batcher;
  double load_seconds = 0;
};

struct LoadSettings {
  int threads = 0;  // per instance; 0 = hardware threads / instances
  std::string device = "cpu";
  bool has_config = false;  // false: complete the config from the model (auto batch size)
};

// Loads `path` as `name` version `version` with `config`; errors name the
// model, version and file.
Result<std::shared_ptr<LoadedModel>> load_model_version(const std::string& name, const std::string& version,
                                                        const std::string& path, ModelConfig config,
                                                        const LoadSettings& settings, MetricsRegistry& registry);

// Puts the request's inputs in model order and checks names, datatypes,
// shapes and the batch dim against the model; returns the batch-dim size
// (1 when the model has no batch dim). Errors are kInvalidArgument naming the tensor.
Result<int64_t> validate_request(const LoadedModel& model, InferRequest& request);

// Auto-completed max_batch_size for a model without config.pbtxt whose
// inputs and outputs all have a symbolic leading dim.
inline constexpr int64_t kAutoMaxBatchSize = 32;

}  // namespace fastserve::serve
