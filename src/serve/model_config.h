// Per-model serving configuration: what Triton's config.pbtxt says, in the
// subset FastServe acts on. Read from <repository>/<model>/config.pbtxt
// (protobuf text format, Triton's field names) or completed automatically
// from the model's inputs and outputs when the file is absent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/dtype.h"
#include "fastserve/status.h"

namespace fastserve::serve {

struct DynamicBatchingConfig {
  bool enabled = false;                        // the `dynamic_batching { }` block is present
  std::vector<int64_t> preferred_batch_sizes;  // preferred_batch_size: [4, 8]
  uint64_t max_queue_delay_us = 0;             // max_queue_delay_microseconds
  // priority_levels: N levels, 1 highest; 0 = priorities off (one level).
  uint32_t priority_levels = 0;
  uint32_t default_priority_level = 0;
  // default_queue_policy { max_queue_size, default_timeout_microseconds, ... }
  // max_queue_size 0 = FastServe's bound (kDefaultMaxQueueSize), never unbounded.
  uint64_t max_queue_size = 0;
  uint64_t default_timeout_us = 0;  // 0 = no deadline
  bool allow_timeout_override = true;
};
inline constexpr uint64_t kDefaultMaxQueueSize = 1024;

// version_policy { latest { num_versions: 1 } } | { all { } } | { specific { versions: [1,3] } }
struct VersionPolicy {
  enum class Kind { kLatest, kAll, kSpecific };
  Kind kind = Kind::kLatest;
  int64_t num_versions = 1;         // kLatest
  std::vector<int64_t> versions;    // kSpecific
};

// One input or output as declared in the config (optional; checked against the model).
struct TensorConfig {
  std::string name;
  DType dtype = DType::kUndefined;  // data_type: TYPE_FP32, ...
  std::vector<int64_t> dims;        // without the batch dim when max_batch_size > 0; -1 = any
};

// model_warmup [{ name, batch_size, inputs { key: "input" value { data_type, dims, zero_data | random_data } } }]
struct WarmupInput {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> dims;  // without the batch dim when max_batch_size > 0
  bool random = false;        // random_data: true; else zero_data
};
struct WarmupSample {
  std::string name;
  int64_t batch_size = 1;
  int64_t count = 1;  // how many times to run it
  std::vector<WarmupInput> inputs;
};

struct ModelConfig {
  std::string name;
  std::string platform = "onnxruntime_onnx";  // what Triton calls an ONNX model
  std::string backend = "fastserve";
  // > 0: every input and output has a leading batch dim of at most this many
  // items, which the batcher may concatenate across requests; 0: no batch dim.
  int64_t max_batch_size = 0;
  DynamicBatchingConfig dynamic_batching;
  int64_t instance_count = 1;   // instance_group [{ count: 2, kind: KIND_CPU }]
  std::string device = "cpu";   // KIND_CPU -> "cpu", KIND_GPU (gpus: [N]) -> "cuda:N"
  int64_t threads = 0;          // parameters { key: "threads" value { string_value: "2" } }; 0 = server default
  VersionPolicy version_policy;
  std::vector<TensorConfig> inputs, outputs;
  std::vector<WarmupSample> warmup;
  std::string default_model_filename = "model.onnx";
};

// Parses config.pbtxt text. `where` names the file in errors
// ("repo/m/config.pbtxt: line 4: unknown field 'max_batch'"). Unknown fields
// that Triton defines but FastServe ignores are accepted (listed in docs/serving.md);
// unknown names and bad values are errors.
Result<ModelConfig> parse_model_config(std::string_view pbtxt, const std::string& where);

// Triton's model-configuration JSON (the /v2/models/{m}/config answer): the
// field names and shapes of Triton's ModelConfig message in its JSON mapping.
std::string model_config_to_json(const ModelConfig& config);

// "TYPE_FP32" <-> DType. kUndefined when unknown.
DType dtype_from_config_name(std::string_view name);
const char* dtype_config_name(DType t);

}  // namespace fastserve::serve
