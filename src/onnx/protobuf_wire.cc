// Bounds-checked protobuf wire-format reads (see protobuf_wire.h).
#include "onnx/protobuf_wire.h"

#include <bit>
#include <string>

namespace fastserve::pb {

// Fixed-width values are little-endian on the wire; we memcpy them.
static_assert(std::endian::native == std::endian::little, "the ONNX reader assumes a little-endian host");

namespace {
constexpr int kMaxVarintBytes = 10;
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;
}  // namespace

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kStartGroup:
      return "start-group";
    case WireType::kEndGroup:
      return "end-group";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "invalid";
}

Status WireReader::malformed(const std::string& what) const {
  return invalid_model("malformed protobuf at offset " + std::to_string(offset()) + ": " + what);
}

Status WireReader::overrun(const char* what, uint64_t need) const {
  // Running past the end of the whole buffer is what a cut-off file looks
  // like; running past the end of an enclosing message while the buffer goes
  // on means the lengths disagree, i.e. the bytes are not a valid message.
  const bool past_buffer = end_ == truncation_end_;
  const std::string detail = std::string(what) + " at offset " + std::to_string(offset()) + " needs " +
                             std::to_string(need) + " bytes, " + std::to_string(remaining()) + " left";
  if (past_buffer) return invalid_model("truncated: " + detail);
  return invalid_model("malformed protobuf: " + detail + " in the enclosing message");
}

Result<uint64_t> WireReader::read_varint_slow() {
  uint64_t value = 0;
  const uint8_t* p = pos_;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (p == end_) return overrun("varint", static_cast<uint64_t>(i) + 1);
    const uint8_t byte = *p++;
    if (i == kMaxVarintBytes - 1 && byte > 1) {
      // The 10th byte carries bit 63 only; anything more does not fit in 64 bits.
      return malformed("varint overflows 64 bits");
    }
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      pos_ = p;
      return value;
    }
  }
  return malformed("varint longer than 10 bytes");
}

Result<FieldTag> WireReader::read_tag() {
  const size_t at = offset();
  FS_ASSIGN_OR_RETURN(uint64_t v, read_varint());
  const uint64_t field = v >> 3;
  const uint64_t wire = v & 7;
  if (field == 0 || field > kMaxFieldNumber) {
    return invalid_model("malformed protobuf at offset " + std::to_string(at) + ": field number " +
                         std::to_string(field) + " is out of range");
  }
  if (wire > 5) {
    return invalid_model("malformed protobuf at offset " + std::to_string(at) + ": invalid wire type " +
                         std::to_string(wire));
  }
  return FieldTag{static_cast<uint32_t>(field), static_cast<WireType>(wire)};
}

Result<uint32_t> WireReader::read_fixed32() {
  if (remaining() < 4) return overrun("fixed32", 4);
  uint32_t v;
  std::memcpy(&v, pos_, 4);
  pos_ += 4;
  return v;
}

Result<uint64_t> WireReader::read_fixed64() {
  if (remaining() < 8) return overrun("fixed64", 8);
  uint64_t v;
  std::memcpy(&v, pos_, 8);
  pos_ += 8;
  return v;
}

Result<float> WireReader::read_float() {
  FS_ASSIGN_OR_RETURN(uint32_t bits, read_fixed32());
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

Result<double> WireReader::read_double() {
  FS_ASSIGN_OR_RETURN(uint64_t bits, read_fixed64());
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

Result<Bytes> WireReader::read_length_delimited() {
  FS_ASSIGN_OR_RETURN(uint64_t length, read_varint());
  // Compare as 64-bit before forming any pointer, so a huge length cannot wrap.
  if (length > remaining()) return overrun("length-delimited field", length);
  Bytes bytes(pos_, static_cast<size_t>(length));
  pos_ += length;
  return bytes;
}

Result<std::string_view> WireReader::read_string() {
  FS_ASSIGN_OR_RETURN(Bytes b, read_length_delimited());
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

Result<WireReader> WireReader::read_message() {
  FS_ASSIGN_OR_RETURN(Bytes b, read_length_delimited());
  // The length was checked against this reader's end, so a cut-off file
  // fails here, at the outermost length; an overrun inside the sub-message
  // can only mean inconsistent lengths, hence no truncation end for it.
  return WireReader(base_, b.data(), b.data() + b.size(), nullptr);
}

Status WireReader::skip_field(WireType wire_type) {
  switch (wire_type) {
    case WireType::kVarint:
      return read_varint().status();
    case WireType::kFixed64:
      return read_fixed64().status();
    case WireType::kLengthDelimited:
      return read_length_delimited().status();
    case WireType::kFixed32:
      return read_fixed32().status();
    case WireType::kStartGroup:
    case WireType::kEndGroup:
      // Groups are deprecated and absent from onnx.proto; refusing them keeps
      // skipping non-recursive.
      return malformed("groups are not supported");
  }
  return malformed("invalid wire type");
}

}  // namespace fastserve::pb
