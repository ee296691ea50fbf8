// NodeProto / AttributeProto parsing (see onnx_node_reader.h).
#include "onnx/onnx_node_reader.h"

#include <optional>
#include <set>

#include "onnx/onnx_schema_ids.h"

namespace fastserve {

namespace {

using pb::WireType;
namespace aid = onnx_ids::attribute;

// The fields of one AttributeProto, before its kind is decided.
struct AttributeFields {
  std::string name;
  int32_t type = aid::kTypeUndefined;
  bool has_f = false, has_i = false, has_s = false, has_t = false;
  float f = 0.f;
  int64_t i = 0;
  std::string s;
  std::optional<pb::WireReader> t;  // parsed after the name is known
  size_t graphs = 0;                // g and graphs entries
  size_t tensors = 0, sparse = 0, type_protos = 0;
  bool has_ref = false;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

Status read_string_field(pb::WireReader& r, pb::FieldTag tag, const char* field, std::string& out) {
  FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, field));
  FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
  out = std::string(s);
  return ok_status();
}

Result<AttributeFields> parse_attribute_fields(pb::WireReader r) {
  AttributeFields a;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    switch (tag.field) {
      case aid::kName:
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "AttributeProto.name", a.name));
        break;
      case aid::kType: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "AttributeProto.type"));
        FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
        a.type = static_cast<int32_t>(v);
        break;
      }
      case aid::kF: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kFixed32, "AttributeProto.f"));
        FS_ASSIGN_OR_RETURN(a.f, r.read_float());
        a.has_f = true;
        break;
      }
      case aid::kI: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "AttributeProto.i"));
        FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
        a.i = static_cast<int64_t>(v);
        a.has_i = true;
        break;
      }
      case aid::kS:
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "AttributeProto.s", a.s));
        a.has_s = true;
        break;
      case aid::kT: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "AttributeProto.t"));
        FS_ASSIGN_OR_RETURN(pb::WireReader t, r.read_message());
        a.t = t;
        a.has_t = true;
        break;
      }
      case aid::kFloats:
        FS_RETURN_IF_ERROR(pb::append_fixed(r, tag.wire_type, a.floats));
        break;
      case aid::kInts:
        FS_RETURN_IF_ERROR(pb::append_varints(r, tag.wire_type, a.ints));
        break;
      case aid::kStrings: {
        std::string s;
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "AttributeProto.strings", s));
        a.strings.push_back(std::move(s));
        break;
      }
      case aid::kG:
      case aid::kGraphs:
        // Skipped unparsed (see onnx_node_reader.h): no recursion into subgraphs.
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "AttributeProto.g"));
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        ++a.graphs;
        break;
      case aid::kTensors:
        ++a.tensors;
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        break;
      case aid::kSparseTensor:
      case aid::kSparseTensors:
        ++a.sparse;
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        break;
      case aid::kTp:
      case aid::kTypeProtos:
        ++a.type_protos;
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        break;
      case aid::kRefAttrName:
        a.has_ref = true;
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        break;
      default:
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return a;
}

// IR version 1 models have no `type`; the spec says to infer it from the
// field that is set.
int32_t infer_attribute_type(const AttributeFields& a) {
  if (a.graphs > 0) return aid::kTypeGraph;
  if (a.has_t) return aid::kTypeTensor;
  if (!a.floats.empty()) return aid::kTypeFloats;
  if (!a.ints.empty()) return aid::kTypeInts;
  if (!a.strings.empty()) return aid::kTypeStrings;
  if (a.has_s) return aid::kTypeString;
  if (a.has_i) return aid::kTypeInt;
  if (a.has_f) return aid::kTypeFloat;
  if (a.tensors > 0) return aid::kTypeTensors;
  if (a.sparse > 0) return aid::kTypeSparseTensor;
  if (a.type_protos > 0) return aid::kTypeTypeProto;
  return aid::kTypeUndefined;
}

Result<Attribute> make_attribute(AttributeFields a, const TensorSources& sources,
                                 const std::string& node_what) {
  const std::string what = node_what + ": attribute '" + a.name + "'";
  if (a.name.empty()) return invalid_model(node_what + ": an attribute has no name");
  if (a.has_ref) {
    return unsupported(what +
                       " refers to a function attribute (ref_attr_name), which is only valid in functions");
  }
  Attribute out;
  out.name = std::move(a.name);
  const int32_t type = a.type != aid::kTypeUndefined ? a.type : infer_attribute_type(a);
  switch (type) {
    case aid::kTypeFloat:
      out.kind = Attribute::Kind::kFloat;
      out.f = a.f;
      break;
    case aid::kTypeInt:
      out.kind = Attribute::Kind::kInt;
      out.i = a.i;
      break;
    case aid::kTypeString:
      out.kind = Attribute::Kind::kString;
      out.s = std::move(a.s);
      break;
    case aid::kTypeTensor: {
      if (!a.t) return invalid_model(what + " has type TENSOR but no tensor");
      out.kind = Attribute::Kind::kTensor;
      FS_ASSIGN_OR_RETURN(TensorProtoFields fields, parse_tensor_proto(*a.t));
      FS_ASSIGN_OR_RETURN(out.t, decode_tensor(fields, sources, what));
      break;
    }
    case aid::kTypeGraph:
    case aid::kTypeGraphs:
      out.kind = Attribute::Kind::kGraph;
      break;
    case aid::kTypeFloats:
      out.kind = Attribute::Kind::kFloats;
      out.floats = std::move(a.floats);
      break;
    case aid::kTypeInts:
      out.kind = Attribute::Kind::kInts;
      out.ints = std::move(a.ints);
      break;
    case aid::kTypeStrings:
      out.kind = Attribute::Kind::kStrings;
      out.strings = std::move(a.strings);
      break;
    case aid::kTypeTensors:
      return unsupported(what + ": attributes of type TENSORS are not supported");
    case aid::kTypeSparseTensor:
    case aid::kTypeSparseTensors:
      return unsupported(what + ": sparse tensor attributes are not supported");
    case aid::kTypeTypeProto:
    case aid::kTypeTypeProtos:
      return unsupported(what + ": type-proto attributes are not supported");
    case aid::kTypeUndefined:
      return invalid_model(what + " has no type and no value");
    default:
      return invalid_model(what + " has unknown type " + std::to_string(type));
  }
  return out;
}

}  // namespace

std::string describe_node(const std::string& name, const std::string& op_type, size_t index) {
  const std::string op = op_type.empty() ? std::string("no op_type") : op_type;
  if (name.empty()) return "node #" + std::to_string(index) + " (" + op + ")";
  return "node '" + name + "' (" + op + ")";
}

Result<NodeProtoFields> parse_node_proto(pb::WireReader r, const TensorSources& sources, size_t index) {
  namespace nid = onnx_ids::node;
  NodeProtoFields node;
  // Attributes are decoded after the whole node is read, so that their
  // errors can name the node whatever order the fields come in.
  std::vector<pb::WireReader> attribute_messages;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    switch (tag.field) {
      case nid::kInput: {
        std::string s;
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "NodeProto.input", s));
        node.inputs.push_back(std::move(s));
        break;
      }
      case nid::kOutput: {
        std::string s;
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "NodeProto.output", s));
        node.outputs.push_back(std::move(s));
        break;
      }
      case nid::kName:
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "NodeProto.name", node.name));
        break;
      case nid::kOpType:
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "NodeProto.op_type", node.op_type));
        break;
      case nid::kDomain:
        FS_RETURN_IF_ERROR(read_string_field(r, tag, "NodeProto.domain", node.domain));
        break;
      case nid::kAttribute: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "NodeProto.attribute"));
        FS_ASSIGN_OR_RETURN(pb::WireReader a, r.read_message());
        attribute_messages.push_back(a);
        break;
      }
      default:
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  if (node.domain == "ai.onnx") node.domain.clear();
  const std::string what = describe_node(node.name, node.op_type, index);
  if (node.op_type.empty()) return invalid_model(what + ": op_type is empty");
  // Every ONNX operator has at least one output (the checker enforces each
  // schema's minimum); a node without one computes nothing and would break
  // the invariant that shape inference can write its first output.
  bool has_output = false;
  for (const std::string& out : node.outputs) has_output |= !out.empty();
  if (!has_output) return invalid_model(what + ": has no outputs");
  node.attributes.reserve(attribute_messages.size());
  std::set<std::string> names;
  for (const pb::WireReader& m : attribute_messages) {
    FS_ASSIGN_OR_RETURN(AttributeFields fields, parse_attribute_fields(m));
    FS_ASSIGN_OR_RETURN(Attribute attr, make_attribute(std::move(fields), sources, what));
    if (!names.insert(attr.name).second) {
      return invalid_model(what + ": attribute '" + attr.name + "' appears twice");
    }
    node.attributes.push_back(std::move(attr));
  }
  return node;
}

}  // namespace fastserve
