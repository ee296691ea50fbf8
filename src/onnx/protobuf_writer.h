// Protobuf wire-format output: the writing half of protobuf_wire.h.
//
// The ONNX writer (onnx_writer.h) builds each message with a WireWriter and
// nests it into its parent with message(). A length-delimited field needs its
// payload's size before the payload, so a writer is a list of pieces rather
// than one buffer: bytes it owns (tags, varints, names) and spans it only
// points to (initializer data, which can be hundreds of MB). Nesting moves
// the child's pieces into the parent, so weights are copied exactly once,
// into the file or string the top-level writer is flushed to. Spans must
// stay alive until then (they point into the Model being written).
//
// Encoding (https://protobuf.dev/programming-guides/encoding/): tag =
// field << 3 | wire type; varints 7 bits per byte, low groups first; int64
// and int32 negatives as 10-byte two's complement; floats fixed32 LE;
// repeated scalars packed (one length-delimited run), as proto3 writes them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastserve::pb {

class WireWriter {
 public:
  // Scalar fields. A proto3 reader treats an absent field as its default,
  // but we write what we are given: callers skip defaults where they wish.
  void varint_field(uint32_t field, uint64_t v);
  void int64_field(uint32_t field, int64_t v) { varint_field(field, static_cast<uint64_t>(v)); }
  void float_field(uint32_t field, float v);
  // Length-delimited fields: `s` is copied.
  void bytes_field(uint32_t field, std::string_view s);
  // The same, pointing at `data` instead of copying it (see above).
  void bytes_field_ref(uint32_t field, const void* data, size_t size);
  // Repeated scalars, packed; nothing is written for an empty list.
  void packed_int64s(uint32_t field, std::span<const int64_t> v);
  void packed_floats(uint32_t field, std::span<const float> v);
  // `sub` as a nested message (its pieces move here; `sub` is left empty).
  void message(uint32_t field, WireWriter&& sub);

  // Bytes written so far.
  uint64_t size() const { return size_; }
  // Flattens every piece (tests, small models).
  std::string to_string() const;
  // Writes every piece to `f`; false when a write fails.
  bool write_to(std::FILE* f) const;

 private:
  struct Piece {
    std::string owned;               // used when ref == nullptr
    const uint8_t* ref = nullptr;    // borrowed bytes
    size_t ref_size = 0;
  };
  // The owned piece at the end, started when the last piece is borrowed.
  std::string& tail();
  void put_varint(uint64_t v);
  void put_tag(uint32_t field, uint8_t wire_type) { put_varint(uint64_t{field} << 3 | wire_type); }

  std::vector<Piece> pieces_;
  uint64_t size_ = 0;
};

}  // namespace fastserve::pb
