// The model manager's answers (metadata, configuration, statistics,
// repository index) as the gRPC messages of proto/grpc_service.proto and
// proto/model_config.proto. Pure field mapping, kept apart from the server
// so that it is tested without one.
#pragma once

#include <vector>

#include "fastserve/dtype.h"
#include "grpc_service.pb.h"
#include "model_config.pb.h"
#include "serve/model_config.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

// DType -> Triton's model-config enum (TYPE_FP32, ...); TYPE_INVALID when none.
inference::DataType grpc_config_data_type(DType t);

void model_metadata_to_proto(const ModelMetadata& metadata, inference::ModelMetadataResponse* out);

// The reduced Triton ModelConfig: name, platform, backend, version policy,
// max_batch_size, inputs and outputs, dynamic batching (max_queue_size 0
// reported as FastServe's bound, kDefaultMaxQueueSize, since 0 means
// unbounded to Triton's clients), one instance group, the default model
// file name, the "threads" parameter and the warmup samples.
void model_config_to_proto(const ModelConfig& config, inference::ModelConfig* out);

void model_statistics_to_proto(const ModelStatistics& stats, inference::ModelStatistics* out);

void repository_index_to_proto(const std::vector<RepositoryEntry>& entries, inference::RepositoryIndexResponse* out);

}  // namespace fastserve::serve
