// TensorProto parsing and decoding (see onnx_tensor_reader.h).
//
// Which typed field holds which data type is fixed by onnx.proto
// (TensorProto, comments on each field): float_data for FLOAT; int32_data
// for INT32, INT16, INT8, UINT16, UINT8, BOOL, and FLOAT16/BFLOAT16 as their
// 16-bit patterns, the float8 types as their 8-bit codes (one per entry) and
// the sub-byte types as packed bytes (one byte, two 4-bit or four 2-bit
// elements, per entry); int64_data for INT64; double_data for DOUBLE;
// uint64_data for UINT32 and UINT64.
//
// Sub-byte types (int4, uint4, float4e2m1, int2, uint2) are packed in
// raw_data, external data and int32_data alike, and are unpacked here into
// the one-element-per-byte storage of dtype.h: such tensors are always
// copied, never wrapped in place.
#include "onnx/onnx_tensor_reader.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "fastserve/low_precision.h"
#include "onnx/mapped_file.h"
#include "onnx/onnx_schema_ids.h"

namespace fastserve {

namespace ids = onnx_ids::tensor;
using pb::WireType;

namespace {

// No real tensor comes near this; it keeps every size product far from
// overflowing 64 bits (and size_t) after multiplying by an element size.
constexpr uint64_t kMaxElements = uint64_t{1} << 56;

const char* onnx_data_type_name(int32_t t) {
  switch (t) {
    case 0:
      return "UNDEFINED";
    case 8:
      return "STRING";
    case 14:
      return "COMPLEX64";
    case 15:
      return "COMPLEX128";
    case 27:
      return "FLOAT6E2M3";
    case 28:
      return "FLOAT6E3M2";
    default:
      return nullptr;
  }
}

Status parse_string_entry(pb::WireReader r, std::pair<std::string, std::string>& out) {
  namespace se = onnx_ids::string_entry;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == se::kKey || tag.field == se::kValue) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "StringStringEntryProto"));
      FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
      (tag.field == se::kKey ? out.first : out.second) = std::string(s);
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return ok_status();
}

std::string describe(DType dtype, const std::vector<int64_t>& dims) {
  return std::string(dtype_name(dtype)) + Shape(dims).to_string();
}

// Copies typed-field values into a new tensor, converting each with `convert`.
template <typename Dst, typename Src, typename Convert>
Tensor typed_tensor(DType dtype, const std::vector<int64_t>& dims, const std::vector<Src>& values,
                    Convert convert) {
  Tensor t = Tensor::empty(dtype, Shape(dims));
  Dst* out = static_cast<Dst*>(t.raw_data());
  for (size_t i = 0; i < values.size(); ++i) out[i] = convert(values[i]);
  return t;
}

template <typename Dst, typename Src>
Tensor typed_tensor_cast(DType dtype, const std::vector<int64_t>& dims, const std::vector<Src>& values) {
  return typed_tensor<Dst>(dtype, dims, values, [](Src v) { return static_cast<Dst>(v); });
}

// A sub-byte tensor from its packed bytes (packed_byte_count of them).
Tensor unpack_tensor(DType dtype, Shape shape, const uint8_t* packed) {
  Tensor t = Tensor::empty(dtype, std::move(shape));
  unpack_sub_byte(dtype, packed, t.numel(), static_cast<uint8_t*>(t.raw_data()));
  return t;
}

// The number of entries a typed field must have for `numel` elements.
uint64_t typed_count_for(DType dtype, uint64_t numel) {
  return dtype_packed_bits(dtype) != 0 ? packed_byte_count(dtype, static_cast<int64_t>(numel)) : numel;
}

// The typed field a dtype is stored in, as (name, element count).
struct TypedField {
  const char* name;
  size_t count;
};

TypedField typed_field_for(const TensorProtoFields& t, DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return {"float_data", t.float_data.size()};
    case DType::kF64:
      return {"double_data", t.double_data.size()};
    case DType::kI64:
      return {"int64_data", t.int64_data.size()};
    case DType::kU32:
    case DType::kU64:
      return {"uint64_data", t.uint64_data.size()};
    default:
      return {"int32_data", t.int32_data.size()};
  }
}

Tensor decode_typed(const TensorProtoFields& t, DType dtype) {
  const auto& d = t.dims;
  switch (dtype) {
    case DType::kF32:
      return typed_tensor_cast<float>(dtype, d, t.float_data);
    case DType::kF64:
      return typed_tensor_cast<double>(dtype, d, t.double_data);
    case DType::kI64:
      return typed_tensor_cast<int64_t>(dtype, d, t.int64_data);
    case DType::kU64:
      return typed_tensor_cast<uint64_t>(dtype, d, t.uint64_data);
    case DType::kU32:
      return typed_tensor_cast<uint32_t>(dtype, d, t.uint64_data);
    case DType::kI32:
      return typed_tensor_cast<int32_t>(dtype, d, t.int32_data);
    case DType::kI16:
      return typed_tensor_cast<int16_t>(dtype, d, t.int32_data);
    case DType::kU16:
    case DType::kF16:
    case DType::kBF16:
      return typed_tensor_cast<uint16_t>(dtype, d, t.int32_data);
    case DType::kI8:
      return typed_tensor_cast<int8_t>(dtype, d, t.int32_data);
    case DType::kU8:
      return typed_tensor_cast<uint8_t>(dtype, d, t.int32_data);
    case DType::kBool:
      return typed_tensor<bool>(dtype, d, t.int32_data, [](int32_t v) { return v != 0; });
    case DType::kF8E4M3FN:
    case DType::kF8E4M3FNUZ:
    case DType::kF8E5M2:
    case DType::kF8E5M2FNUZ:
    case DType::kF8E8M0:
      return typed_tensor_cast<uint8_t>(dtype, d, t.int32_data);
    case DType::kI4:
    case DType::kU4:
    case DType::kF4E2M1:
    case DType::kI2:
    case DType::kU2: {
      // Each entry holds one packed byte.
      std::vector<uint8_t> packed(t.int32_data.size());
      for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(t.int32_data[i]);
      return unpack_tensor(dtype, Shape(d), packed.data());
    }
    case DType::kString:
    case DType::kUndefined:
      break;
  }
  FS_CHECK_MSG(false, "decode_typed: unexpected dtype");
  return Tensor();
}

Result<uint64_t> parse_uint(const std::string& s, const std::string& what, const char* key) {
  uint64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) {
    return invalid_model(what + ": external data " + key + " '" + s.substr(0, 40) +
                         "' is not a non-negative integer");
  }
  return v;
}

Result<Tensor> decode_external(const TensorProtoFields& t, DType dtype, uint64_t nbytes,
                               const TensorSources& sources, const std::string& what) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto& [key, value] : t.external_data) {
    if (key == "location") {
      location = value;
    } else if (key == "offset") {
      FS_ASSIGN_OR_RETURN(offset, parse_uint(value, what, "offset"));
    } else if (key == "length") {
      FS_ASSIGN_OR_RETURN(uint64_t len, parse_uint(value, what, "length"));
      length = len;
    }
    // "checksum" and unknown keys are ignored, as the spec allows.
  }
  if (location.empty()) return invalid_model(what + ": external data has no 'location'");
  if (sources.external == nullptr) {
    return unsupported(what + ": data is in external file '" + location.substr(0, 200) +
                       "', which cannot be read when the model is loaded from memory");
  }
  if (length && *length != nbytes) {
    return invalid_model(what + ": external data length is " + std::to_string(*length) + " bytes, expected " +
                         std::to_string(nbytes) + " for " + describe(dtype, t.dims));
  }
  if (nbytes == 0) return Tensor::empty(dtype, Shape(t.dims));  // nothing to map
  auto file = sources.external->open(location);
  if (!file.ok()) return file.status().with_context(what);
  const MappedFile& f = *file.value();
  if (offset > f.size() || nbytes > f.size() - offset) {
    return invalid_model(what + ": external data [" + std::to_string(offset) + ", " + std::to_string(offset) +
                         " + " + std::to_string(nbytes) + ") lies outside " + f.path() + " (" +
                         std::to_string(f.size()) + " bytes)");
  }
  if (dtype_packed_bits(dtype) != 0) return unpack_tensor(dtype, Shape(t.dims), f.data() + offset);
  return wrap_tensor_bytes(dtype, Shape(t.dims), pb::Bytes(f.data() + offset, static_cast<size_t>(nbytes)),
                           MappedFile::data_owner(file.value()));
}

}  // namespace

Result<TensorProtoFields> parse_tensor_proto(pb::WireReader r) {
  TensorProtoFields t;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    switch (tag.field) {
      case ids::kDims:
        FS_RETURN_IF_ERROR(pb::append_varints(r, tag.wire_type, t.dims));
        break;
      case ids::kDataType: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "TensorProto.data_type"));
        FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
        t.data_type = static_cast<int32_t>(v);
        break;
      }
      case ids::kSegment:
        t.has_segment = true;
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        break;
      case ids::kFloatData:
        FS_RETURN_IF_ERROR(pb::append_fixed(r, tag.wire_type, t.float_data));
        break;
      case ids::kInt32Data:
        FS_RETURN_IF_ERROR(pb::append_varints(r, tag.wire_type, t.int32_data));
        break;
      case ids::kStringData:
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TensorProto.string_data"));
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        ++t.string_data_count;
        break;
      case ids::kInt64Data:
        FS_RETURN_IF_ERROR(pb::append_varints(r, tag.wire_type, t.int64_data));
        break;
      case ids::kName: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TensorProto.name"));
        FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
        t.name = std::string(s);
        break;
      }
      case ids::kRawData: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TensorProto.raw_data"));
        FS_ASSIGN_OR_RETURN(t.raw_data, r.read_length_delimited());
        t.has_raw_data = true;
        break;
      }
      case ids::kDoubleData:
        FS_RETURN_IF_ERROR(pb::append_fixed(r, tag.wire_type, t.double_data));
        break;
      case ids::kUint64Data:
        FS_RETURN_IF_ERROR(pb::append_varints(r, tag.wire_type, t.uint64_data));
        break;
      case ids::kExternalData: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "TensorProto.external_data"));
        FS_ASSIGN_OR_RETURN(pb::WireReader entry, r.read_message());
        std::pair<std::string, std::string> kv;
        FS_RETURN_IF_ERROR(parse_string_entry(entry, kv));
        t.external_data.push_back(std::move(kv));
        break;
      }
      case ids::kDataLocation: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "TensorProto.data_location"));
        FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
        t.data_location = static_cast<int32_t>(v);
        break;
      }
      default:
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return t;
}

Tensor wrap_tensor_bytes(DType dtype, Shape shape, pb::Bytes bytes, std::shared_ptr<const void> owner) {
  const size_t elem = dtype_size(dtype);
  FS_CHECK(bytes.size() % elem == 0);
  if (bytes.empty()) return Tensor::empty(dtype, std::move(shape));
  // raw_data sits wherever protobuf put it: after a tag and a varint length,
  // so its address is aligned only by chance. Element loads through a
  // misaligned float*/int64_t* are undefined behaviour in C++ (and fault with
  // aligned SIMD loads), so such tensors are copied into fresh 64-byte
  // aligned storage. Aligned ones, and external data (written at aligned
  // offsets by the usual tools), are wrapped without a copy.
  const bool aligned = reinterpret_cast<uintptr_t>(bytes.data()) % elem == 0;
  bool valid_bools = true;
  if (dtype == DType::kBool) {
    // A bool object holding anything but 0/1 is undefined behaviour to read.
    for (uint8_t b : bytes) valid_bools &= b <= 1;
  }
  if (aligned && valid_bools) {
    // The mapping is read-only; Tensor::wrap takes a non-const pointer only
    // because Tensor does not track constness. Initializers are never written.
    return Tensor::wrap(dtype, std::move(shape), const_cast<uint8_t*>(bytes.data()), std::move(owner));
  }
  Tensor t = Tensor::empty(dtype, std::move(shape));
  if (dtype == DType::kBool) {
    bool* out = static_cast<bool*>(t.raw_data());
    for (size_t i = 0; i < bytes.size(); ++i) out[i] = bytes[i] != 0;
  } else {
    std::memcpy(t.raw_data(), bytes.data(), bytes.size());
  }
  return t;
}

Result<Tensor> decode_tensor(const TensorProtoFields& t, const TensorSources& sources,
                             const std::string& what) {
  if (t.has_segment) return unsupported(what + ": segmented tensors are not supported");
  const DType dtype = dtype_from_onnx(t.data_type);
  if (dtype == DType::kString) return unsupported(what + ": string tensors are not supported");
  if (!dtype_is_storable(dtype)) {
    const char* name = onnx_data_type_name(t.data_type);
    return unsupported(what + ": data type " + std::to_string(t.data_type) +
                       (name ? std::string(" (") + name + ")" : std::string()) + " is not supported");
  }
  uint64_t numel = 1;
  for (int64_t d : t.dims) {
    if (d < 0) return invalid_model(what + ": negative dim " + std::to_string(d));
    if (d != 0 && numel > kMaxElements / static_cast<uint64_t>(d)) {
      return invalid_model(what + ": too many elements");
    }
    numel *= static_cast<uint64_t>(d);
  }
  // Bytes on the wire: packed for sub-byte types.
  const uint64_t nbytes = dtype_packed_bits(dtype) != 0
                              ? packed_byte_count(dtype, static_cast<int64_t>(numel))
                              : numel * dtype_size(dtype);

  if (t.data_location == ids::kLocationExternal) return decode_external(t, dtype, nbytes, sources, what);
  if (t.data_location != ids::kLocationDefault) {
    return invalid_model(what + ": unknown data_location " + std::to_string(t.data_location));
  }
  if (t.has_raw_data) {
    if (t.raw_data.size() != nbytes) {
      return invalid_model(what + ": raw_data has " + std::to_string(t.raw_data.size()) +
                           " bytes, expected " + std::to_string(nbytes) + " for " + describe(dtype, t.dims) +
                           (dtype_packed_bits(dtype) != 0 ? " (packed)" : ""));
    }
    if (dtype_packed_bits(dtype) != 0) return unpack_tensor(dtype, Shape(t.dims), t.raw_data.data());
    Tensor out = wrap_tensor_bytes(dtype, Shape(t.dims), t.raw_data, sources.model_owner);
    if (sources.model_is_file_map && out.raw_data() != static_cast<const void*>(t.raw_data.data())) {
      MappedFile::release_range(t.raw_data.data(), t.raw_data.size());
    }
    return out;
  }
  const TypedField field = typed_field_for(t, dtype);
  const uint64_t want = typed_count_for(dtype, numel);
  if (field.count != want) {
    // Name the field the data is in when it is the wrong one, else the count.
    const size_t any = t.float_data.size() + t.int32_data.size() + t.int64_data.size() +
                       t.double_data.size() + t.uint64_data.size();
    if (field.count == 0 && any == 0) {
      return invalid_model(what + ": no data (expected " + std::to_string(want) + " values for " +
                           describe(dtype, t.dims) + ")");
    }
    if (field.count == 0) {
      return invalid_model(what + ": " + dtype_name(dtype) + " data must be in raw_data or " + field.name);
    }
    return invalid_model(what + ": " + field.name + " has " + std::to_string(field.count) +
                         " values, expected " + std::to_string(want) + " for " + describe(dtype, t.dims) +
                         (want != numel ? " (packed)" : ""));
  }
  return decode_typed(t, dtype);
}

}  // namespace fastserve
