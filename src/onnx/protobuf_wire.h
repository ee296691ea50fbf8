// A bounds-checked cursor over protobuf wire-format bytes.
//
// We parse ONNX files without libprotobuf (see onnx_reader.h for why). This
// is the only code that touches the raw bytes: every read checks the bytes
// left, returns a Status/Result instead of reading past the end, and nothing
// here recurses (a nested message is just a new cursor over a sub-range), so
// hostile input cannot overflow the stack or the buffer.
//
// Wire format (https://protobuf.dev/programming-guides/encoding/): a message
// is a sequence of (tag, value); tag = field_number << 3 | wire_type.
//   0 varint (1..10 bytes, 7 bits each, little-endian groups)
//   1 fixed64 (8 bytes LE)     2 length-delimited (varint length + bytes)
//   3/4 start/end group (deprecated; ONNX never uses them: we reject them)
//   5 fixed32 (4 bytes LE)
// Repeated scalars may be "packed" (one length-delimited run) or unpacked
// (one tag per element); readers must accept both, even mixed.
//
// Error messages start with "truncated: " when a read runs past the end of
// the whole buffer (a cut-off file), and with "malformed protobuf" for any
// other inconsistency, so the ONNX reader can tell the user which it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::pb {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

const char* wire_type_name(WireType t);

struct FieldTag {
  uint32_t field = 0;
  WireType wire_type = WireType::kVarint;
};

using Bytes = std::span<const uint8_t>;

class WireReader {
 public:
  // A cursor over the whole buffer (offsets in messages count from `data`).
  WireReader(const uint8_t* data, size_t size)
      : base_(data), pos_(data), end_(data + size), truncation_end_(data + size) {}

  bool at_end() const { return pos_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  // Offset of the cursor from the start of the whole buffer (for messages).
  size_t offset() const { return static_cast<size_t>(pos_ - base_); }

  // Unsigned varint of at most 10 bytes; bits beyond 64 are an overflow error.
  Result<uint64_t> read_varint();
  // A tag: field number in [1, 2^29), wire type 0..5.
  Result<FieldTag> read_tag();
  Result<uint32_t> read_fixed32();
  Result<uint64_t> read_fixed64();
  Result<float> read_float();
  Result<double> read_double();
  // The payload of a length-delimited field; the bytes stay in the buffer.
  Result<Bytes> read_length_delimited();
  Result<std::string_view> read_string();
  // A cursor over the payload of a length-delimited field (a sub-message).
  Result<WireReader> read_message();
  // Skips the value of a field of this wire type; groups are an error.
  Status skip_field(WireType wire_type);

  // Error helpers (also used by schema code for "wrong wire type" errors).
  Status malformed(const std::string& what) const;

 private:
  WireReader(const uint8_t* base, const uint8_t* pos, const uint8_t* end, const uint8_t* truncation_end)
      : base_(base), pos_(pos), end_(end), truncation_end_(truncation_end) {}
  // Error for a read of `need` bytes that does not fit in what is left.
  Status overrun(const char* what, uint64_t need) const;
  Result<uint64_t> read_varint_slow();

  const uint8_t* base_;  // start of the whole buffer
  const uint8_t* pos_;   // cursor
  const uint8_t* end_;   // end of this (sub-)message
  // End of the whole buffer for the outermost reader (an overrun there means
  // the file was cut off); null for sub-message readers.
  const uint8_t* truncation_end_;
};

inline Result<uint64_t> WireReader::read_varint() {
  // Fast path: most varints (tags, small lengths, dims) are one byte.
  if (pos_ < end_ && *pos_ < 0x80) return static_cast<uint64_t>(*pos_++);
  return read_varint_slow();
}

// Error unless `tag` has the wire type a schema field needs; `field_name`
// ("TensorProto.name") goes into the message.
inline Status expect_wire_type(const WireReader& r, FieldTag tag, WireType expected, const char* field_name) {
  if (tag.wire_type == expected) return ok_status();
  return r.malformed(std::string(field_name) + " (field " + std::to_string(tag.field) + ") has wire type " +
                     wire_type_name(tag.wire_type) + ", expected " + wire_type_name(expected));
}

// Appends the elements of a repeated scalar field whose tag was just read,
// accepting the packed (length-delimited) and unpacked encodings.
// Varint fields (int32/int64/uint64/enum) are cast to T: int32 fields hold
// negative values as 64-bit two's complement, so the cast restores them.
template <typename T>
Status append_varints(WireReader& r, WireType wire_type, std::vector<T>& out) {
  if (wire_type == WireType::kVarint) {
    FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
    out.push_back(static_cast<T>(v));
    return ok_status();
  }
  if (wire_type != WireType::kLengthDelimited) {
    return r.malformed(std::string("repeated varint field has wire type ") + wire_type_name(wire_type));
  }
  FS_ASSIGN_OR_RETURN(WireReader run, r.read_message());
  while (!run.at_end()) {
    FS_ASSIGN_OR_RETURN(uint64_t v, run.read_varint());
    out.push_back(static_cast<T>(v));
  }
  return ok_status();
}

// Same for fixed-width fields: float/fixed32 (sizeof(T) == 4) and
// double/fixed64 (sizeof(T) == 8). A packed run is one memcpy.
template <typename T>
Status append_fixed(WireReader& r, WireType wire_type, std::vector<T>& out) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  constexpr WireType kElementType = sizeof(T) == 4 ? WireType::kFixed32 : WireType::kFixed64;
  if (wire_type == kElementType) {
    T v;
    if constexpr (sizeof(T) == 4) {
      FS_ASSIGN_OR_RETURN(uint32_t bits, r.read_fixed32());
      std::memcpy(&v, &bits, 4);
    } else {
      FS_ASSIGN_OR_RETURN(uint64_t bits, r.read_fixed64());
      std::memcpy(&v, &bits, 8);
    }
    out.push_back(v);
    return ok_status();
  }
  if (wire_type != WireType::kLengthDelimited) {
    return r.malformed(std::string("repeated fixed-width field has wire type ") + wire_type_name(wire_type));
  }
  FS_ASSIGN_OR_RETURN(Bytes run, r.read_length_delimited());
  if (run.size() % sizeof(T) != 0) {
    return r.malformed("packed run of " + std::to_string(run.size()) + " bytes is not a multiple of " +
                       std::to_string(sizeof(T)));
  }
  // Little-endian on the wire and on every host we build for (x86-64, aarch64).
  const size_t old = out.size();
  out.resize(old + run.size() / sizeof(T));
  if (!run.empty()) std::memcpy(out.data() + old, run.data(), run.size());
  return ok_status();
}

}  // namespace fastserve::pb
