// Manager answers -> gRPC messages (see grpc_messages.h).
#include "serve/grpc/grpc_messages.h"

#include <charconv>
#include <string>

namespace fastserve::serve {

namespace {

void tensor_metadata_to_proto(const TensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* out) {
  out->set_name(t.name);
  out->set_datatype(t.datatype);
  for (int64_t d : t.shape) out->add_shape(d);
}

void duration_to_proto(const DurationStat& d, inference::StatisticDuration* out) {
  out->set_count(d.count);
  out->set_ns(d.ns);
}

// "cuda:N" -> N; "cuda" -> 0; -1 for a CPU device.
int gpu_index(const std::string& device) {
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) != 0) return -1;
  int n = 0;
  const char* first = device.data() + 5;
  const char* last = device.data() + device.size();
  auto [ptr, ec] = std::from_chars(first, last, n);
  return (ec == std::errc() && ptr == last && n >= 0) ? n : 0;
}

}  // namespace

inference::DataType grpc_config_data_type(DType t) {
  switch (t) {
    case DType::kBool: return inference::TYPE_BOOL;
    case DType::kU8: return inference::TYPE_UINT8;
    case DType::kU16: return inference::TYPE_UINT16;
    case DType::kU32: return inference::TYPE_UINT32;
    case DType::kU64: return inference::TYPE_UINT64;
    case DType::kI8: return inference::TYPE_INT8;
    case DType::kI16: return inference::TYPE_INT16;
    case DType::kI32: return inference::TYPE_INT32;
    case DType::kI64: return inference::TYPE_INT64;
    case DType::kF16: return inference::TYPE_FP16;
    case DType::kF32: return inference::TYPE_FP32;
    case DType::kF64: return inference::TYPE_FP64;
    case DType::kString: return inference::TYPE_STRING;
    case DType::kBF16: return inference::TYPE_BF16;
    default: return inference::TYPE_INVALID;
  }
}

void model_metadata_to_proto(const ModelMetadata& m, inference::ModelMetadataResponse* out) {
  out->set_name(m.name);
  for (const std::string& v : m.versions) out->add_versions(v);
  out->set_platform(m.platform);
  for (const TensorMetadata& t : m.inputs) tensor_metadata_to_proto(t, out->add_inputs());
  for (const TensorMetadata& t : m.outputs) tensor_metadata_to_proto(t, out->add_outputs());
}

void model_config_to_proto(const ModelConfig& c, inference::ModelConfig* out) {
  out->set_name(c.name);
  out->set_platform(c.platform);
  out->set_backend(c.backend);
  auto* policy = out->mutable_version_policy();
  switch (c.version_policy.kind) {
    case VersionPolicy::Kind::kLatest:
      policy->mutable_latest()->set_num_versions(static_cast<uint32_t>(c.version_policy.num_versions));
      break;
    case VersionPolicy::Kind::kAll: policy->mutable_all(); break;
    case VersionPolicy::Kind::kSpecific:
      for (int64_t v : c.version_policy.versions) policy->mutable_specific()->add_versions(v);
      // An empty list still has to say "specific".
      policy->mutable_specific();
      break;
  }
  out->set_max_batch_size(static_cast<int32_t>(c.max_batch_size));
  for (const TensorConfig& t : c.inputs) {
    auto* in = out->add_input();
    in->set_name(t.name);
    in->set_data_type(grpc_config_data_type(t.dtype));
    for (int64_t d : t.dims) in->add_dims(d);
  }
  for (const TensorConfig& t : c.outputs) {
    auto* o = out->add_output();
    o->set_name(t.name);
    o->set_data_type(grpc_config_data_type(t.dtype));
    for (int64_t d : t.dims) o->add_dims(d);
  }

  const DynamicBatchingConfig& db = c.dynamic_batching;
  if (db.enabled) {
    auto* b = out->mutable_dynamic_batching();
    for (int64_t s : db.preferred_batch_sizes) b->add_preferred_batch_size(static_cast<int32_t>(s));
    b->set_max_queue_delay_microseconds(db.max_queue_delay_us);
    b->set_priority_levels(db.priority_levels);
    b->set_default_priority_level(db.default_priority_level);
    auto* q = b->mutable_default_queue_policy();
    q->set_timeout_action(inference::ModelQueuePolicy::REJECT);
    q->set_default_timeout_microseconds(db.default_timeout_us);
    q->set_allow_timeout_override(db.allow_timeout_override);
    q->set_max_queue_size(static_cast<uint32_t>(db.max_queue_size ? db.max_queue_size : kDefaultMaxQueueSize));
  }

  auto* group = out->add_instance_group();
  group->set_name(c.name + "_0");  // Triton names an unnamed group <model>_<index>
  group->set_count(static_cast<int32_t>(c.instance_count));
  const int gpu = gpu_index(c.device);
  if (gpu >= 0) {
    group->set_kind(inference::ModelInstanceGroup::KIND_GPU);
    group->add_gpus(gpu);
  } else {
    group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
  }

  out->set_default_model_filename(c.default_model_filename);
  if (c.threads > 0) (*out->mutable_parameters())["threads"].set_string_value(std::to_string(c.threads));

  for (const WarmupSample& w : c.warmup) {
    auto* s = out->add_model_warmup();
    s->set_name(w.name);
    s->set_batch_size(static_cast<uint32_t>(w.batch_size));
    s->set_count(static_cast<uint32_t>(w.count));
    for (const WarmupInput& in : w.inputs) {
      auto& i = (*s->mutable_inputs())[in.name];
      i.set_data_type(grpc_config_data_type(in.dtype));
      for (int64_t d : in.dims) i.add_dims(d);
      if (in.random) {
        i.set_random_data(true);
      } else {
        i.set_zero_data(true);
      }
    }
  }
}

void model_statistics_to_proto(const ModelStatistics& s, inference::ModelStatistics* out) {
  out->set_name(s.name);
  out->set_version(s.version);
  out->set_last_inference(s.last_inference_ms);
  out->set_inference_count(s.inference_count);
  out->set_execution_count(s.execution_count);
  auto* is = out->mutable_inference_stats();
  duration_to_proto(s.success, is->mutable_success());
  duration_to_proto(s.fail, is->mutable_fail());
  duration_to_proto(s.queue, is->mutable_queue());
  duration_to_proto(s.compute_input, is->mutable_compute_input());
  duration_to_proto(s.compute_infer, is->mutable_compute_infer());
  duration_to_proto(s.compute_output, is->mutable_compute_output());
  // FastServe has no response cache: cache_hit / cache_miss stay zero, as
  // Triton reports them for a model without one.
  is->mutable_cache_hit();
  is->mutable_cache_miss();
  for (const BatchStat& b : s.batch_stats) {
    auto* o = out->add_batch_stats();
    o->set_batch_size(static_cast<uint64_t>(b.batch_size));
    duration_to_proto(b.compute_input, o->mutable_compute_input());
    duration_to_proto(b.compute_infer, o->mutable_compute_infer());
    duration_to_proto(b.compute_output, o->mutable_compute_output());
  }
}

void repository_index_to_proto(const std::vector<RepositoryEntry>& entries, inference::RepositoryIndexResponse* out) {
  for (const RepositoryEntry& e : entries) {
    auto* m = out->add_models();
    m->set_name(e.name);
    m->set_version(e.version);
    m->set_state(e.state);
    m->set_reason(e.reason);
  }
}

}  // namespace fastserve::serve
