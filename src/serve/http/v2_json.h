// The KServe v2 (Open Inference Protocol) infer request and response bodies
// over HTTP: JSON, plus Triton's binary tensor data extension.
//
// Request:
//   {"id": "...",
//    "parameters": {"priority": 1, "timeout": <microseconds>, "binary_data_output": true},
//    "inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32",
//                "data": [1, 2, 3]                      // flat or nested, row-major
//                | "parameters": {"binary_data_size": 12}}],
//    "outputs": [{"name": "y", "parameters": {"binary_data": true}}]}
// With the binary extension, the HTTP header Inference-Header-Content-Length: L
// says the first L bytes of the body are the JSON; the rest is the raw
// (little-endian, row-major) bytes of every input that has binary_data_size,
// concatenated in input order.
//
// Response: {"id", "model_name", "model_version", "outputs": [{"name",
// "datatype", "shape", "data": [...]}]}; an output sent as binary carries
// "parameters": {"binary_data_size": N} and no "data", its bytes follow the
// JSON (in output order) and the HTTP response carries
// Inference-Header-Content-Length and Content-Type application/octet-stream.
//
// Datatypes: BOOL, UINT8..UINT64, INT8..INT64, FP16, BF16, FP32, FP64.
// BYTES (strings) is not supported. FP16/BF16 JSON values are numbers,
// converted with round-to-nearest-even.
//
// Non-finite floats: JSON has no NaN or infinity. Triton writes them with
// rapidjson's kWriteNanAndInfFlag, as the bare tokens NaN, Infinity and
// -Infinity (which Python's json module and most clients read back), so this
// encoder does the same. On input simdjson accepts only standard JSON: send
// non-finite values as binary data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"
#include "serve/infer_request.h"

namespace fastserve::serve {

// simdjson may read this many bytes past the end of the JSON text (any
// content; they must only be readable). Equal to SIMDJSON_PADDING.
inline constexpr size_t kJsonPadding = 64;

// A request body as it arrived.
struct InferBody {
  const char* data = nullptr;
  size_t size = 0;       // bytes of the whole body
  size_t json_size = 0;  // bytes of the JSON header: Inference-Header-Content-Length, or `size`
  // True when kJsonPadding readable bytes follow data + json_size; else the
  // JSON is copied once before parsing.
  bool padded = false;
  // Keeps `data` alive. When set, binary inputs that start 64-byte aligned
  // are wrapped in place (Tensor::wrap, sharing this owner) instead of copied.
  std::shared_ptr<const void> owner;
};

// The decoded request plus how the client wants its outputs encoded.
struct DecodedInferRequest {
  InferRequest request;               // id, inputs, outputs, priority, timeout_us (model/version: the caller's)
  bool binary_data_output = false;    // parameters.binary_data_output: the default for every output
  std::vector<int8_t> output_binary;  // per request.outputs entry: -1 not said, 0 JSON, 1 binary
};

// Parses an Inference-Header-Content-Length value: decimal digits only, at
// most `body_size`. Errors are kInvalidArgument naming the header.
Result<size_t> parse_inference_header_length(std::string_view value, size_t body_size);

// Decodes `body` into `*out`. Every error is kInvalidArgument and names the
// tensor or field at fault ("input 'x': 'data' has 5 elements, shape [2,3]
// needs 6"); malformed JSON reports simdjson's reason and the byte offset.
// Input shapes are taken as given; the model manager checks them.
// `out->request.arrival` is kept; every other field is replaced.
Status decode_infer_request(const InferBody& body, DecodedInferRequest* out);

// Whether the response sends output `name` as binary data.
bool output_is_binary(const DecodedInferRequest& options, std::string_view name);

// Writes the response body into `*out` (replacing its content): the JSON,
// then the binary outputs. `*json_size` is the JSON's length (== out->size()
// when no output is binary). Error (kUnsupported) for an output of a type
// the protocol cannot carry.
Status encode_infer_response(const InferResponse& response, const DecodedInferRequest& options,
                             std::string* out, size_t* json_size);


}  // namespace fastserve::serve
