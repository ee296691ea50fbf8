// ModelConfig -> Triton's model-configuration JSON (GET /v2/models/{m}/config),
// and the TYPE_* data-type names config.pbtxt uses. Field names and nesting
// follow Triton's ModelConfig message in its JSON mapping; 64-bit integers
// are written as JSON numbers, as Triton's own answer does.
#include <string>

#include "serve/model_config.h"
#include "serve/request_log.h"

namespace fastserve::serve {

namespace {

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::kBool, "TYPE_BOOL"},   {DType::kU8, "TYPE_UINT8"},   {DType::kU16, "TYPE_UINT16"},
    {DType::kU32, "TYPE_UINT32"},  {DType::kU64, "TYPE_UINT64"}, {DType::kI8, "TYPE_INT8"},
    {DType::kI16, "TYPE_INT16"},   {DType::kI32, "TYPE_INT32"},  {DType::kI64, "TYPE_INT64"},
    {DType::kF16, "TYPE_FP16"},    {DType::kF32, "TYPE_FP32"},   {DType::kF64, "TYPE_FP64"},
    {DType::kString, "TYPE_STRING"}, {DType::kBF16, "TYPE_BF16"},
};

void append_int_list(std::string& out, const std::vector<int64_t>& v) {
  out.push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(v[i]);
  }
  out.push_back(']');
}

void append_key(std::string& out, const char* key) {
  out.push_back('"');
  out += key;
  out += "\":";
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

void append_tensor(std::string& out, const TensorConfig& t, bool is_input) {
  out += "{\"name\":";
  append_json_string(out, t.name);
  out += ",\"data_type\":";
  append_json_string(out, dtype_config_name(t.dtype));
  if (is_input) out += ",\"format\":\"FORMAT_NONE\"";
  out += ",\"dims\":";
  append_int_list(out, t.dims);
  if (is_input) {
    out += ",\"is_shape_tensor\":false,\"allow_ragged_batch\":false,\"optional\":false}";
  } else {
    out += ",\"label_filename\":\"\",\"is_shape_tensor\":false}";
  }
}

void append_version_policy(std::string& out, const VersionPolicy& p) {
  switch (p.kind) {
    case VersionPolicy::Kind::kLatest:
      out += "{\"latest\":{\"num_versions\":" + std::to_string(p.num_versions) + "}}";
      break;
    case VersionPolicy::Kind::kAll:
      out += "{\"all\":{}}";
      break;
    case VersionPolicy::Kind::kSpecific:
      out += "{\"specific\":{\"versions\":";
      append_int_list(out, p.versions);
      out += "}}";
      break;
  }
}

void append_instance_group(std::string& out, const ModelConfig& c) {
  // "cuda" or "cuda:N" is a GPU group; everything else runs on the CPU.
  bool gpu = c.device.rfind("cuda", 0) == 0;
  std::string gpu_id = "0";
  if (auto colon = c.device.find(':'); gpu && colon != std::string::npos) gpu_id = c.device.substr(colon + 1);
  out += "[{\"name\":";
  append_json_string(out, c.name + "_0");  // Triton names unnamed groups <model>_<index>
  out += gpu ? ",\"kind\":\"KIND_GPU\"" : ",\"kind\":\"KIND_CPU\"";
  out += ",\"count\":" + std::to_string(c.instance_count);
  out += ",\"gpus\":[";
  if (gpu) out += gpu_id;
  out += "]}]";
}

void append_dynamic_batching(std::string& out, const DynamicBatchingConfig& d) {
  out += "{\"preferred_batch_size\":";
  append_int_list(out, d.preferred_batch_sizes);
  out += ",\"max_queue_delay_microseconds\":" + std::to_string(d.max_queue_delay_us);
  out += ",\"preserve_ordering\":false";
  out += ",\"priority_levels\":" + std::to_string(d.priority_levels);
  out += ",\"default_priority_level\":" + std::to_string(d.default_priority_level);
  // The queue bound actually enforced: FastServe never runs unbounded.
  uint64_t bound = d.max_queue_size ? d.max_queue_size : kDefaultMaxQueueSize;
  out += ",\"default_queue_policy\":{\"timeout_action\":\"REJECT\"";
  out += ",\"default_timeout_microseconds\":" + std::to_string(d.default_timeout_us);
  out += ",\"allow_timeout_override\":";
  out += bool_text(d.allow_timeout_override);
  out += ",\"max_queue_size\":" + std::to_string(bound) + "}";
  out += ",\"priority_queue_policy\":{}}";
}

void append_warmup(std::string& out, const std::vector<WarmupSample>& samples) {
  out.push_back('[');
  for (size_t i = 0; i < samples.size(); ++i) {
    const WarmupSample& w = samples[i];
    if (i) out.push_back(',');
    out += "{\"name\":";
    append_json_string(out, w.name);
    out += ",\"batch_size\":" + std::to_string(w.batch_size);
    out += ",\"inputs\":{";
    for (size_t j = 0; j < w.inputs.size(); ++j) {
      const WarmupInput& in = w.inputs[j];
      if (j) out.push_back(',');
      append_json_string(out, in.name);
      out += ":{\"data_type\":";
      append_json_string(out, dtype_config_name(in.dtype));
      out += ",\"dims\":";
      append_int_list(out, in.dims);
      out += in.random ? ",\"random_data\":true}" : ",\"zero_data\":true}";
    }
    out += "},\"count\":" + std::to_string(w.count) + "}";
  }
  out.push_back(']');
}

}  // namespace

DType dtype_from_config_name(std::string_view name) {
  for (const DTypeName& d : kDTypeNames)
    if (name == d.name) return d.dtype;
  return DType::kUndefined;
}

const char* dtype_config_name(DType t) {
  for (const DTypeName& d : kDTypeNames)
    if (t == d.dtype) return d.name;
  return "TYPE_INVALID";
}

std::string model_config_to_json(const ModelConfig& c) {
  std::string out;
  out.reserve(512);
  out += "{\"name\":";
  append_json_string(out, c.name);
  out += ",\"platform\":";
  append_json_string(out, c.platform);
  out += ",\"backend\":";
  append_json_string(out, c.backend);
  out += ",";
  append_key(out, "version_policy");
  append_version_policy(out, c.version_policy);
  out += ",\"max_batch_size\":" + std::to_string(c.max_batch_size);
  for (bool is_input : {true, false}) {
    const std::vector<TensorConfig>& list = is_input ? c.inputs : c.outputs;
    out += is_input ? ",\"input\":[" : ",\"output\":[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out.push_back(',');
      append_tensor(out, list[i], is_input);
    }
    out.push_back(']');
  }
  out += ",";
  append_key(out, "instance_group");
  append_instance_group(out, c);
  if (c.dynamic_batching.enabled) {
    out += ",";
    append_key(out, "dynamic_batching");
    append_dynamic_batching(out, c.dynamic_batching);
  }
  out += ",\"default_model_filename\":";
  append_json_string(out, c.default_model_filename);
  out += ",";
  append_key(out, "model_warmup");
  append_warmup(out, c.warmup);
  out += ",\"parameters\":{";
  if (c.threads > 0) out += "\"threads\":{\"string_value\":\"" + std::to_string(c.threads) + "\"}";
  out += "}}";
  return out;
}

}  // namespace fastserve::serve
