// A test-only protobuf encoder and ONNX message builders.
//
// Tests build model bytes in place so each case shows exactly what is on the
// wire (packed or not, field order, malformed bits). The ONNX field numbers
// are written out here from onnx.proto on purpose, independently of
// src/onnx/onnx_schema_ids.h, so a wrong number there fails a test.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fastserve::testing {

class ProtoWriter {
 public:
  ProtoWriter& tag(uint32_t field, int wire_type);  // raw tag (for malformed input)
  ProtoWriter& varint(uint32_t field, uint64_t v);
  ProtoWriter& int64(uint32_t field, int64_t v) { return varint(field, static_cast<uint64_t>(v)); }
  ProtoWriter& fixed32(uint32_t field, uint32_t v);
  ProtoWriter& float32(uint32_t field, float v);
  ProtoWriter& fixed64(uint32_t field, uint64_t v);
  ProtoWriter& float64(uint32_t field, double v);
  ProtoWriter& bytes(uint32_t field, std::string_view v);
  ProtoWriter& message(uint32_t field, const ProtoWriter& m) { return bytes(field, m.str()); }
  ProtoWriter& packed_varints(uint32_t field, const std::vector<int64_t>& v);
  ProtoWriter& packed_floats(uint32_t field, const std::vector<float>& v);
  ProtoWriter& packed_doubles(uint32_t field, const std::vector<double>& v);
  ProtoWriter& raw(std::string_view bytes);  // appended as is

  const std::string& str() const { return out_; }
  size_t size() const { return out_.size(); }

  static std::string encode_varint(uint64_t v);

 private:
  std::string out_;
};

// TensorProto.DataType values used by the tests.
enum OnnxType : int32_t {
  kOnnxFloat = 1,
  kOnnxUint8 = 2,
  kOnnxInt8 = 3,
  kOnnxUint16 = 4,
  kOnnxInt16 = 5,
  kOnnxInt32 = 6,
  kOnnxInt64 = 7,
  kOnnxString = 8,
  kOnnxBool = 9,
  kOnnxFloat16 = 10,
  kOnnxDouble = 11,
  kOnnxUint32 = 12,
  kOnnxUint64 = 13,
  kOnnxComplex64 = 14,
  kOnnxBfloat16 = 16,
  kOnnxFloat8E4M3 = 17,
  kOnnxFloat8E5M2 = 19,
  kOnnxUint4 = 21,
  kOnnxInt4 = 22,
  kOnnxFloat4E2M1 = 23,
  kOnnxFloat8E8M0 = 24,
  kOnnxUint2 = 25,
  kOnnxInt2 = 26,
  kOnnxFloat6E2M3 = 27,
};

// Bytes of a vector of trivially copyable values (for raw_data).
template <typename T>
std::string to_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// TensorProto with name, data_type and dims; add data with the setters below.
ProtoWriter tensor_header(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims);
ProtoWriter tensor_raw(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims,
                       std::string_view raw);
ProtoWriter tensor_f32(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<float>& values);  // raw_data
// TensorProto.external_data entries + data_location = EXTERNAL.
ProtoWriter tensor_external(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims,
                            const std::vector<std::pair<std::string, std::string>>& entries);

// A dim is a value or a symbolic name.
using Dim = std::variant<int64_t, std::string>;
ProtoWriter value_info(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims);
ProtoWriter value_info_no_shape(const std::string& name, int32_t elem_type);

// AttributeProto builders (type field set as ONNX writers do).
ProtoWriter proto_attr_float(const std::string& name, float v);
ProtoWriter proto_attr_int(const std::string& name, int64_t v);
ProtoWriter proto_attr_string(const std::string& name, const std::string& v);
ProtoWriter proto_attr_tensor(const std::string& name, const ProtoWriter& tensor);
ProtoWriter proto_attr_graph(const std::string& name, const ProtoWriter& graph);
ProtoWriter proto_attr_floats(const std::string& name, const std::vector<float>& v, bool packed = true);
ProtoWriter proto_attr_ints(const std::string& name, const std::vector<int64_t>& v, bool packed = true);
ProtoWriter proto_attr_strings(const std::string& name, const std::vector<std::string>& v);

ProtoWriter node(const std::string& op_type, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& outputs, const std::string& name = "",
                 const std::vector<ProtoWriter>& attrs = {}, const std::string& domain = "");

struct GraphParts {
  std::string name = "test_graph";
  std::vector<ProtoWriter> nodes;
  std::vector<ProtoWriter> initializers;
  std::vector<ProtoWriter> inputs;
  std::vector<ProtoWriter> outputs;
  std::vector<ProtoWriter> value_info;
};
// Fields in onnx.proto order, as protobuf serializers write them.
ProtoWriter graph(const GraphParts& parts);

using Opsets = std::vector<std::pair<std::string, int64_t>>;
// ModelProto: ir_version, producer, graph, opset_import (last, as serializers
// order by field number), then metadata_props.
std::string model(const ProtoWriter& graph, const Opsets& opsets = {{"", 17}}, int64_t ir_version = 8,
                  const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace fastserve::testing
