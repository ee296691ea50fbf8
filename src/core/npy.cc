// NumPy .npy reader and writer.
//
// Format (numpy/lib/format.py, "NEP 1"): magic "\x93NUMPY", major, minor,
// header length (uint16 LE in 1.0; uint32 LE in 2.0/3.0), then an ASCII
// (3.0: UTF-8) Python dict literal {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } padded with spaces and a '\n', then the raw C-order data.
// Only little-endian C-order arrays of fixed-size numeric/bool types are
// accepted; anything else is refused with a message naming the file.
#include "core/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace fastserve {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// The dict literal's three entries, as parsed.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  bool has_descr = false, has_fortran = false, has_shape = false;
};

// A tiny parser for the subset of Python literals .npy headers use.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : s_(text) {}

  // Returns an empty string on success, else what went wrong.
  std::string parse(NpyHeader* out) {
    skip_ws();
    if (!eat('{')) return "header is not a dict";
    while (true) {
      skip_ws();
      if (eat('}')) break;
      std::string key;
      if (!parse_string(&key)) return "expected a quoted key in header";
      skip_ws();
      if (!eat(':')) return "expected ':' after key '" + key + "'";
      skip_ws();
      if (key == "descr") {
        if (!parse_string(&out->descr)) return "'descr' is not a string";
        out->has_descr = true;
      } else if (key == "fortran_order") {
        if (consume("True")) {
          out->fortran_order = true;
        } else if (consume("False")) {
          out->fortran_order = false;
        } else {
          return "'fortran_order' is not True/False";
        }
        out->has_fortran = true;
      } else if (key == "shape") {
        if (!parse_int_tuple(&out->shape)) return "'shape' is not a tuple of non-negative ints";
        out->has_shape = true;
      } else {
        return "unexpected key '" + key + "' in header";
      }
      skip_ws();
      if (eat(',')) continue;
      skip_ws();
      if (eat('}')) break;
      return "expected ',' or '}' in header";
    }
    if (!out->has_descr || !out->has_fortran || !out->has_shape) {
      return "header lacks 'descr', 'fortran_order' or 'shape'";
    }
    return "";
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  bool parse_string(std::string* out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) return false;
    *out = std::string(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool parse_int_tuple(std::vector<int64_t>* out) {
    if (!eat('(')) return false;
    out->clear();
    while (true) {
      skip_ws();
      if (eat(')')) return true;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return false;
      int64_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const int digit = s_[pos_++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) return false;
        v = v * 10 + digit;
      }
      // numpy may write 'L' suffixes (Python 2 longs) in old files.
      eat('L');
      out->push_back(v);
      skip_ws();
      if (eat(',')) continue;
      skip_ws();
      if (eat(')')) return true;
      return false;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// descr -> DType; nullopt when not a type we store. Sets *big_endian.
std::optional<DType> dtype_from_descr(const std::string& descr, bool* big_endian) {
  *big_endian = false;
  if (descr.size() < 3) return std::nullopt;
  const char order = descr[0];
  const std::string code = descr.substr(1);
  if (order != '<' && order != '|' && order != '=' && order != '>') return std::nullopt;
  DType t = DType::kUndefined;
  if (code == "f4") t = DType::kF32;
  else if (code == "f2") t = DType::kF16;
  else if (code == "f8") t = DType::kF64;
  else if (code == "u1") t = DType::kU8;
  else if (code == "i1") t = DType::kI8;
  else if (code == "b1") t = DType::kBool;
  else if (code == "i2") t = DType::kI16;
  else if (code == "u2") t = DType::kU16;
  else if (code == "i4") t = DType::kI32;
  else if (code == "u4") t = DType::kU32;
  else if (code == "i8") t = DType::kI64;
  else if (code == "u8") t = DType::kU64;
  else return std::nullopt;
  // Byte order only matters for multi-byte types ('>u1' is the same as '|u1').
  if (order == '>' && dtype_size(t) > 1) *big_endian = true;
  return t;
}

const char* descr_for(DType t) {
  switch (t) {
    case DType::kF32: return "<f4";
    case DType::kF16: return "<f2";
    case DType::kF64: return "<f8";
    case DType::kU8: return "|u1";
    case DType::kI8: return "|i1";
    case DType::kBool: return "|b1";
    case DType::kI16: return "<i2";
    case DType::kU16: return "<u2";
    case DType::kI32: return "<i4";
    case DType::kU32: return "<u4";
    case DType::kI64: return "<i8";
    case DType::kU64: return "<u8";
    default: return nullptr;  // bf16 has no numpy type; string/undefined are not data
  }
}

uint32_t read_le(const unsigned char* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

Result<Tensor> parse_npy(const void* data, size_t size, const std::string& display_name) {
  auto bad = [&](const std::string& what) { return invalid_argument(display_name + ": not a valid .npy file: " + what); };
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < kMagicSize + 2 || std::memcmp(p, kMagic, kMagicSize) != 0) return bad("missing \\x93NUMPY magic");
  const int major = p[6];
  const int minor = p[7];
  size_t len_bytes = 0;
  if (major == 1) {
    len_bytes = 2;
  } else if (major == 2 || major == 3) {
    len_bytes = 4;
  } else {
    return unsupported(display_name + ": .npy format version " + std::to_string(major) + "." +
                       std::to_string(minor) + " is not supported (1.0, 2.0, 3.0 are)");
  }
  const size_t prefix = kMagicSize + 2 + len_bytes;
  if (size < prefix) return bad("truncated header length");
  const size_t header_len = read_le(p + kMagicSize + 2, len_bytes);
  if (header_len > size - prefix) return bad("truncated header");
  const std::string_view header(reinterpret_cast<const char*>(p + prefix), header_len);

  NpyHeader h;
  const std::string err = HeaderParser(header).parse(&h);
  if (!err.empty()) return bad(err);

  bool big_endian = false;
  const std::optional<DType> dtype = dtype_from_descr(h.descr, &big_endian);
  if (!dtype) return unsupported(display_name + ": .npy dtype '" + h.descr + "' is not supported");
  if (big_endian) return unsupported(display_name + ": big-endian .npy data ('" + h.descr + "') is not supported");
  if (h.fortran_order) return unsupported(display_name + ": Fortran-order .npy arrays are not supported");

  // Element count with overflow checks: the header is untrusted.
  const size_t elem = dtype_size(*dtype);
  uint64_t numel = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      return bad("shape is too large");
    }
    numel *= static_cast<uint64_t>(d);
  }
  const size_t body = size - prefix - header_len;
  if (numel > body / elem) {
    return bad("data is truncated (shape " + Shape(h.shape).to_string() + " needs " +
               std::to_string(numel * elem) + " bytes, file has " + std::to_string(body) + ")");
  }
  if (numel * elem != body) {
    return bad(std::to_string(body - numel * elem) + " unexpected bytes after the data");
  }

  Tensor t = Tensor::empty(*dtype, Shape(h.shape));
  if (body > 0) std::memcpy(t.raw_data(), p + prefix + header_len, body);
  if (*dtype == DType::kBool) {
    // numpy bools are 0/1 bytes; normalise anything else so bool reads are well defined.
    auto* b = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < body; ++i) b[i] = b[i] != 0 ? 1 : 0;
  }
  return t;
}

Result<Tensor> read_npy(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return not_found(path + ": cannot open: " + std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return invalid_argument(path + ": read error");
  return parse_npy(bytes.data(), bytes.size(), path);
}

Status write_npy(const std::string& path, const Tensor& t) {
  if (!t.defined()) return invalid_argument(path + ": cannot write an undefined tensor");
  const char* descr = descr_for(t.dtype());
  if (descr == nullptr) {
    return unsupported(path + ": " + std::string(dtype_name(t.dtype())) + " has no .npy equivalent");
  }
  // Python tuple syntax: "()", "(3,)", "(2, 3)".
  std::string shape = "(";
  for (size_t i = 0; i < t.rank(); ++i) {
    if (i > 0) shape += ", ";
    shape += std::to_string(t.dim(i));
  }
  if (t.rank() == 1) shape += ",";
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so magic + version + length + header (ending in '\n') is a
  // multiple of 64 bytes, as numpy does, keeping the data aligned when mapped.
  size_t len_bytes = 2;
  int major = 1;
  size_t total = kMagicSize + 2 + len_bytes + header.size() + 1;
  if ((total + 63) / 64 * 64 - (kMagicSize + 2 + len_bytes) > 0xffff) {
    len_bytes = 4;
    major = 2;
    total = kMagicSize + 2 + len_bytes + header.size() + 1;
  }
  const size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(major);
  out += '\0';
  const size_t hl = header.size();
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((hl >> (8 * i)) & 0xff);
  out += header;

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return invalid_argument(path + ": cannot open for writing: " + std::strerror(errno));
  bool good = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (good && t.nbytes() > 0) good = std::fwrite(t.raw_data(), 1, t.nbytes(), f) == t.nbytes();
  good = (std::fclose(f) == 0) && good;
  if (!good) return invalid_argument(path + ": write failed");
  return ok_status();
}

}  // namespace fastserve
