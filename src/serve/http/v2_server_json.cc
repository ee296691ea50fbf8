// JSON for the metadata, statistics and repository routes (v2_server_json.h).
#include "serve/http/v2_server_json.h"

#include <simdjson.h>

#include <charconv>
#include <iterator>

#include "serve/http/utf8.h"
#include "serve/request_log.h"

#ifndef FASTSERVE_VERSION
#define FASTSERVE_VERSION "unknown"
#endif

namespace fastserve::serve {

namespace {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_tensors(std::string& out, const std::vector<TensorMetadata>& tensors) {
  out += '[';
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, tensors[i].name);
    out += ",\"datatype\":";
    append_json_string(out, tensors[i].datatype);
    out += ",\"shape\":[";
    for (size_t d = 0; d < tensors[i].shape.size(); ++d) {
      if (d > 0) out += ',';
      append_int(out, tensors[i].shape[d]);
    }
    out += "]}";
  }
  out += ']';
}

void append_duration(std::string& out, const char* name, const DurationStat& d) {
  out += '"';
  out += name;
  out += "\":{\"count\":";
  append_uint(out, d.count);
  out += ",\"ns\":";
  append_uint(out, d.ns);
  out += '}';
}

// Parses a small request body (copied into simdjson's padded buffer); an
// empty body is an empty object.
Status parse_small_body(std::string_view body, simdjson::dom::parser& parser, simdjson::dom::object* out,
                        const char* route) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root))
    return invalid_argument(std::string(route) + ": the body is not valid JSON: " + simdjson::error_message(err));
  if (root.get_object().get(*out)) return invalid_argument(std::string(route) + ": the body must be a JSON object");
  return ok_status();
}

}  // namespace

std::string error_json(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 16);
  out += "{\"error\":";
  if (is_valid_utf8(message)) {
    append_json_string(out, message);
  } else {
    append_json_string(out, sanitize_utf8(message));
  }
  out += '}';
  return out;
}

std::string server_metadata_json() {
  std::string out = std::string("{\"name\":\"fastserve\",\"version\":\"") + FASTSERVE_VERSION + "\",\"extensions\":[";
  for (size_t i = 0; i < std::size(kServerExtensions); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, kServerExtensions[i]);
  }
  out += "]}";
  return out;
}

std::string model_metadata_json(const ModelMetadata& m) {
  std::string out;
  out.reserve(256);
  out += "{\"name\":";
  append_json_string(out, m.name);
  out += ",\"versions\":[";
  for (size_t i = 0; i < m.versions.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, m.versions[i]);
  }
  out += "],\"platform\":";
  append_json_string(out, m.platform);
  out += ",\"inputs\":";
  append_tensors(out, m.inputs);
  out += ",\"outputs\":";
  append_tensors(out, m.outputs);
  out += '}';
  return out;
}

std::string model_statistics_json(const std::vector<ModelStatistics>& stats) {
  std::string out;
  out.reserve(512 * (stats.size() + 1));
  out += "{\"model_stats\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const ModelStatistics& s = stats[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, s.name);
    out += ",\"version\":";
    append_json_string(out, s.version);
    out += ",\"last_inference\":";
    append_uint(out, s.last_inference_ms);
    out += ",\"inference_count\":";
    append_uint(out, s.inference_count);
    out += ",\"execution_count\":";
    append_uint(out, s.execution_count);
    out += ",\"inference_stats\":{";
    append_duration(out, "success", s.success);
    out += ',';
    append_duration(out, "fail", s.fail);
    out += ',';
    append_duration(out, "queue", s.queue);
    out += ',';
    append_duration(out, "compute_input", s.compute_input);
    out += ',';
    append_duration(out, "compute_infer", s.compute_infer);
    out += ',';
    append_duration(out, "compute_output", s.compute_output);
    out += "},\"batch_stats\":[";
    for (size_t b = 0; b < s.batch_stats.size(); ++b) {
      const BatchStat& bs = s.batch_stats[b];
      if (b > 0) out += ',';
      out += "{\"batch_size\":";
      append_int(out, bs.batch_size);
      out += ',';
      append_duration(out, "compute_input", bs.compute_input);
      out += ',';
      append_duration(out, "compute_infer", bs.compute_infer);
      out += ',';
      append_duration(out, "compute_output", bs.compute_output);
      out += '}';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string repository_index_json(const std::vector<RepositoryEntry>& entries) {
  std::string out;
  out.reserve(96 * (entries.size() + 1));
  out += '[';
  for (size_t i = 0; i < entries.size(); ++i) {
    const RepositoryEntry& e = entries[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, e.name);
    out += ",\"version\":";
    append_json_string(out, e.version);
    out += ",\"state\":";
    append_json_string(out, e.state);
    out += ",\"reason\":";
    append_json_string(out, e.reason);
    out += '}';
  }
  out += ']';
  return out;
}

Result<bool> parse_repository_index_request(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  FS_RETURN_IF_ERROR(parse_small_body(body, parser, &obj, "repository index"));
  simdjson::dom::element ready;
  if (obj["ready"].get(ready) != simdjson::SUCCESS) return false;
  bool b = false;
  if (ready.get_bool().get(b)) return invalid_argument("repository index: 'ready' must be true or false");
  return b;
}

Result<std::string> parse_load_request(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  FS_RETURN_IF_ERROR(parse_small_body(body, parser, &obj, "repository load"));
  simdjson::dom::element params;
  if (obj["parameters"].get(params) != simdjson::SUCCESS) return std::string();
  simdjson::dom::object pobj;
  if (params.get_object().get(pobj)) return invalid_argument("repository load: 'parameters' must be an object");
  std::string config;
  for (auto [key, value] : pobj) {
    if (key == "config") {
      std::string_view s;
      if (value.get_string().get(s))
        return invalid_argument("repository load: parameters.config must be a string (the model configuration JSON)");
      config.assign(s);
    } else {
      return invalid_argument("repository load: parameter '" + std::string(key) + "' is not supported");
    }
  }
  return config;
}

Status parse_unload_request(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  FS_RETURN_IF_ERROR(parse_small_body(body, parser, &obj, "repository unload"));
  simdjson::dom::element params;
  if (obj["parameters"].get(params) != simdjson::SUCCESS) return ok_status();
  simdjson::dom::object pobj;
  if (params.get_object().get(pobj)) return invalid_argument("repository unload: 'parameters' must be an object");
  for (auto [key, value] : pobj) {
    if (key != "unload_dependents")
      return invalid_argument("repository unload: parameter '" + std::string(key) + "' is not supported");
    bool b = false;
    if (value.get_bool().get(b))
      return invalid_argument("repository unload: parameters.unload_dependents must be true or false");
  }
  return ok_status();
}

}  // namespace fastserve::serve
