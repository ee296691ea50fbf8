// TensorProto -> Tensor: parsing the message and finding its bytes.
//
// Used for graph initializers and for tensor attributes (Constant's value).
// Data can live in three places, in order of preference:
//   raw_data       the bytes of the model buffer, wrapped in place (zero copy)
//   external data  a side file, mapped once and wrapped in place (zero copy)
//   typed fields   float_data, int32_data, ...: decoded into a new buffer
// A wrapped tensor is copied only when its bytes are not aligned for its
// element type (see decode_tensor). Sub-byte types (int4, float4, int2, ...)
// are packed on the wire and always unpacked into a new buffer (dtype.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/tensor.h"
#include "onnx/onnx_external_data.h"
#include "onnx/protobuf_wire.h"

namespace fastserve {

// The fields of one TensorProto as they are on the wire. raw_data points
// into the model buffer; the typed fields are already decoded.
struct TensorProtoFields {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
  bool has_raw_data = false;
  pb::Bytes raw_data;
  std::vector<float> float_data;
  std::vector<int32_t> int32_data;
  std::vector<int64_t> int64_data;
  std::vector<double> double_data;
  std::vector<uint64_t> uint64_data;
  size_t string_data_count = 0;
  bool has_segment = false;
  int32_t data_location = 0;
  std::vector<std::pair<std::string, std::string>> external_data;  // key, value
};

// Parses a TensorProto message (`r` spans exactly the message). Errors are
// wire-format errors only; meaning is checked by decode_tensor.
Result<TensorProtoFields> parse_tensor_proto(pb::WireReader r);

// Where the bytes of a tensor may come from.
struct TensorSources {
  std::shared_ptr<const void> model_owner;  // keeps the model buffer alive
  ExternalDataFiles* external = nullptr;    // null: external data is refused
  // The model buffer is a read-only file map (load_onnx_model), so the pages
  // under a raw_data tensor that had to be copied can be dropped right away
  // (MappedFile::release_range): load holds each weight once, not twice.
  bool model_is_file_map = false;
};

// Builds the Tensor. `what` names it in errors ("initializer 'w'"): size
// mismatch, negative dims, unsupported dtype (string, complex, float6, ...),
// segments, missing or misplaced data, bad external data.
Result<Tensor> decode_tensor(const TensorProtoFields& t, const TensorSources& sources,
                             const std::string& what);

// Wraps `bytes` (owned by `owner`) as a tensor without copying when the
// pointer is aligned for the element type, else copies into an aligned
// buffer. Bool bytes other than 0/1 are normalized (also by copying).
// `bytes.size()` must equal numel * dtype_size.
Tensor wrap_tensor_bytes(DType dtype, Shape shape, pb::Bytes bytes, std::shared_ptr<const void> owner);

}  // namespace fastserve
