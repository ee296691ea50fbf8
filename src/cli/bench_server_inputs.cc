// `bench --server` inputs (see bench_server.h): the model metadata JSON, the
// random request tensors with fixed seeds, and the HTTP infer body (JSON
// header plus the binary tensor data extension, or JSON arrays).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <utility>

#include "cli/bench_server.h"
#include "cli/cli_common.h"
#include "fastserve/dtype.h"

namespace fastserve::cli {

static_assert(std::endian::native == std::endian::little, "v2 binary tensor data is little-endian");

namespace {

// Fixed seed: every run sends the same data.
constexpr uint64_t kInputSeed = 0x5eed'0000'2024ULL;
// Largest request we build: far above any real model input, small enough to fail early.
constexpr size_t kMaxRequestBytes = size_t{1} << 30;
constexpr int64_t kMaxDim = int64_t{1} << 40;


template <typename T>
void put(std::string& raw, size_t i, T v) {
  std::memcpy(raw.data() + i * sizeof(T), &v, sizeof(T));
}

// Fills `t.raw` (and `t.json_data`) with `n` random values of `dtype`.
void fill_random(BenchTensor& t, DType dtype, size_t n, uint64_t seed, bool with_json) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> bit(0, 1);
  t.raw.assign(n * dtype_size(dtype), '\0');
  std::string json;
  if (with_json) json.reserve(n * 12 + 2);
  json += '[';
  for (size_t i = 0; i < n; ++i) {
    if (with_json && i > 0) json += ',';
    if (dtype_is_float(dtype)) {
      float v = uniform(rng);
      switch (dtype) {
        case DType::kF16: {
          const uint16_t h = float_to_half(v);
          put(t.raw, i, h);
          v = half_to_float(h);  // the JSON carries the value the bytes hold
          break;
        }
        case DType::kBF16: {
          const uint16_t b = float_to_bf16(v);
          put(t.raw, i, b);
          v = bf16_to_float(b);
          break;
        }
        case DType::kF64:
          put(t.raw, i, static_cast<double>(v));
          break;
        default:
          put(t.raw, i, v);
          break;
      }
      if (with_json) json += fmt::format("{}", v);
      continue;
    }
    const int b = bit(rng);
    t.raw[i * dtype_size(dtype)] = static_cast<char>(b);  // 0 or 1 in the low byte, little-endian
    if (with_json) json += dtype == DType::kBool ? (b ? "true" : "false") : (b ? "1" : "0");
  }
  json += ']';
  if (with_json) t.json_data = std::move(json);
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

}  // namespace

// --- metadata ------------------------------------------------------------------

Result<ModelSpec> parse_model_metadata_json(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err)
    return invalid_argument(fmt::format("model metadata: not JSON ({})", simdjson::error_message(err)));
  ModelSpec spec;
  std::string_view name;
  if (doc["name"].get_string().get(name) == simdjson::SUCCESS) spec.name = std::string(name);
  auto read_tensors = [](simdjson::dom::element parent, const char* key,
                         std::vector<TensorSpec>* out) -> Status {
    simdjson::dom::array list;
    if (parent[key].get_array().get(list) != simdjson::SUCCESS)
      return invalid_argument(fmt::format("model metadata: '{}' is missing or not an array", key));
    size_t i = 0;
    for (simdjson::dom::element e : list) {
      TensorSpec t;
      std::string_view s;
      if (e["name"].get_string().get(s) != simdjson::SUCCESS)
        return invalid_argument(fmt::format("model metadata: {}[{}]: 'name' is missing or not a string", key, i));
      t.name = std::string(s);
      if (e["datatype"].get_string().get(s) != simdjson::SUCCESS)
        return invalid_argument(fmt::format("model metadata: {}[{}] ('{}'): 'datatype' is missing or not a string",
                                            key, i, t.name));
      t.datatype = std::string(s);
      simdjson::dom::array dims;
      if (e["shape"].get_array().get(dims) != simdjson::SUCCESS)
        return invalid_argument(fmt::format("model metadata: {}[{}] ('{}'): 'shape' is missing or not an array",
                                            key, i, t.name));
      for (simdjson::dom::element d : dims) {
        int64_t v = 0;
        if (d.get_int64().get(v) != simdjson::SUCCESS)
          return invalid_argument(
              fmt::format("model metadata: {}[{}] ('{}'): 'shape' is not an array of integers", key, i, t.name));
        t.shape.push_back(v);
      }
      out->push_back(std::move(t));
      ++i;
    }
    return ok_status();
  };
  FS_RETURN_IF_ERROR(read_tensors(doc, "inputs", &spec.inputs));
  // Outputs are informational only; a server that omits them is still benchable.
  if (doc["outputs"].error() == simdjson::SUCCESS) FS_RETURN_IF_ERROR(read_tensors(doc, "outputs", &spec.outputs));
  return spec;
}

// --- inputs --------------------------------------------------------------------

Result<std::vector<BenchTensor>> make_server_inputs(const ModelSpec& model, int64_t batch, bool with_json) {
  if (model.inputs.empty()) return invalid_argument(fmt::format("model '{}' declares no inputs", model.name));
  const TensorSpec& first = model.inputs.front();
  const bool variable_batch = std::any_of(model.inputs.begin(), model.inputs.end(), [](const TensorSpec& t) {
    return !t.shape.empty() && t.shape[0] == -1;
  });
  if (batch > 0 && !variable_batch && !first.shape.empty() && first.shape[0] != batch)
    return invalid_argument(fmt::format("--batch {}: model '{}' has a fixed batch: input '{}' has shape {}", batch,
                                        model.name, first.name, shape_text(first.shape)));
  std::vector<BenchTensor> out;
  size_t total_bytes = 0;
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSpec& in = model.inputs[i];
    const DType dtype = dtype_from_v2_name(in.datatype);
    if (dtype == DType::kUndefined || dtype == DType::kString)
      return invalid_argument(fmt::format("input '{}': datatype '{}' cannot be filled with random numbers",
                                          in.name, in.datatype));
    BenchTensor t{in.name, in.datatype, {}, {}, {}};
    size_t n = 1;
    for (size_t d = 0; d < in.shape.size(); ++d) {
      int64_t dim = in.shape[d];
      if (dim == -1) dim = d == 0 && batch > 0 ? batch : 1;
      if (dim < 0 || dim > kMaxDim)
        return invalid_argument(fmt::format("input '{}': shape {} has a bad dim {}", in.name, shape_text(in.shape),
                                            in.shape[d]));
      t.shape.push_back(dim);
      if (__builtin_mul_overflow(n, static_cast<size_t>(dim), &n) || n > kMaxRequestBytes) n = kMaxRequestBytes + 1;
    }
    total_bytes += n * dtype_size(dtype);
    if (n > kMaxRequestBytes || total_bytes > kMaxRequestBytes)
      return invalid_argument(fmt::format("input '{}': shape {} makes a request over 1 GiB", in.name,
                                          shape_text(t.shape)));
    fill_random(t, dtype, n, kInputSeed + i, with_json);
    out.push_back(std::move(t));
  }
  return out;
}

int64_t items_per_request(const std::vector<BenchTensor>& inputs) {
  if (inputs.empty() || inputs.front().shape.empty()) return 1;
  return inputs.front().shape.front();
}

std::string make_http_infer_body(const std::vector<BenchTensor>& inputs, bool binary, size_t* json_size) {
  std::string body = "{\"inputs\":[";
  size_t raw_bytes = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BenchTensor& t = inputs[i];
    body += fmt::format("{}{{\"name\":{},\"shape\":[{}],\"datatype\":{},", i ? "," : "", json_string(t.name),
                        fmt::join(t.shape, ","), json_string(t.datatype));
    if (binary) {
      body += fmt::format("\"parameters\":{{\"binary_data_size\":{}}}}}", t.raw.size());
      raw_bytes += t.raw.size();
    } else {
      body += "\"data\":" + t.json_data + "}";
    }
  }
  body += "]";
  // Every output as binary (the request-level default), so decoding the
  // answer costs the server a copy, not number formatting.
  if (binary) body += ",\"parameters\":{\"binary_data_output\":true}";
  body += "}";
  *json_size = body.size();
  if (binary) {
    body.reserve(body.size() + raw_bytes);
    for (const BenchTensor& t : inputs) body += t.raw;
  }
  return body;
}

}  // namespace fastserve::cli
