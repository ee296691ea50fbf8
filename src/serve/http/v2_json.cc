// Decoding a v2 infer request body (JSON via simdjson's DOM, plus the binary
// tensor data extension) into an InferRequest. See v2_json.h for the format.
#include "serve/http/v2_json.h"

#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

namespace fastserve::serve {

static_assert(kJsonPadding == simdjson::SIMDJSON_PADDING, "kJsonPadding must equal SIMDJSON_PADDING");

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Kernels may use aligned loads on input tensors (see src/core/tensor.cc);
// binary inputs are wrapped in place only at this alignment.
constexpr uintptr_t kWrapAlignment = 64;
// Documents above this size are parsed with a parser of their own, so that a
// worker thread does not keep a large parser's buffers for good.
constexpr size_t kThreadParserMaxBytes = 1 << 20;

Status bad(std::string msg) { return invalid_argument(std::move(msg)); }

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

const char* json_type_name(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// ---- locating a syntax error ------------------------------------------------
// The DOM parser says what is wrong but not where; on the (cold) error path
// the text is walked again with the On-Demand API, whose iterator knows its
// position when it meets the error. Errors found by stage 1 (unclosed
// strings, bad UTF-8) have no position; npos then.
constexpr size_t kNoOffset = std::numeric_limits<size_t>::max();

simdjson::error_code walk_value(simdjson::ondemand::value v, int depth) {
  using namespace simdjson;
  if (depth > 1024) return DEPTH_ERROR;
  ondemand::json_type t;
  SIMDJSON_TRY(v.type().get(t));
  switch (t) {
    case ondemand::json_type::object: {
      ondemand::object o;
      SIMDJSON_TRY(v.get_object().get(o));
      for (auto field_result : o) {
        ondemand::field field;
        SIMDJSON_TRY(std::move(field_result).get(field));
        std::string_view key;
        SIMDJSON_TRY(field.unescaped_key().get(key));
        SIMDJSON_TRY(walk_value(field.value(), depth + 1));
      }
      return SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array a;
      SIMDJSON_TRY(v.get_array().get(a));
      for (auto item : a) {
        ondemand::value iv;
        SIMDJSON_TRY(std::move(item).get(iv));
        SIMDJSON_TRY(walk_value(iv, depth + 1));
      }
      return SUCCESS;
    }
    case ondemand::json_type::number: {
      ondemand::number n;
      return v.get_number().get(n);
    }
    case ondemand::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case ondemand::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case ondemand::json_type::null: {
      bool is_null = false;
      SIMDJSON_TRY(v.is_null().get(is_null));
      return is_null ? SUCCESS : N_ATOM_ERROR;
    }
  }
  return INCORRECT_TYPE;
}

size_t locate_json_error(const char* data, size_t size) {
  using namespace simdjson;
  padded_string text(data, size);
  ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(text).get(doc) != SUCCESS) return kNoOffset;
  error_code err = SUCCESS;
  ondemand::json_type t;
  err = doc.type().get(t);
  if (err == SUCCESS && (t == ondemand::json_type::object || t == ondemand::json_type::array)) {
    ondemand::value root;
    err = doc.get_value().get(root);
    if (err == SUCCESS) err = walk_value(root, 0);
  }
  // After a clean walk, a position that is still inside the text is trailing content.
  const char* where = nullptr;
  if (doc.current_location().get(where) != SUCCESS || where == nullptr) return kNoOffset;
  return static_cast<size_t>(where - text.data());
}

// ---- JSON values -> tensor elements ---------------------------------------
enum class Conv { kOk, kType, kRange, kFraction };

template <typename T>
Conv to_integer(element e, T* out) {
  using Limits = std::numeric_limits<T>;
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v)) return Conv::kType;
      if constexpr (std::is_signed_v<T>) {
        if (v < static_cast<int64_t>(Limits::min()) || v > static_cast<int64_t>(Limits::max())) return Conv::kRange;
      } else {
        if (v < 0 || static_cast<uint64_t>(v) > static_cast<uint64_t>(Limits::max())) return Conv::kRange;
      }
      *out = static_cast<T>(v);
      return Conv::kOk;
    }
    case element_type::UINT64: {
      // simdjson types only values above INT64_MAX as UINT64.
      uint64_t v = 0;
      if (e.get_uint64().get(v)) return Conv::kType;
      if (v > static_cast<uint64_t>(Limits::max())) return Conv::kRange;
      *out = static_cast<T>(v);
      return Conv::kOk;
    }
    case element_type::DOUBLE: {
      // Accept integral doubles (1.0, 2e3) as clients written in JavaScript
      // or with float arrays produce them; reject fractions.
      double d = 0;
      if (e.get_double().get(d)) return Conv::kType;
      if (std::trunc(d) != d) return Conv::kFraction;
      // 2^63 and 2^64 are exact doubles; every smaller limit is too.
      const double lo = std::is_signed_v<T> ? static_cast<double>(Limits::min()) : 0.0;
      const double hi_exclusive = sizeof(T) == 8 ? (std::is_signed_v<T> ? 9223372036854775808.0 : 18446744073709551616.0)
                                                 : static_cast<double>(Limits::max()) + 1.0;
      if (d < lo || d >= hi_exclusive) return Conv::kRange;
      *out = static_cast<T>(d);
      return Conv::kOk;
    }
    default:
      return Conv::kType;
  }
}

bool to_double(element e, double* out) {
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v)) return false;
      *out = static_cast<double>(v);
      return true;
    }
    case element_type::UINT64: {
      uint64_t v = 0;
      if (e.get_uint64().get(v)) return false;
      *out = static_cast<double>(v);
      return true;
    }
    case element_type::DOUBLE:
      return e.get_double().get(*out) == simdjson::SUCCESS;
    default:
      return false;
  }
}

template <typename T>
Conv convert(element e, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    bool b = false;
    if (e.type() != element_type::BOOL || e.get_bool().get(b)) return Conv::kType;
    *out = b;
    return Conv::kOk;
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    double d = 0;
    if (!to_double(e, &d)) return Conv::kType;
    *out = static_cast<T>(d);
    return Conv::kOk;
  } else if constexpr (std::is_same_v<T, Half>) {
    double d = 0;
    if (!to_double(e, &d)) return Conv::kType;
    out->bits = float_to_half(static_cast<float>(d));
    return Conv::kOk;
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    double d = 0;
    if (!to_double(e, &d)) return Conv::kType;
    out->bits = float_to_bf16(static_cast<float>(d));
    return Conv::kOk;
  } else {
    return to_integer<T>(e, out);
  }
}

// Walks flat or nested arrays in row-major order, converting the first
// `capacity` scalars into `dst` and counting all of them.
template <typename T>
struct Filler {
  T* dst = nullptr;
  int64_t capacity = 0;
  int64_t count = 0;
  Conv error = Conv::kOk;
  int64_t error_index = -1;
  element error_element;

  void visit(element e) {
    if (e.type() == element_type::ARRAY) {
      simdjson::dom::array a;
      if (e.get_array().get(a) == simdjson::SUCCESS)
        for (element child : a) visit(child);
      return;
    }
    if (count < capacity && error == Conv::kOk) {
      const Conv c = convert(e, dst + count);
      if (c != Conv::kOk) {
        error = c;
        error_index = count;
        error_element = e;
      }
    }
    ++count;
  }
};

std::string shape_string(const std::vector<int64_t>& dims) { return Shape(dims).to_string(); }

template <typename T>
Status fill_from_json(element data, const std::string& name, DType dtype, const std::vector<int64_t>& dims,
                      int64_t numel, size_t json_size, Tensor* out) {
  Filler<T> filler;
  // Each element takes at least two bytes of JSON ("1,"), so a shape that
  // asks for more than the document can hold is refused before allocating.
  const bool plausible = static_cast<uint64_t>(numel) <= json_size / 2 + 1;
  Tensor t;
  if (plausible) {
    t = Tensor::empty(dtype, Shape(dims));
    filler.dst = t.data<T>();
    filler.capacity = numel;
  }
  filler.visit(data);
  if (filler.count != numel) {
    return bad("input " + in_quotes(name) + ": 'data' has " + std::to_string(filler.count) + " elements, shape " +
               shape_string(dims) + " needs " + std::to_string(numel));
  }
  if (filler.error != Conv::kOk) {
    const std::string where = "input " + in_quotes(name) + ": 'data' element " + std::to_string(filler.error_index);
    const std::string value = simdjson::minify(filler.error_element);
    switch (filler.error) {
      case Conv::kRange:
        return bad(where + ": " + value + " is out of range for " + dtype_v2_name(dtype));
      case Conv::kFraction:
        return bad(where + ": " + value + " is not an integer (datatype " + dtype_v2_name(dtype) + ")");
      default:
        return bad(where + ": expected " + (dtype == DType::kBool ? "true or false" : "a number") + ", got " +
                   json_type_name(filler.error_element.type()));
    }
  }
  *out = std::move(t);
  return ok_status();
}

Status tensor_from_json(element data, const std::string& name, DType dtype, const std::vector<int64_t>& dims,
                        int64_t numel, size_t json_size, Tensor* out) {
  switch (dtype) {
    case DType::kBool: return fill_from_json<bool>(data, name, dtype, dims, numel, json_size, out);
    case DType::kU8: return fill_from_json<uint8_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kU16: return fill_from_json<uint16_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kU32: return fill_from_json<uint32_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kU64: return fill_from_json<uint64_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kI8: return fill_from_json<int8_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kI16: return fill_from_json<int16_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kI32: return fill_from_json<int32_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kI64: return fill_from_json<int64_t>(data, name, dtype, dims, numel, json_size, out);
    case DType::kF16: return fill_from_json<Half>(data, name, dtype, dims, numel, json_size, out);
    case DType::kBF16: return fill_from_json<BFloat16>(data, name, dtype, dims, numel, json_size, out);
    case DType::kF32: return fill_from_json<float>(data, name, dtype, dims, numel, json_size, out);
    case DType::kF64: return fill_from_json<double>(data, name, dtype, dims, numel, json_size, out);
    default: return internal_error("input " + in_quotes(name) + ": no JSON decoder for " + dtype_v2_name(dtype));
  }
}

// ---- fields ---------------------------------------------------------------
Status read_uint(element e, const char* what, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  if (to_integer<uint64_t>(e, &v) != Conv::kOk || v > max)
    return bad(std::string(what) + " must be an integer in [0, " + std::to_string(max) + "]");
  *out = v;
  return ok_status();
}

Status read_bool(element e, const char* what, bool* out) {
  if (e.type() != element_type::BOOL) return bad(std::string(what) + " must be true or false");
  return e.get_bool().get(*out) ? bad(std::string(what) + " must be true or false") : ok_status();
}

Status read_request_parameters(element params, DecodedInferRequest* out) {
  simdjson::dom::object obj;
  if (params.get_object().get(obj)) return bad("'parameters' must be an object");
  for (auto [key, value] : obj) {
    if (key == "priority") {
      uint64_t v = 0;
      FS_RETURN_IF_ERROR(read_uint(value, "parameters.priority", std::numeric_limits<uint32_t>::max(), &v));
      out->request.priority = static_cast<uint32_t>(v);
    } else if (key == "timeout") {
      FS_RETURN_IF_ERROR(read_uint(value, "parameters.timeout", std::numeric_limits<uint64_t>::max(),
                                   &out->request.timeout_us));
    } else if (key == "binary_data_output") {
      FS_RETURN_IF_ERROR(read_bool(value, "parameters.binary_data_output", &out->binary_data_output));
    } else if (key == "sequence_id" || key == "sequence_start" || key == "sequence_end") {
      return bad("parameters." + std::string(key) + ": sequence batching is not supported");
    }
    // Other parameters are custom ones Triton passes to its backends; there
    // is no backend here to pass them to, so they are ignored.
  }
  return ok_status();
}

struct BinaryCursor {
  const char* base = nullptr;  // first byte after the JSON
  size_t size = 0;             // binary bytes in the body
  size_t used = 0;
};

Status read_input(element in, size_t index, const InferBody& body, BinaryCursor* binary, NamedTensor* out) {
  const std::string where_index = "inputs[" + std::to_string(index) + "]";
  simdjson::dom::object obj;
  if (in.get_object().get(obj)) return bad(where_index + " must be an object");

  std::string_view name;
  element name_el;
  if (obj["name"].get(name_el) || name_el.get_string().get(name))
    return bad(where_index + ": 'name' is missing or not a string");
  out->name.assign(name);
  const std::string where = "input " + in_quotes(name);

  std::string_view datatype;
  element dt_el;
  if (obj["datatype"].get(dt_el) || dt_el.get_string().get(datatype))
    return bad(where + ": 'datatype' is missing or not a string");
  if (datatype == "BYTES") return bad(where + ": datatype BYTES is not supported");
  const DType dtype = dtype_from_v2_name(datatype);
  if (dtype == DType::kUndefined) return bad(where + ": unknown datatype " + in_quotes(datatype));

  element shape_el;
  simdjson::dom::array shape_arr;
  if (obj["shape"].get(shape_el) || shape_el.get_array().get(shape_arr))
    return bad(where + ": 'shape' is missing or not an array");
  std::vector<int64_t> dims;
  dims.reserve(shape_arr.size());
  int64_t numel = 1;
  for (element d : shape_arr) {
    int64_t v = 0;
    if (to_integer<int64_t>(d, &v) != Conv::kOk || v < 0)
      return bad(where + ": 'shape' must hold non-negative integers");
    dims.push_back(v);
    if (__builtin_mul_overflow(numel, v, &numel) || numel > (int64_t{1} << 48))
      return bad(where + ": shape " + shape_string(dims) + " is too large");
  }

  bool has_binary = false;
  uint64_t binary_size = 0;
  element params;
  if (obj["parameters"].get(params) == simdjson::SUCCESS) {
    simdjson::dom::object pobj;
    if (params.get_object().get(pobj)) return bad(where + ": 'parameters' must be an object");
    element bds;
    if (pobj["binary_data_size"].get(bds) == simdjson::SUCCESS) {
      if (to_integer<uint64_t>(bds, &binary_size) != Conv::kOk)
        return bad(where + ": binary_data_size must be a non-negative integer");
      has_binary = true;
    }
  }
  element data;
  const bool has_data = obj["data"].get(data) == simdjson::SUCCESS;
  if (has_data && has_binary) return bad(where + ": has both 'data' and parameters.binary_data_size");
  if (!has_data && !has_binary) return bad(where + ": has neither 'data' nor parameters.binary_data_size");

  if (has_data) return tensor_from_json(data, out->name, dtype, dims, numel, body.json_size, &out->tensor);

  const uint64_t expected = static_cast<uint64_t>(numel) * dtype_size(dtype);
  if (binary_size != expected) {
    return bad(where + ": binary_data_size " + std::to_string(binary_size) + " does not match shape " +
               shape_string(dims) + " of " + std::string(datatype) + " (" + std::to_string(expected) + " bytes)");
  }
  if (binary_size > binary->size - binary->used) {
    return bad(where + ": binary data runs past the end of the body (needs " + std::to_string(binary_size) +
               " bytes at offset " + std::to_string(binary->used) + ", the body has " +
               std::to_string(binary->size) + " binary bytes)");
  }
  const char* src = binary->base + binary->used;
  binary->used += binary_size;
  const auto addr = reinterpret_cast<uintptr_t>(src);
  if (body.owner && dtype != DType::kBool && addr % kWrapAlignment == 0) {
    // Inputs are only read; wrap's pointer is non-const for outputs' sake.
    out->tensor = Tensor::wrap(dtype, Shape(std::move(dims)), const_cast<char*>(src), body.owner);
    return ok_status();
  }
  out->tensor = Tensor::empty(dtype, Shape(std::move(dims)));
  if (dtype == DType::kBool) {
    // Any non-zero byte is true; a bool holding another value is undefined behaviour.
    bool* dst = out->tensor.data<bool>();
    for (uint64_t i = 0; i < binary_size; ++i) dst[i] = src[i] != 0;
  } else if (binary_size > 0) {
    std::memcpy(out->tensor.raw_data(), src, binary_size);
  }
  return ok_status();
}

Status read_outputs(element outputs, DecodedInferRequest* out) {
  simdjson::dom::array arr;
  if (outputs.get_array().get(arr)) return bad("'outputs' must be an array");
  out->request.outputs.reserve(arr.size());
  out->output_binary.reserve(arr.size());
  size_t index = 0;
  for (element o : arr) {
    const std::string where_index = "outputs[" + std::to_string(index++) + "]";
    simdjson::dom::object obj;
    if (o.get_object().get(obj)) return bad(where_index + " must be an object");
    std::string_view name;
    element name_el;
    if (obj["name"].get(name_el) || name_el.get_string().get(name))
      return bad(where_index + ": 'name' is missing or not a string");
    int8_t binary = -1;
    element params;
    if (obj["parameters"].get(params) == simdjson::SUCCESS) {
      simdjson::dom::object pobj;
      if (params.get_object().get(pobj)) return bad("output " + in_quotes(name) + ": 'parameters' must be an object");
      for (auto [key, value] : pobj) {
        if (key == "binary_data") {
          bool b = false;
          FS_RETURN_IF_ERROR(read_bool(value, ("output '" + std::string(name) + "': binary_data").c_str(), &b));
          binary = b ? 1 : 0;
        } else if (key == "classification") {
          return bad("output " + in_quotes(name) + ": the classification extension is not supported");
        }
      }
    }
    out->request.outputs.emplace_back(name);
    out->output_binary.push_back(binary);
  }
  return ok_status();
}

Status decode_root(element root, const InferBody& body, DecodedInferRequest* out) {
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return bad("the request JSON must be an object");

  element id;
  if (obj["id"].get(id) == simdjson::SUCCESS) {
    std::string_view s;
    if (id.get_string().get(s)) return bad("'id' must be a string");
    out->request.id.assign(s);
  }
  element params;
  if (obj["parameters"].get(params) == simdjson::SUCCESS) FS_RETURN_IF_ERROR(read_request_parameters(params, out));

  // An absent "inputs" is an empty list: the model manager then names the
  // inputs the model needs (or says the model does not exist).
  BinaryCursor binary{body.data + body.json_size, body.size - body.json_size, 0};
  element inputs;
  if (obj["inputs"].get(inputs) == simdjson::SUCCESS) {
    simdjson::dom::array in_arr;
    if (inputs.get_array().get(in_arr)) return bad("'inputs' must be an array");
    out->request.inputs.resize(in_arr.size());
    size_t index = 0;
    for (element in : in_arr) {
      FS_RETURN_IF_ERROR(read_input(in, index, body, &binary, &out->request.inputs[index]));
      ++index;
    }
  }
  if (binary.used != binary.size) {
    return bad("binary tensor data is " + std::to_string(binary.size) + " bytes but the inputs' binary_data_size sum to " +
               std::to_string(binary.used));
  }

  element outputs;
  if (obj["outputs"].get(outputs) == simdjson::SUCCESS) FS_RETURN_IF_ERROR(read_outputs(outputs, out));
  return ok_status();
}

}  // namespace


Result<size_t> parse_inference_header_length(std::string_view value, size_t body_size) {
  if (value.empty() || value.size() > 19) return bad("Inference-Header-Content-Length must be a decimal byte count");
  size_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return bad("Inference-Header-Content-Length must be a decimal byte count");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n > body_size) {
    return bad("Inference-Header-Content-Length " + std::to_string(n) + " is larger than the body (" +
               std::to_string(body_size) + " bytes)");
  }
  return n;
}

Status decode_infer_request(const InferBody& body, DecodedInferRequest* out) {
  FS_CHECK(body.json_size <= body.size);
  if (body.json_size == 0) return bad("the request body is empty (expected the infer request JSON)");
  thread_local simdjson::dom::parser thread_parser;
  std::unique_ptr<simdjson::dom::parser> own_parser;
  simdjson::dom::parser* parser = &thread_parser;
  if (body.json_size > kThreadParserMaxBytes) {
    own_parser = std::make_unique<simdjson::dom::parser>();
    parser = own_parser.get();
  }
  element root;
  const simdjson::error_code err = parser->parse(body.data, body.json_size, !body.padded).get(root);
  if (err != simdjson::SUCCESS) {
    std::string msg = std::string("failed to parse the request JSON: ") + simdjson::error_message(err);
    const size_t at = locate_json_error(body.data, body.json_size);
    if (at != kNoOffset) msg += " at byte " + std::to_string(at);
    return bad(std::move(msg));
  }
  const Clock::time_point arrival = out->request.arrival;
  *out = DecodedInferRequest{};
  out->request.arrival = arrival;
  return decode_root(root, body, out);
}

bool output_is_binary(const DecodedInferRequest& options, std::string_view name) {
  const auto& names = options.request.outputs;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      const int8_t b = i < options.output_binary.size() ? options.output_binary[i] : -1;
      if (b >= 0) return b == 1;
      break;
    }
  }
  return options.binary_data_output;
}

}  // namespace fastserve::serve
