// IR -> ONNX ModelProto (see onnx_writer.h).
#include "onnx/onnx_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fastserve/low_precision.h"
#include "onnx/onnx_schema_ids.h"
#include "onnx/protobuf_writer.h"

namespace fastserve {

namespace {

namespace ids = onnx_ids;
using pb::WireWriter;

constexpr const char* kFastServeOpsDomain = "fastserve";

// The lowest IR version that allows the model's default-domain opset
// (onnx/helper.py's VERSION_TABLE), for models built in memory with none.
int64_t ir_version_for_opset(int64_t opset) {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

// Holds the packed bytes of sub-byte tensors until the file is written.
using Scratch = std::vector<std::unique_ptr<std::vector<uint8_t>>>;

Result<WireWriter> tensor_proto(const Tensor& t, const std::string& name, const std::string& what, Scratch& scratch) {
  if (!dtype_is_storable(t.dtype())) {
    return unsupported(what + ": tensors of type " + std::string(dtype_name(t.dtype())) + " cannot be written");
  }
  if (t.raw_data() == nullptr && t.numel() != 0) {
    // A compiled session's model: compile_plan drops the weights it packed.
    return invalid_argument(what + " holds no data (a session dropped it after packing it); write the model "
                            "before compiling it");
  }
  WireWriter w;
  w.packed_int64s(ids::tensor::kDims, t.shape().dims());
  w.int64_field(ids::tensor::kDataType, static_cast<int64_t>(t.dtype()));
  if (!name.empty()) w.bytes_field(ids::tensor::kName, name);
  if (dtype_packed_bits(t.dtype()) != 0) {
    auto packed = std::make_unique<std::vector<uint8_t>>(packed_byte_count(t.dtype(), t.numel()));
    pack_sub_byte(t.dtype(), static_cast<const uint8_t*>(t.raw_data()), t.numel(), packed->data());
    w.bytes_field_ref(ids::tensor::kRawData, packed->data(), packed->size());
    scratch.push_back(std::move(packed));
  } else {
    // Stored little-endian, as raw_data wants (every host we build for is LE).
    w.bytes_field_ref(ids::tensor::kRawData, t.raw_data(), t.nbytes());
  }
  return w;
}

// ValueInfoProto: name, and a tensor type when the dtype is known (with the
// shape when known: dim_value, dim_param, or an empty Dimension).
WireWriter value_info(const Value& v) {
  WireWriter w;
  w.bytes_field(ids::value_info::kName, v.name);
  if (v.dtype == DType::kUndefined) return w;
  WireWriter tensor;
  tensor.int64_field(ids::tensor_type::kElemType, static_cast<int64_t>(v.dtype));
  if (v.shape_known) {
    WireWriter shape;
    for (size_t d = 0; d < v.shape.rank(); ++d) {
      WireWriter dim;
      const std::string param = d < v.dim_params.size() ? v.dim_params[d] : std::string();
      if (v.shape[d] != kUnknownDim) {
        dim.int64_field(ids::dimension::kDimValue, v.shape[d]);
      } else if (!param.empty()) {
        dim.bytes_field(ids::dimension::kDimParam, param);
      }
      shape.message(ids::tensor_shape::kDim, std::move(dim));
    }
    tensor.message(ids::tensor_type::kShape, std::move(shape));
  }
  WireWriter type;
  type.message(ids::type_proto::kTensorType, std::move(tensor));
  w.message(ids::value_info::kType, std::move(type));
  return w;
}

Result<WireWriter> attribute_proto(const Attribute& a, const std::string& node_what, Scratch& scratch) {
  namespace aid = ids::attribute;
  const std::string what = node_what + ": attribute '" + a.name + "'";
  WireWriter w;
  w.bytes_field(aid::kName, a.name);
  switch (a.kind) {
    case Attribute::Kind::kFloat:
      w.float_field(aid::kF, a.f);
      w.int64_field(aid::kType, aid::kTypeFloat);
      break;
    case Attribute::Kind::kInt:
      w.int64_field(aid::kI, a.i);
      w.int64_field(aid::kType, aid::kTypeInt);
      break;
    case Attribute::Kind::kString:
      w.bytes_field(aid::kS, a.s);
      w.int64_field(aid::kType, aid::kTypeString);
      break;
    case Attribute::Kind::kTensor: {
      FS_ASSIGN_OR_RETURN(WireWriter t, tensor_proto(a.t, "", what, scratch));
      w.message(aid::kT, std::move(t));
      w.int64_field(aid::kType, aid::kTypeTensor);
      break;
    }
    case Attribute::Kind::kFloats:
      w.packed_floats(aid::kFloats, a.floats);
      w.int64_field(aid::kType, aid::kTypeFloats);
      break;
    case Attribute::Kind::kInts:
      w.packed_int64s(aid::kInts, a.ints);
      w.int64_field(aid::kType, aid::kTypeInts);
      break;
    case Attribute::Kind::kStrings:
      for (const std::string& s : a.strings) w.bytes_field(aid::kStrings, s);
      w.int64_field(aid::kType, aid::kTypeStrings);
      break;
    case Attribute::Kind::kGraph:
      return unsupported(what + " is a subgraph, which FastServe does not keep after loading: cannot write it");
    case Attribute::Kind::kUndefined:
      return invalid_argument(what + " has no value");
  }
  return w;
}

std::string node_what(const Node& n, size_t index) {
  return "node " + std::to_string(index) + " ('" + n.name + "', " + n.op_type + ")";
}

Result<WireWriter> node_proto(const Graph& g, const Node& n, size_t index, Scratch& scratch) {
  namespace nid = ids::node;
  WireWriter w;
  auto name_of = [&](ValueId id) {
    return id == kNoValue ? std::string() : g.values[static_cast<size_t>(id)].name;
  };
  for (ValueId id : n.inputs) w.bytes_field(nid::kInput, name_of(id));
  for (ValueId id : n.outputs) w.bytes_field(nid::kOutput, name_of(id));
  if (!n.name.empty()) w.bytes_field(nid::kName, n.name);
  w.bytes_field(nid::kOpType, n.op_type);
  const std::string what = node_what(n, index);
  for (const Attribute& a : n.attributes) {
    FS_ASSIGN_OR_RETURN(WireWriter attr, attribute_proto(a, what, scratch));
    w.message(nid::kAttribute, std::move(attr));
  }
  if (!n.domain.empty()) w.bytes_field(nid::kDomain, n.domain);
  return w;
}

Result<WireWriter> graph_proto(const Graph& g, Scratch& scratch) {
  namespace gid = ids::graph;
  WireWriter w;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    FS_ASSIGN_OR_RETURN(WireWriter node, node_proto(g, g.nodes[i], i, scratch));
    w.message(gid::kNode, std::move(node));
  }
  w.bytes_field(gid::kName, g.name.empty() ? std::string("fastserve") : g.name);
  for (const Value& v : g.values) {
    if (!v.is_constant()) continue;
    FS_ASSIGN_OR_RETURN(WireWriter t, tensor_proto(v.initializer, v.name, "initializer '" + v.name + "'", scratch));
    w.message(gid::kInitializer, std::move(t));
  }
  std::vector<bool> listed(g.values.size(), false);
  for (ValueId id : g.inputs) {
    w.message(gid::kInput, value_info(g.values[static_cast<size_t>(id)]));
    listed[static_cast<size_t>(id)] = true;
  }
  for (ValueId id : g.outputs) {
    w.message(gid::kOutput, value_info(g.values[static_cast<size_t>(id)]));
    listed[static_cast<size_t>(id)] = true;
  }
  // Intermediates whose type is known (Netron shows them on the edges).
  for (const Node& n : g.nodes) {
    for (ValueId id : n.outputs) {
      if (id == kNoValue || listed[static_cast<size_t>(id)]) continue;
      const Value& v = g.values[static_cast<size_t>(id)];
      if (v.dtype == DType::kUndefined || v.is_constant()) continue;
      w.message(gid::kValueInfo, value_info(v));
      listed[static_cast<size_t>(id)] = true;
    }
  }
  return w;
}

Result<WireWriter> model_proto(const Model& model, Scratch& scratch) {
  namespace mid = ids::model;
  WireWriter w;
  const int64_t opset = model.opset();
  w.int64_field(mid::kIrVersion, model.ir_version > 0 ? model.ir_version : ir_version_for_opset(opset));
  w.bytes_field(mid::kProducerName, "fastserve");
  w.bytes_field(mid::kProducerVersion, FASTSERVE_VERSION);
  FS_ASSIGN_OR_RETURN(WireWriter graph, graph_proto(model.graph, scratch));
  w.message(mid::kGraph, std::move(graph));

  std::map<std::string, int64_t> opsets = model.opsets;
  for (const Node& n : model.graph.nodes) {
    if (n.domain == kFastServeOpsDomain) opsets.emplace(kFastServeOpsDomain, 1);
  }
  if (opsets.find("") == opsets.end()) opsets.emplace("", opset > 0 ? opset : 17);
  for (const auto& [domain, version] : opsets) {
    WireWriter o;
    if (!domain.empty()) o.bytes_field(ids::opset_id::kDomain, domain);
    o.int64_field(ids::opset_id::kVersion, version);
    w.message(mid::kOpsetImport, std::move(o));
  }
  for (const auto& [key, value] : model.metadata) {
    WireWriter e;
    e.bytes_field(ids::string_entry::kKey, key);
    e.bytes_field(ids::string_entry::kValue, value);
    w.message(mid::kMetadataProps, std::move(e));
  }
  return w;
}

// protobuf's parsers (onnx, ORT, Netron) refuse messages of 2 GiB and more;
// such models need external data, which the writer does not produce.
constexpr uint64_t kMaxProtoBytes = (uint64_t{1} << 31) - 1;

Result<WireWriter> checked_model_proto(const Model& model, Scratch& scratch) {
  Result<WireWriter> w = model_proto(model, scratch);
  if (!w.ok()) return w.status().with_context(model.display_name());
  if (w->size() > kMaxProtoBytes) {
    return unsupported(model.display_name() + ": the model would take " + std::to_string(w->size()) +
                       " bytes, over protobuf's 2 GiB limit (writing external data is not supported)");
  }
  return w;
}

}  // namespace

Result<std::string> serialize_onnx_model(const Model& model) {
  Scratch scratch;
  FS_ASSIGN_OR_RETURN(WireWriter w, checked_model_proto(model, scratch));
  return w.to_string();
}

Status save_onnx_model(const Model& model, const std::string& path) {
  Scratch scratch;
  Result<WireWriter> w = checked_model_proto(model, scratch);
  if (!w.ok()) return w.status();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return invalid_argument(path + ": cannot open for writing: " + std::strerror(errno));
  const bool written = w->write_to(f);
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    return invalid_argument(path + ": write failed: " + std::strerror(written ? errno : write_errno));
  }
  return ok_status();
}

}  // namespace fastserve
