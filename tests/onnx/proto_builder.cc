// Test-only protobuf/ONNX encoder (see proto_builder.h). Field numbers are
// from onnx/onnx.proto3.
#include "tests/onnx/proto_builder.h"

#include <cstring>

namespace fastserve::testing {

namespace {
constexpr int kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;
}  // namespace

std::string ProtoWriter::encode_varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}

ProtoWriter& ProtoWriter::tag(uint32_t field, int wire_type) {
  out_ += encode_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
  return *this;
}

ProtoWriter& ProtoWriter::varint(uint32_t field, uint64_t v) {
  tag(field, kVarint);
  out_ += encode_varint(v);
  return *this;
}

ProtoWriter& ProtoWriter::fixed32(uint32_t field, uint32_t v) {
  tag(field, kFixed32);
  out_.append(reinterpret_cast<const char*>(&v), 4);
  return *this;
}

ProtoWriter& ProtoWriter::float32(uint32_t field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return fixed32(field, bits);
}

ProtoWriter& ProtoWriter::fixed64(uint32_t field, uint64_t v) {
  tag(field, kFixed64);
  out_.append(reinterpret_cast<const char*>(&v), 8);
  return *this;
}

ProtoWriter& ProtoWriter::float64(uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return fixed64(field, bits);
}

ProtoWriter& ProtoWriter::bytes(uint32_t field, std::string_view v) {
  tag(field, kLen);
  out_ += encode_varint(v.size());
  out_.append(v.data(), v.size());
  return *this;
}

ProtoWriter& ProtoWriter::packed_varints(uint32_t field, const std::vector<int64_t>& v) {
  std::string payload;
  for (int64_t x : v) payload += encode_varint(static_cast<uint64_t>(x));
  return bytes(field, payload);
}

ProtoWriter& ProtoWriter::packed_floats(uint32_t field, const std::vector<float>& v) {
  return bytes(field, to_bytes(v));
}

ProtoWriter& ProtoWriter::packed_doubles(uint32_t field, const std::vector<double>& v) {
  return bytes(field, to_bytes(v));
}

ProtoWriter& ProtoWriter::raw(std::string_view bytes) {
  out_.append(bytes.data(), bytes.size());
  return *this;
}

// --- TensorProto: dims 1, data_type 2, name 8, raw_data 9, external_data 13, data_location 14
ProtoWriter tensor_header(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims) {
  ProtoWriter t;
  if (!dims.empty()) t.packed_varints(1, dims);
  t.varint(2, static_cast<uint64_t>(data_type));
  t.bytes(8, name);
  return t;
}

ProtoWriter tensor_raw(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims,
                       std::string_view raw) {
  ProtoWriter t = tensor_header(name, data_type, dims);
  t.bytes(9, raw);
  return t;
}

ProtoWriter tensor_f32(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<float>& values) {
  return tensor_raw(name, kOnnxFloat, dims, to_bytes(values));
}

ProtoWriter tensor_external(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims,
                            const std::vector<std::pair<std::string, std::string>>& entries) {
  ProtoWriter t = tensor_header(name, data_type, dims);
  for (const auto& [k, v] : entries) t.message(13, ProtoWriter().bytes(1, k).bytes(2, v));
  t.varint(14, 1);
  return t;
}

// --- ValueInfoProto: name 1, type 2; TypeProto.tensor_type 1; Tensor: elem_type 1, shape 2;
//     TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2
ProtoWriter value_info(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims) {
  ProtoWriter shape;
  for (const Dim& d : dims) {
    ProtoWriter dim;
    if (const int64_t* v = std::get_if<int64_t>(&d)) {
      dim.int64(1, *v);
    } else {
      dim.bytes(2, std::get<std::string>(d));
    }
    shape.message(1, dim);
  }
  ProtoWriter tensor_type;
  tensor_type.varint(1, static_cast<uint64_t>(elem_type)).message(2, shape);
  return ProtoWriter().bytes(1, name).message(2, ProtoWriter().message(1, tensor_type));
}

ProtoWriter value_info_no_shape(const std::string& name, int32_t elem_type) {
  ProtoWriter tensor_type;
  tensor_type.varint(1, static_cast<uint64_t>(elem_type));
  return ProtoWriter().bytes(1, name).message(2, ProtoWriter().message(1, tensor_type));
}

// --- AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9, type 20
//     AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8
ProtoWriter proto_attr_float(const std::string& name, float v) {
  return ProtoWriter().bytes(1, name).float32(2, v).varint(20, 1);
}
ProtoWriter proto_attr_int(const std::string& name, int64_t v) {
  return ProtoWriter().bytes(1, name).int64(3, v).varint(20, 2);
}
ProtoWriter proto_attr_string(const std::string& name, const std::string& v) {
  return ProtoWriter().bytes(1, name).bytes(4, v).varint(20, 3);
}
ProtoWriter proto_attr_tensor(const std::string& name, const ProtoWriter& tensor) {
  return ProtoWriter().bytes(1, name).message(5, tensor).varint(20, 4);
}
ProtoWriter proto_attr_graph(const std::string& name, const ProtoWriter& g) {
  return ProtoWriter().bytes(1, name).message(6, g).varint(20, 5);
}
ProtoWriter proto_attr_floats(const std::string& name, const std::vector<float>& v, bool packed) {
  ProtoWriter a;
  a.bytes(1, name);
  if (packed) {
    a.packed_floats(7, v);
  } else {
    for (float f : v) a.float32(7, f);
  }
  return a.varint(20, 6);
}
ProtoWriter proto_attr_ints(const std::string& name, const std::vector<int64_t>& v, bool packed) {
  ProtoWriter a;
  a.bytes(1, name);
  if (packed) {
    a.packed_varints(8, v);
  } else {
    for (int64_t i : v) a.int64(8, i);
  }
  return a.varint(20, 7);
}
ProtoWriter proto_attr_strings(const std::string& name, const std::vector<std::string>& v) {
  ProtoWriter a;
  a.bytes(1, name);
  for (const std::string& s : v) a.bytes(9, s);
  return a.varint(20, 8);
}

// --- NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
ProtoWriter node(const std::string& op_type, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& outputs, const std::string& name,
                 const std::vector<ProtoWriter>& attrs, const std::string& domain) {
  ProtoWriter n;
  for (const std::string& i : inputs) n.bytes(1, i);
  for (const std::string& o : outputs) n.bytes(2, o);
  if (!name.empty()) n.bytes(3, name);
  n.bytes(4, op_type);
  for (const ProtoWriter& a : attrs) n.message(5, a);
  if (!domain.empty()) n.bytes(7, domain);
  return n;
}

// --- GraphProto: node 1, name 2, initializer 5, input 11, output 12, value_info 13
ProtoWriter graph(const GraphParts& parts) {
  ProtoWriter g;
  for (const ProtoWriter& n : parts.nodes) g.message(1, n);
  g.bytes(2, parts.name);
  for (const ProtoWriter& t : parts.initializers) g.message(5, t);
  for (const ProtoWriter& v : parts.inputs) g.message(11, v);
  for (const ProtoWriter& v : parts.outputs) g.message(12, v);
  for (const ProtoWriter& v : parts.value_info) g.message(13, v);
  return g;
}

// --- ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8,
//     metadata_props 14; OperatorSetIdProto: domain 1, version 2; StringStringEntryProto: key 1, value 2
std::string model(const ProtoWriter& g, const Opsets& opsets, int64_t ir_version,
                  const std::vector<std::pair<std::string, std::string>>& metadata) {
  ProtoWriter m;
  m.int64(1, ir_version).bytes(2, "fastserve-test").bytes(3, "1.0").message(7, g);
  for (const auto& [domain, version] : opsets) m.message(8, ProtoWriter().bytes(1, domain).int64(2, version));
  for (const auto& [k, v] : metadata) m.message(14, ProtoWriter().bytes(1, k).bytes(2, v));
  return m.str();
}

}  // namespace fastserve::testing
