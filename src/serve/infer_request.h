// One inference request and its answer as every front end (HTTP, gRPC) hands
// it to the model manager: tensors already decoded, names and options parsed.
// The front ends own the wire formats; nothing here knows JSON or protobuf.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve::serve {

using Clock = std::chrono::steady_clock;

// Protocol extensions both front ends list in the server metadata (GET /v2,
// ServerMetadata): what is implemented, the same over HTTP and gRPC.
inline constexpr const char* kServerExtensions[] = {
    "binary_tensor_data", "model_configuration", "statistics", "model_repository", "schedule_policy", "parameters",
};

struct InferRequest {
  std::string id;        // the client's request id ("" = none); echoed in the response
  std::string model;     // model name
  std::string version;   // "" = the model's newest ready version
  std::vector<NamedTensor> inputs;
  // Outputs to return, by name; empty = all of the model's outputs.
  std::vector<std::string> outputs;
  // Scheduling: 0 = the model's default priority level; 1 is the highest.
  uint32_t priority = 0;
  // Drop the request if it has not started running this long after arrival;
  // 0 = the model's default timeout (which may be none).
  uint64_t timeout_us = 0;
  // When the front end received the request (queue time counts from here).
  Clock::time_point arrival = Clock::now();
};

// Where the time went, for Server-Timing headers, logs and metrics.
struct InferTiming {
  uint64_t queue_us = 0;    // arrival -> the batch containing it starts
  uint64_t compute_us = 0;  // Session::run of that batch (including concat/split)
  int64_t batch_size = 0;   // items in the batch this request ran in (sum of dim 0)
};

struct InferResponse {
  std::string id;
  std::string model;
  std::string version;
  std::vector<NamedTensor> outputs;  // in the requested order (model order when none requested)
  InferTiming timing;
};

}  // namespace fastserve::serve
