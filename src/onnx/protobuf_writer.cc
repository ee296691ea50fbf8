// Protobuf wire-format output (see protobuf_writer.h).
#include "onnx/protobuf_writer.h"

#include <cstring>

namespace fastserve::pb {

namespace {

constexpr uint8_t kVarint = 0;
constexpr uint8_t kLengthDelimited = 2;
constexpr uint8_t kFixed32 = 5;

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

}  // namespace

std::string& WireWriter::tail() {
  if (pieces_.empty() || pieces_.back().ref != nullptr) pieces_.emplace_back();
  return pieces_.back().owned;
}

void WireWriter::put_varint(uint64_t v) {
  std::string& out = tail();
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
    ++size_;
  }
  out.push_back(static_cast<char>(v));
  ++size_;
}

void WireWriter::varint_field(uint32_t field, uint64_t v) {
  put_tag(field, kVarint);
  put_varint(v);
}

void WireWriter::float_field(uint32_t field, float v) {
  put_tag(field, kFixed32);
  char bytes[4];
  std::memcpy(bytes, &v, 4);  // little-endian on every host we build for
  tail().append(bytes, 4);
  size_ += 4;
}

void WireWriter::bytes_field(uint32_t field, std::string_view s) {
  put_tag(field, kLengthDelimited);
  put_varint(s.size());
  tail().append(s);
  size_ += s.size();
}

void WireWriter::bytes_field_ref(uint32_t field, const void* data, size_t size) {
  put_tag(field, kLengthDelimited);
  put_varint(size);
  if (size == 0) return;
  Piece p;
  p.ref = static_cast<const uint8_t*>(data);
  p.ref_size = size;
  pieces_.push_back(std::move(p));
  size_ += size;
}

void WireWriter::packed_int64s(uint32_t field, std::span<const int64_t> v) {
  if (v.empty()) return;
  size_t bytes = 0;
  for (int64_t x : v) bytes += varint_size(static_cast<uint64_t>(x));
  put_tag(field, kLengthDelimited);
  put_varint(bytes);
  for (int64_t x : v) put_varint(static_cast<uint64_t>(x));
}

void WireWriter::packed_floats(uint32_t field, std::span<const float> v) {
  if (v.empty()) return;
  put_tag(field, kLengthDelimited);
  put_varint(v.size() * 4);
  std::string& out = tail();
  const size_t old = out.size();
  out.resize(old + v.size() * 4);
  std::memcpy(out.data() + old, v.data(), v.size() * 4);
  size_ += v.size() * 4;
}

void WireWriter::message(uint32_t field, WireWriter&& sub) {
  put_tag(field, kLengthDelimited);
  put_varint(sub.size_);
  for (Piece& p : sub.pieces_) {
    if (p.ref == nullptr) {
      tail().append(p.owned);
    } else {
      pieces_.push_back(std::move(p));
    }
  }
  size_ += sub.size_;
  sub.pieces_.clear();
  sub.size_ = 0;
}

std::string WireWriter::to_string() const {
  std::string out;
  out.reserve(size_);
  for (const Piece& p : pieces_) {
    if (p.ref == nullptr) {
      out.append(p.owned);
    } else {
      out.append(reinterpret_cast<const char*>(p.ref), p.ref_size);
    }
  }
  return out;
}

bool WireWriter::write_to(std::FILE* f) const {
  for (const Piece& p : pieces_) {
    const void* data = p.ref == nullptr ? static_cast<const void*>(p.owned.data()) : p.ref;
    const size_t n = p.ref == nullptr ? p.owned.size() : p.ref_size;
    if (n != 0 && std::fwrite(data, 1, n, f) != n) return false;
  }
  return true;
}

}  // namespace fastserve::pb
