// Encoding a v2 infer response: the JSON written by hand into one string
// (sized up front), binary outputs appended after it. See v2_json.h.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "serve/http/v2_json.h"
#include "serve/request_log.h"

namespace fastserve::serve {

namespace {

// Characters of one JSON number at most, with its comma: shortest round-trip
// doubles need up to 24 ("-2.2250738585072014e-308").
size_t max_chars_per_element(DType t) {
  switch (t) {
    case DType::kBool: return 6;
    case DType::kU8: case DType::kI8: return 5;
    case DType::kU16: case DType::kI16: return 7;
    case DType::kU32: case DType::kI32: return 12;
    case DType::kU64: case DType::kI64: return 21;
    case DType::kF16: case DType::kBF16: case DType::kF32: return 16;
    default: return 25;
  }
}

template <typename I>
void append_integer(std::string& out, I v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Shortest text that reads back to the same value (fmt's default for "{}");
// NaN and infinities as the bare tokens Triton writes (see v2_json.h).
template <typename F>
void append_float(std::string& out, F v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[40];
  const auto end = fmt::format_to(buf, "{}", v);
  out.append(buf, end);
}

template <typename T>
void append_elements(std::string& out, const void* raw, int64_t n) {
  const T* p = static_cast<const T*>(raw);
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(',');
    if constexpr (std::is_same_v<T, bool>) {
      out += p[i] ? "true" : "false";
    } else if constexpr (std::is_same_v<T, Half>) {
      append_float(out, half_to_float(p[i].bits));
    } else if constexpr (std::is_same_v<T, BFloat16>) {
      append_float(out, bf16_to_float(p[i].bits));
    } else if constexpr (std::is_floating_point_v<T>) {
      append_float(out, p[i]);
    } else {
      append_integer(out, p[i]);
    }
  }
}

Status append_data(std::string& out, const NamedTensor& t) {
  const void* d = t.tensor.raw_data();
  const int64_t n = t.tensor.numel();
  switch (t.tensor.dtype()) {
    case DType::kBool: append_elements<bool>(out, d, n); break;
    case DType::kU8: append_elements<uint8_t>(out, d, n); break;
    case DType::kU16: append_elements<uint16_t>(out, d, n); break;
    case DType::kU32: append_elements<uint32_t>(out, d, n); break;
    case DType::kU64: append_elements<uint64_t>(out, d, n); break;
    case DType::kI8: append_elements<int8_t>(out, d, n); break;
    case DType::kI16: append_elements<int16_t>(out, d, n); break;
    case DType::kI32: append_elements<int32_t>(out, d, n); break;
    case DType::kI64: append_elements<int64_t>(out, d, n); break;
    case DType::kF16: append_elements<Half>(out, d, n); break;
    case DType::kBF16: append_elements<BFloat16>(out, d, n); break;
    case DType::kF32: append_elements<float>(out, d, n); break;
    case DType::kF64: append_elements<double>(out, d, n); break;
    default:
      return unsupported("output '" + t.name + "': datatype " + dtype_v2_name(t.tensor.dtype()) +
                         " cannot be sent over the v2 HTTP protocol");
  }
  return ok_status();
}

}  // namespace

Status encode_infer_response(const InferResponse& response, const DecodedInferRequest& options,
                             std::string* out, size_t* json_size) {
  // One allocation: estimate the JSON and add the binary tails.
  size_t estimate = 96 + response.id.size() + response.model.size() + response.version.size();
  size_t binary_bytes = 0;
  for (const NamedTensor& t : response.outputs) {
    if (!dtype_is_storable(t.tensor.dtype()) || !t.tensor.defined())
      return unsupported("output '" + t.name + "': datatype " + dtype_v2_name(t.tensor.dtype()) +
                         " cannot be sent over the v2 HTTP protocol");
    estimate += 96 + t.name.size() + 21 * t.tensor.rank();
    if (output_is_binary(options, t.name)) {
      binary_bytes += t.tensor.nbytes();
    } else {
      estimate += static_cast<size_t>(t.tensor.numel()) * max_chars_per_element(t.tensor.dtype());
    }
  }
  std::string& s = *out;
  s.clear();
  s.reserve(estimate + binary_bytes);

  s += '{';
  if (!response.id.empty()) {
    s += "\"id\":";
    append_json_string(s, response.id);
    s += ',';
  }
  s += "\"model_name\":";
  append_json_string(s, response.model);
  s += ",\"model_version\":";
  append_json_string(s, response.version);
  s += ",\"outputs\":[";
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const NamedTensor& t = response.outputs[i];
    if (i > 0) s += ',';
    s += "{\"name\":";
    append_json_string(s, t.name);
    s += ",\"datatype\":\"";
    s += dtype_v2_name(t.tensor.dtype());
    s += "\",\"shape\":[";
    for (size_t d = 0; d < t.tensor.rank(); ++d) {
      if (d > 0) s += ',';
      append_integer(s, t.tensor.dim(d));
    }
    s += ']';
    if (output_is_binary(options, t.name)) {
      s += ",\"parameters\":{\"binary_data_size\":";
      append_integer(s, t.tensor.nbytes());
      s += '}';
    } else {
      s += ",\"data\":[";
      FS_RETURN_IF_ERROR(append_data(s, t));
      s += ']';
    }
    s += '}';
  }
  s += "]}";
  *json_size = s.size();

  for (const NamedTensor& t : response.outputs) {
    if (!output_is_binary(options, t.name) || t.tensor.nbytes() == 0) continue;
    s.append(static_cast<const char*>(t.tensor.raw_data()), t.tensor.nbytes());
  }
  return ok_status();
}

}  // namespace fastserve::serve
