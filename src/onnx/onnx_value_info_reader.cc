// ValueInfoProto / TypeProto / TensorShapeProto parsing (see onnx_value_info_reader.h).
#include "onnx/onnx_value_info_reader.h"

#include "onnx/onnx_schema_ids.h"

namespace fastserve {

namespace {

using pb::WireType;
namespace ids = onnx_ids;

Status parse_dimension(pb::WireReader r, ValueInfoFields& out) {
  int64_t value = kUnknownDim;
  std::string param;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == ids::dimension::kDimValue) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "Dimension.dim_value"));
      FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
      // Negative values are not valid ONNX, but some exporters write -1 for
      // "dynamic"; treat them as unknown rather than refusing the model.
      value = static_cast<int64_t>(v) >= 0 ? static_cast<int64_t>(v) : kUnknownDim;
      param.clear();  // oneof: the last one set wins
    } else if (tag.field == ids::dimension::kDimParam) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "Dimension.dim_param"));
      FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
      param = std::string(s);
      value = kUnknownDim;
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  out.dims.push_back(value);
  out.dim_params.push_back(std::move(param));
  return ok_status();
}

Status parse_tensor_type(pb::WireReader r, ValueInfoFields& out) {
  out.has_tensor_type = true;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == ids::tensor_type::kElemType) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "TypeProto.Tensor.elem_type"));
      FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
      out.elem_type = static_cast<int32_t>(v);
    } else if (tag.field == ids::tensor_type::kShape) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TypeProto.Tensor.shape"));
      FS_ASSIGN_OR_RETURN(pb::WireReader shape, r.read_message());
      // A repeated shape field would merge in protobuf; start over instead,
      // which gives the same result for the single shape real files have.
      out.has_shape = true;
      out.dims.clear();
      out.dim_params.clear();
      while (!shape.at_end()) {
        FS_ASSIGN_OR_RETURN(pb::FieldTag dtag, shape.read_tag());
        if (dtag.field == ids::tensor_shape::kDim) {
          FS_RETURN_IF_ERROR(
              pb::expect_wire_type(shape, dtag, WireType::kLengthDelimited, "TensorShapeProto.dim"));
          FS_ASSIGN_OR_RETURN(pb::WireReader dim, shape.read_message());
          FS_RETURN_IF_ERROR(parse_dimension(dim, out));
        } else {
          FS_RETURN_IF_ERROR(shape.skip_field(dtag.wire_type));
        }
      }
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return ok_status();
}

Status parse_type_proto(pb::WireReader r, ValueInfoFields& out) {
  namespace tp = ids::type_proto;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    const char* kind = nullptr;
    switch (tag.field) {
      case tp::kTensorType: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TypeProto.tensor_type"));
        FS_ASSIGN_OR_RETURN(pb::WireReader t, r.read_message());
        FS_RETURN_IF_ERROR(parse_tensor_type(t, out));
        continue;
      }
      case tp::kSequenceType:
        kind = "sequence";
        break;
      case tp::kMapType:
        kind = "map";
        break;
      case tp::kOptionalType:
        kind = "optional";
        break;
      case tp::kSparseTensorType:
        kind = "sparse tensor";
        break;
      case tp::kOpaqueType:
        kind = "opaque";
        break;
      default:
        break;
    }
    // Non-tensor types are recorded by kind and skipped unparsed: they nest
    // TypeProtos, and skipping keeps the reader free of recursion.
    if (kind != nullptr) out.non_tensor_kind = kind;
    FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
  }
  return ok_status();
}

}  // namespace

Result<ValueInfoFields> parse_value_info_proto(pb::WireReader r) {
  ValueInfoFields out;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == ids::value_info::kName) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "ValueInfoProto.name"));
      FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
      out.name = std::string(s);
    } else if (tag.field == ids::value_info::kType) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "ValueInfoProto.type"));
      FS_ASSIGN_OR_RETURN(pb::WireReader t, r.read_message());
      FS_RETURN_IF_ERROR(parse_type_proto(t, out));
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return out;
}

void apply_value_info(const ValueInfoFields& info, Value& v) {
  const DType dtype = dtype_from_onnx(info.elem_type);
  if (dtype != DType::kUndefined) v.dtype = dtype;
  if (!info.has_shape) return;
  v.shape_known = true;
  v.shape = Shape(info.dims);
  v.dim_params.clear();
  for (const std::string& p : info.dim_params) {
    if (!p.empty()) {
      v.dim_params = info.dim_params;
      break;
    }
  }
}

}  // namespace fastserve
