// config.pbtxt -> ModelConfig: maps Triton's field names (model_config.proto)
// onto the subset FastServe acts on, accepts the Triton fields it does not
// act on without looking inside them, and rejects everything else, so a typo
// is an error naming its line instead of a silently ignored setting.
// docs/serving_config.md lists the fields, defaults and ignored ones.
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "serve/model_config.h"
#include "serve/pbtxt.h"

namespace fastserve::serve {

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

bool one_of(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

std::string join_path(const std::string& ctx, const std::string& name) {
  return ctx.empty() ? name : ctx + "." + name;
}

// The state shared by one message's reader: where errors go, the message's
// dotted path, and which singular fields were seen (protobuf rejects a
// non-repeated field given twice; so do we, since the second would win silently).
class MessageReader {
 public:
  MessageReader(const std::string& where, std::string ctx) : where_(where), ctx_(std::move(ctx)) {}

  std::string path(const PbField& f) const { return join_path(ctx_, f.name); }
  const std::string& where() const { return where_; }

  Status once(const PbField& f) {
    auto [it, inserted] = seen_.emplace(f.name, f.name_line);
    if (!inserted)
      return pb_error(where_, f.name_line,
                      path(f) + " given twice (first on line " + std::to_string(it->second) + ")");
    return ok_status();
  }
  bool seen(const std::string& name) const { return seen_.count(name) != 0; }

  Status unknown(const PbField& f) const {
    std::string msg = "unknown field '" + f.name + "'";
    if (!ctx_.empty()) msg += " in " + ctx_;
    return pb_error(where_, f.name_line, msg);
  }
  Status error(const PbField& f, const std::string& msg) const { return pb_error(where_, f.line, msg); }

  Result<int64_t> int64(const PbField& f) const { return pb_int64(f, where_, path(f)); }
  Result<uint64_t> uint64(const PbField& f) const { return pb_uint64(f, where_, path(f)); }
  Result<bool> boolean(const PbField& f) const { return pb_bool(f, where_, path(f)); }
  Result<std::string> string(const PbField& f) const { return pb_string(f, where_, path(f)); }
  Result<std::string> enumeration(const PbField& f) const { return pb_enum(f, where_, path(f)); }
  Result<const std::vector<PbField>*> message(const PbField& f) const { return pb_message(f, where_, path(f)); }
  // The fields of the message this reader reads (named by its own path).
  Result<const std::vector<PbField>*> body(const PbField& f) const { return pb_message(f, where_, ctx_); }

  // An int64 in [lo, hi], named in the error.
  Result<int64_t> int_in(const PbField& f, int64_t lo, int64_t hi) const {
    FS_ASSIGN_OR_RETURN(int64_t v, int64(f));
    if (v < lo || v > hi)
      return error(f, path(f) + ": " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
    return v;
  }

  Result<DType> dtype(const PbField& f) const {
    FS_ASSIGN_OR_RETURN(std::string name, enumeration(f));
    DType t = dtype_from_config_name(name);
    if (t == DType::kUndefined) return error(f, path(f) + ": unknown data type '" + name + "'");
    return t;
  }

 private:
  const std::string& where_;
  std::string ctx_;
  std::map<std::string, int> seen_;
};

// Lines of values that can only be checked once the whole file is read
// (max_batch_size may come after dynamic_batching or model_warmup).
struct Deferred {
  std::vector<std::pair<int64_t, int>> preferred;     // size, line
  std::vector<std::pair<int64_t, int>> warmup_batch;  // batch_size, line
};

Status parse_tensor(const PbField& f, const std::string& where, bool is_input, TensorConfig& out) {
  const char* kind = is_input ? "input" : "output";
  MessageReader r(where, kind);
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  for (const PbField& c : *fields) {
    if (c.name == "name") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.name, r.string(c));
    } else if (c.name == "data_type") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.dtype, r.dtype(c));
    } else if (c.name == "dims") {
      FS_ASSIGN_OR_RETURN(int64_t d, r.int_in(c, -1, std::numeric_limits<int64_t>::max()));
      out.dims.push_back(d);
    } else if (one_of(c.name, {"reshape", "is_shape_tensor", "is_non_linear_format_io"}) ||
               (is_input && one_of(c.name, {"format", "allow_ragged_batch", "optional"})) ||
               (!is_input && c.name == "label_filename")) {
      // Triton fields FastServe does not act on.
    } else {
      return r.unknown(c);
    }
  }
  if (out.name.empty()) return pb_error(where, f.line, std::string(kind) + " needs a name");
  return ok_status();
}

// One instance_group entry, resolved to a device ("" = KIND_AUTO without
// gpus: leave the server's choice).
struct InstanceGroup {
  int64_t count = 1;
  std::string device;
};

Result<InstanceGroup> parse_instance_group(const PbField& f, const std::string& where) {
  MessageReader r(where, "instance_group");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  InstanceGroup g;
  std::string kind = "KIND_AUTO";  // Triton's default
  std::vector<int64_t> gpus;
  int kind_line = f.line, gpus_line = f.line;
  for (const PbField& c : *fields) {
    if (c.name == "count") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(g.count, r.int_in(c, 1, kInt32Max));
    } else if (c.name == "kind") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(kind, r.enumeration(c));
      kind_line = c.line;
      if (!one_of(kind, {"KIND_AUTO", "KIND_GPU", "KIND_CPU", "KIND_MODEL"}))
        return r.error(c, "instance_group.kind: unknown kind '" + kind + "' (KIND_CPU, KIND_GPU, KIND_AUTO)");
    } else if (c.name == "gpus") {
      FS_ASSIGN_OR_RETURN(int64_t id, r.int_in(c, 0, kInt32Max));
      gpus.push_back(id);
      gpus_line = c.line;
    } else if (one_of(c.name, {"name", "rate_limiter", "secondary_devices", "profile", "passive", "host_policy"})) {
      // accepted, not acted on
    } else {
      return r.unknown(c);
    }
  }
  if (kind == "KIND_MODEL")
    return Status(StatusCode::kUnsupported,
                  where + ": line " + std::to_string(kind_line) +
                      ": instance_group.kind: KIND_MODEL is not supported (use KIND_CPU or KIND_GPU)");
  if (kind == "KIND_CPU") {
    if (!gpus.empty()) return pb_error(where, gpus_line, "instance_group.gpus: not valid with KIND_CPU");
    g.device = "cpu";
    return g;
  }
  if (gpus.size() > 1)
    return Status(StatusCode::kUnsupported,
                  where + ": line " + std::to_string(gpus_line) +
                      ": instance_group.gpus: a model runs on one device; list one GPU per model");
  if (!gpus.empty()) {
    g.device = "cuda:" + std::to_string(gpus[0]);
  } else if (kind == "KIND_GPU") {
    g.device = "cuda:0";  // Triton: every GPU; FastServe serves a model on one
  }
  return g;
}

Status parse_queue_policy(const PbField& f, const std::string& where, DynamicBatchingConfig& out) {
  MessageReader r(where, "dynamic_batching.default_queue_policy");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  for (const PbField& c : *fields) {
    if (c.name == "max_queue_size") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(int64_t v, r.int_in(c, 0, std::numeric_limits<uint32_t>::max()));
      out.max_queue_size = static_cast<uint64_t>(v);
    } else if (c.name == "default_timeout_microseconds") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.default_timeout_us, r.uint64(c));
    } else if (c.name == "allow_timeout_override") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.allow_timeout_override, r.boolean(c));
    } else if (c.name == "timeout_action") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(std::string action, r.enumeration(c));
      // FastServe always rejects a request whose deadline passed; DELAY is
      // accepted so Triton configs load, and documented as acting like REJECT.
      if (!one_of(action, {"REJECT", "DELAY"}))
        return r.error(c, r.path(c) + ": unknown action '" + action + "' (REJECT or DELAY)");
    } else {
      return r.unknown(c);
    }
  }
  return ok_status();
}

Status parse_dynamic_batching(const PbField& f, const std::string& where, DynamicBatchingConfig& out,
                              Deferred& deferred) {
  MessageReader r(where, "dynamic_batching");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  out.enabled = true;
  int default_level_line = f.line;
  for (const PbField& c : *fields) {
    if (c.name == "preferred_batch_size") {
      FS_ASSIGN_OR_RETURN(int64_t v, r.int64(c));
      if (v <= 0) return r.error(c, r.path(c) + ": " + std::to_string(v) + " is not a batch size (must be > 0)");
      out.preferred_batch_sizes.push_back(v);
      deferred.preferred.emplace_back(v, c.line);
    } else if (c.name == "max_queue_delay_microseconds") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.max_queue_delay_us, r.uint64(c));
    } else if (c.name == "priority_levels") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(int64_t v, r.int_in(c, 0, std::numeric_limits<uint32_t>::max()));
      out.priority_levels = static_cast<uint32_t>(v);
    } else if (c.name == "default_priority_level") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(int64_t v, r.int_in(c, 0, std::numeric_limits<uint32_t>::max()));
      out.default_priority_level = static_cast<uint32_t>(v);
      default_level_line = c.line;
    } else if (c.name == "default_queue_policy") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_RETURN_IF_ERROR(parse_queue_policy(c, where, out));
    } else if (one_of(c.name, {"preserve_ordering", "priority_queue_policy"})) {
      // accepted, not acted on
    } else {
      return r.unknown(c);
    }
  }
  if (out.default_priority_level > out.priority_levels)
    return pb_error(where, default_level_line,
                    "dynamic_batching.default_priority_level: " + std::to_string(out.default_priority_level) +
                        " is above priority_levels (" + std::to_string(out.priority_levels) + ")");
  // Triton: with priorities on, the default must be one of the levels [1, N].
  if (out.priority_levels > 0 && out.default_priority_level == 0)
    return pb_error(where, default_level_line,
                    "dynamic_batching.default_priority_level: must be in [1, " +
                        std::to_string(out.priority_levels) + "] when priority_levels is set");
  return ok_status();
}

Status parse_version_policy(const PbField& f, const std::string& where, VersionPolicy& out) {
  MessageReader r(where, "version_policy");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  int chosen = 0;
  for (const PbField& c : *fields) {
    if (!one_of(c.name, {"latest", "all", "specific"})) return r.unknown(c);
    if (++chosen > 1) return pb_error(where, c.name_line, "version_policy: give one of latest, all, specific");
    MessageReader inner(where, r.path(c));
    FS_ASSIGN_OR_RETURN(const std::vector<PbField>* body, r.message(c));
    if (c.name == "latest") {
      out.kind = VersionPolicy::Kind::kLatest;
      for (const PbField& v : *body) {
        if (v.name != "num_versions") return inner.unknown(v);
        FS_RETURN_IF_ERROR(inner.once(v));
        FS_ASSIGN_OR_RETURN(out.num_versions, inner.int_in(v, 1, kInt32Max));
      }
    } else if (c.name == "all") {
      out.kind = VersionPolicy::Kind::kAll;
      if (!body->empty()) return inner.unknown(body->front());
    } else {
      out.kind = VersionPolicy::Kind::kSpecific;
      for (const PbField& v : *body) {
        if (v.name != "versions") return inner.unknown(v);
        FS_ASSIGN_OR_RETURN(int64_t n, inner.int_in(v, 0, std::numeric_limits<int64_t>::max()));
        out.versions.push_back(n);
      }
      if (out.versions.empty()) return pb_error(where, c.line, "version_policy.specific: lists no versions");
    }
  }
  return ok_status();
}

Status parse_warmup_input(const PbField& entry, const std::string& where, WarmupInput& out) {
  MessageReader r(where, "model_warmup.inputs");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(entry));
  const PbField* value = nullptr;
  bool have_key = false;
  for (const PbField& c : *fields) {
    if (c.name == "key") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.name, r.string(c));
      have_key = true;
    } else if (c.name == "value") {
      FS_RETURN_IF_ERROR(r.once(c));
      value = &c;
    } else {
      return r.unknown(c);
    }
  }
  if (!have_key || out.name.empty()) return pb_error(where, entry.line, "model_warmup.inputs: entry needs a key (the input name)");
  if (value == nullptr) return pb_error(where, entry.line, "model_warmup.inputs '" + out.name + "': needs a value { ... }");
  MessageReader v(where, "model_warmup.inputs.value");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* body, v.body(*value));
  bool have_type = false, have_data = false;
  for (const PbField& c : *body) {
    if (c.name == "data_type") {
      FS_RETURN_IF_ERROR(v.once(c));
      FS_ASSIGN_OR_RETURN(out.dtype, v.dtype(c));
      have_type = true;
    } else if (c.name == "dims") {
      // Warmup builds real tensors, so every dim must be a size.
      FS_ASSIGN_OR_RETURN(int64_t d, v.int_in(c, 0, std::numeric_limits<int64_t>::max()));
      out.dims.push_back(d);
    } else if (c.name == "zero_data" || c.name == "random_data") {
      if (have_data) return v.error(c, "model_warmup.inputs '" + out.name + "': give one of zero_data, random_data");
      FS_ASSIGN_OR_RETURN(bool flag, v.boolean(c));
      (void)flag;  // Triton: the field's presence chooses the data, not its value
      out.random = c.name == "random_data";
      have_data = true;
    } else if (c.name == "input_data_file") {
      return Status(StatusCode::kUnsupported, where + ": line " + std::to_string(c.line) +
                                                  ": model_warmup.inputs.value.input_data_file is not supported "
                                                  "(use zero_data or random_data)");
    } else {
      return v.unknown(c);
    }
  }
  if (!have_type) return pb_error(where, value->line, "model_warmup.inputs '" + out.name + "': needs data_type");
  if (!have_data)
    return pb_error(where, value->line, "model_warmup.inputs '" + out.name + "': needs zero_data or random_data");
  return ok_status();
}

Status parse_warmup(const PbField& f, const std::string& where, WarmupSample& out, Deferred& deferred) {
  MessageReader r(where, "model_warmup");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  std::set<std::string> names;
  for (const PbField& c : *fields) {
    if (c.name == "name") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.name, r.string(c));
    } else if (c.name == "batch_size") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(out.batch_size, r.int_in(c, 1, kInt32Max));
      deferred.warmup_batch.emplace_back(out.batch_size, c.line);
    } else if (c.name == "count") {
      FS_RETURN_IF_ERROR(r.once(c));
      // Triton: 0 (its default) means run the sample once.
      FS_ASSIGN_OR_RETURN(int64_t n, r.int_in(c, 0, kInt32Max));
      out.count = n == 0 ? 1 : n;
    } else if (c.name == "inputs") {
      WarmupInput in;
      FS_RETURN_IF_ERROR(parse_warmup_input(c, where, in));
      if (!names.insert(in.name).second)
        return pb_error(where, c.line, "model_warmup.inputs: '" + in.name + "' given twice");
      out.inputs.push_back(std::move(in));
    } else {
      return r.unknown(c);
    }
  }
  if (out.name.empty()) return pb_error(where, f.line, "model_warmup: needs a name");
  if (!r.seen("batch_size")) deferred.warmup_batch.emplace_back(out.batch_size, f.line);
  return ok_status();
}

// One `parameters { key: "..." value { string_value: "..." } }` entry.
Status parse_parameter(const PbField& f, const std::string& where, ModelConfig& config) {
  MessageReader r(where, "parameters");
  FS_ASSIGN_OR_RETURN(const std::vector<PbField>* fields, r.body(f));
  std::string key, value;
  bool have_key = false;
  int value_line = f.line;
  for (const PbField& c : *fields) {
    if (c.name == "key") {
      FS_RETURN_IF_ERROR(r.once(c));
      FS_ASSIGN_OR_RETURN(key, r.string(c));
      have_key = true;
    } else if (c.name == "value") {
      FS_RETURN_IF_ERROR(r.once(c));
      MessageReader v(where, "parameters.value");
      FS_ASSIGN_OR_RETURN(const std::vector<PbField>* body, v.body(c));
      for (const PbField& s : *body) {
        if (s.name != "string_value") return v.unknown(s);
        FS_RETURN_IF_ERROR(v.once(s));
        FS_ASSIGN_OR_RETURN(value, v.string(s));
        value_line = s.line;
      }
    } else {
      return r.unknown(c);
    }
  }
  if (!have_key) return pb_error(where, f.line, "parameters: entry needs a key");
  if (key == "threads") {
    int64_t n = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 0 || n > 4096)
      return pb_error(where, value_line,
                      "parameters 'threads': expected a thread count in [0, 4096], got \"" + value + "\"");
    config.threads = n;
  }
  // Other keys are backend-specific parameters of other backends: ignored.
  return ok_status();
}

// ONNX is all FastServe runs: refuse configs meant for another backend
// rather than try to read, say, a TorchScript file as ONNX.
Status check_platform(const ModelConfig& c, const std::string& where, int platform_line, int backend_line,
                      bool has_platform, bool has_backend) {
  if (has_platform && c.platform != "onnxruntime_onnx" && !c.platform.empty())
    return Status(StatusCode::kUnsupported, where + ": line " + std::to_string(platform_line) + ": platform '" +
                                                c.platform + "' is not served by FastServe (onnxruntime_onnx)");
  if (has_backend && c.backend != "onnxruntime" && c.backend != "fastserve" && !c.backend.empty())
    return Status(StatusCode::kUnsupported, where + ": line " + std::to_string(backend_line) + ": backend '" +
                                                c.backend + "' is not served by FastServe (onnxruntime or fastserve)");
  return ok_status();
}

}  // namespace

Result<ModelConfig> parse_model_config(std::string_view pbtxt, const std::string& where) {
  FS_ASSIGN_OR_RETURN(std::vector<PbField> doc, parse_pbtxt(pbtxt, where));
  ModelConfig config;
  Deferred deferred;
  MessageReader r(where, "");
  std::vector<InstanceGroup> groups;
  std::vector<int> group_lines;
  int platform_line = 0, backend_line = 0;
  std::set<std::string> input_names, output_names;

  for (const PbField& f : doc) {
    const std::string& n = f.name;
    if (n == "name") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_ASSIGN_OR_RETURN(config.name, r.string(f));
    } else if (n == "platform") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_ASSIGN_OR_RETURN(config.platform, r.string(f));
      platform_line = f.line;
    } else if (n == "backend") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_ASSIGN_OR_RETURN(config.backend, r.string(f));
      backend_line = f.line;
    } else if (n == "max_batch_size") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_ASSIGN_OR_RETURN(config.max_batch_size, r.int_in(f, 0, kInt32Max));
    } else if (n == "input" || n == "output") {
      TensorConfig t;
      FS_RETURN_IF_ERROR(parse_tensor(f, where, n == "input", t));
      std::set<std::string>& names = n == "input" ? input_names : output_names;
      if (!names.insert(t.name).second) return pb_error(where, f.line, n + " '" + t.name + "' given twice");
      (n == "input" ? config.inputs : config.outputs).push_back(std::move(t));
    } else if (n == "instance_group") {
      FS_ASSIGN_OR_RETURN(InstanceGroup g, parse_instance_group(f, where));
      groups.push_back(std::move(g));
      group_lines.push_back(f.line);
    } else if (n == "dynamic_batching") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_RETURN_IF_ERROR(parse_dynamic_batching(f, where, config.dynamic_batching, deferred));
    } else if (n == "version_policy") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_RETURN_IF_ERROR(parse_version_policy(f, where, config.version_policy));
    } else if (n == "model_warmup") {
      WarmupSample w;
      FS_RETURN_IF_ERROR(parse_warmup(f, where, w, deferred));
      config.warmup.push_back(std::move(w));
    } else if (n == "parameters") {
      FS_RETURN_IF_ERROR(parse_parameter(f, where, config));
    } else if (n == "default_model_filename") {
      FS_RETURN_IF_ERROR(r.once(f));
      FS_ASSIGN_OR_RETURN(config.default_model_filename, r.string(f));
      if (config.default_model_filename.empty() ||
          config.default_model_filename.find('/') != std::string::npos || config.default_model_filename == "..")
        return r.error(f, "default_model_filename: must be a file name inside the version directory");
    } else if (one_of(n, {"runtime", "batch_input", "batch_output", "optimization", "sequence_batching",
                          "ensemble_scheduling", "cc_model_filenames", "metric_tags", "model_operations",
                          "model_transaction_policy", "model_repository_agents", "response_cache",
                          "model_metrics"})) {
      // Triton fields FastServe does not act on (docs/serving_config.md).
    } else {
      return r.unknown(f);
    }
  }

  FS_RETURN_IF_ERROR(check_platform(config, where, platform_line, backend_line, r.seen("platform"),
                                    r.seen("backend")));

  // Several groups: FastServe runs one device per model, so they must agree;
  // their counts add up, as Triton's instances do.
  if (!groups.empty()) {
    int64_t total = 0;
    std::string device;
    for (size_t i = 0; i < groups.size(); ++i) {
      if (!groups[i].device.empty()) {
        if (!device.empty() && device != groups[i].device)
          return Status(StatusCode::kUnsupported,
                        where + ": line " + std::to_string(group_lines[i]) + ": instance_group: groups on " +
                            device + " and " + groups[i].device + "; a model runs on one device");
        device = groups[i].device;
      }
      total += groups[i].count;
      if (total > kInt32Max) return pb_error(where, group_lines[i], "instance_group: too many instances");
    }
    config.instance_count = total;
    if (!device.empty()) config.device = device;
  }

  if (config.max_batch_size > 0) {
    for (auto [size, line] : deferred.preferred)
      if (size > config.max_batch_size)
        return pb_error(where, line, "dynamic_batching.preferred_batch_size: " + std::to_string(size) +
                                         " is above max_batch_size (" + std::to_string(config.max_batch_size) + ")");
  }
  for (auto [size, line] : deferred.warmup_batch) {
    int64_t limit = config.max_batch_size > 0 ? config.max_batch_size : 1;
    if (size > limit)
      return pb_error(where, line,
                      "model_warmup.batch_size: " + std::to_string(size) +
                          (config.max_batch_size > 0
                               ? " is above max_batch_size (" + std::to_string(config.max_batch_size) + ")"
                               : std::string(" needs max_batch_size > 0 (the model has no batch dimension)")));
  }
  return config;
}

}  // namespace fastserve::serve
