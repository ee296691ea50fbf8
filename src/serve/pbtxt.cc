// Protobuf text-format reader: a hand-written tokenizer and recursive-descent
// parser over the grammar in protobuf's text-format spec
// (https://protobuf.dev/reference/protobuf/textformat-spec/), without
// extensions, Any expansion or group syntax, which config.pbtxt never uses.
#include "serve/pbtxt.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace fastserve::serve {

namespace {

// Nesting bound, so a hostile or broken file cannot exhaust the stack.
constexpr int kMaxDepth = 64;

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

  Result<std::vector<PbField>> parse_document() {
    std::vector<PbField> fields;
    FS_RETURN_IF_ERROR(parse_fields(fields, '\0', 0));
    return fields;
  }

 private:
  Status error(std::string msg) const {
    return invalid_argument(where_ + ": line " + std::to_string(line_) + ", column " +
                            std::to_string(col_) + ": " + msg);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }

  // Whitespace and '#' comments.
  void skip_space() {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') advance();
      } else {
        break;
      }
    }
  }

  std::string describe_here() const {
    if (at_end()) return "end of input";
    char c = peek();
    if (c >= 0x21 && c <= 0x7e) return std::string("'") + c + "'";
    return "byte " + std::to_string(static_cast<unsigned char>(c));
  }

  std::string read_identifier() {
    size_t start = pos_;
    while (!at_end() && is_ident_char(peek())) advance();
    return std::string(s_.substr(start, pos_ - start));
  }

  // Fields until `close` ('}' or '>'), or the end of input at the top level.
  Status parse_fields(std::vector<PbField>& out, char close, int depth) {
    for (;;) {
      skip_space();
      if (at_end()) {
        if (close == '\0') return ok_status();
        return error(std::string("expected '") + close + "' before the end of input");
      }
      if (peek() == close) {
        advance();
        return ok_status();
      }
      if (peek() == '[') return error("extension and Any field names are not supported");
      if (!is_ident_start(peek())) return error("expected a field name, found " + describe_here());
      int name_line = line_;
      std::string name = read_identifier();
      FS_RETURN_IF_ERROR(parse_field_value(out, name, name_line, depth));
      skip_space();
      if (peek() == ',' || peek() == ';') advance();
    }
  }

  // After the field name: `: scalar`, `: [list]`, `[list]`, `{msg}`, `: {msg}`, `<msg>`.
  Status parse_field_value(std::vector<PbField>& out, const std::string& name, int name_line,
                           int depth) {
    skip_space();
    bool colon = false;
    if (peek() == ':') {
      colon = true;
      advance();
      skip_space();
    }
    char c = peek();
    if (c == '{' || c == '<') return parse_message(out, name, name_line, depth);
    if (c == '[') {
      advance();
      skip_space();
      if (peek() == ']') {  // `dims: []`: an empty list adds nothing
        advance();
        return ok_status();
      }
      for (;;) {
        skip_space();
        if (peek() == '{' || peek() == '<') {
          FS_RETURN_IF_ERROR(parse_message(out, name, name_line, depth));
        } else {
          FS_RETURN_IF_ERROR(parse_scalar(out, name, name_line));
        }
        skip_space();
        if (peek() == ',') {
          advance();
          continue;
        }
        if (peek() == ']') {
          advance();
          return ok_status();
        }
        return error("expected ',' or ']' in the list for '" + name + "', found " + describe_here());
      }
    }
    if (!colon) return error("expected ':' or '{' after field name '" + name + "', found " + describe_here());
    return parse_scalar(out, name, name_line);
  }

  Status parse_message(std::vector<PbField>& out, const std::string& name, int name_line, int depth) {
    if (depth + 1 > kMaxDepth) return error("messages nested deeper than " + std::to_string(kMaxDepth));
    PbField f;
    f.name = name;
    f.kind = PbField::Kind::kMessage;
    f.line = line_;
    f.column = col_;
    f.name_line = name_line;
    char close = peek() == '{' ? '}' : '>';
    advance();
    FS_RETURN_IF_ERROR(parse_fields(f.fields, close, depth + 1));
    out.push_back(std::move(f));
    return ok_status();
  }

  Status parse_scalar(std::vector<PbField>& out, const std::string& name, int name_line) {
    PbField f;
    f.name = name;
    f.line = line_;
    f.column = col_;
    f.name_line = name_line;
    char c = peek();
    if (c == '"' || c == '\'') {
      f.kind = PbField::Kind::kString;
      // Adjacent literals concatenate ("ab" 'cd' is "abcd"), as in C.
      do {
        FS_RETURN_IF_ERROR(read_string(f.text));
        skip_space();
      } while (peek() == '"' || peek() == '\'');
    } else if (c == '-' || is_digit(c) || c == '.') {
      f.kind = PbField::Kind::kNumber;
      if (c == '-') {
        f.text.push_back('-');
        advance();
        skip_space();  // the spec allows whitespace and comments after the sign
        if (is_ident_start(peek())) {
          std::string word = read_identifier();
          if (!is_float_word(word)) return error("expected a number after '-', found '" + word + "'");
          f.text += word;
          out.push_back(std::move(f));
          return ok_status();
        }
        if (!is_digit(peek()) && peek() != '.') return error("expected a number after '-', found " + describe_here());
      }
      FS_RETURN_IF_ERROR(read_number(f.text));
    } else if (is_ident_start(c)) {
      std::string word = read_identifier();
      // inf / nan are numbers in the text format.
      f.kind = is_float_word(word) ? PbField::Kind::kNumber : PbField::Kind::kIdentifier;
      f.text = std::move(word);
    } else {
      return error("expected a value for '" + name + "', found " + describe_here());
    }
    out.push_back(std::move(f));
    return ok_status();
  }

  static bool is_float_word(const std::string& w) {
    return w == "inf" || w == "infinity" || w == "nan" || w == "Infinity" || w == "NaN" || w == "Inf";
  }

  // A numeric token: digits, '.', exponent, hex digits after 0x, an f/F suffix.
  Status read_number(std::string& text) {
    size_t start = pos_;
    while (!at_end()) {
      char c = peek();
      bool exp_sign = (c == '+' || c == '-') && pos_ > start &&
                      (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E') &&
                      !(pos_ - start >= 2 && (s_[start + 1] == 'x' || s_[start + 1] == 'X'));
      if (is_ident_char(c) || c == '.' || exp_sign) {
        advance();
      } else {
        break;
      }
    }
    text += s_.substr(start, pos_ - start);
    return ok_status();
  }

  Status read_string(std::string& out) {
    char quote = peek();
    advance();
    for (;;) {
      if (at_end()) return error("unterminated string");
      char c = peek();
      if (c == quote) {
        advance();
        return ok_status();
      }
      if (c == '\n') return error("newline inside a string (close it with " + std::string(1, quote) + ")");
      if (c != '\\') {
        out.push_back(c);
        advance();
        continue;
      }
      advance();
      if (at_end()) return error("unterminated string");
      char e = peek();
      advance();
      switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '?': out.push_back('?'); break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'x': case 'X': {
          int v = 0, n = 0;
          while (n < 2 && !at_end() && hex_value(peek()) >= 0) {
            v = v * 16 + hex_value(peek());
            advance();
            ++n;
          }
          if (n == 0) return error("\\x needs a hex digit");
          out.push_back(static_cast<char>(v));
          break;
        }
        case 'u': case 'U': {
          int digits = e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < digits; ++i) {
            if (at_end() || hex_value(peek()) < 0)
              return error(std::string("\\") + e + " needs " + std::to_string(digits) + " hex digits");
            cp = cp * 16 + static_cast<uint32_t>(hex_value(peek()));
            advance();
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return error("\\u escape is not a Unicode scalar value");
          append_utf8(out, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {  // up to three octal digits
            int v = e - '0', n = 1;
            while (n < 3 && !at_end() && peek() >= '0' && peek() <= '7') {
              v = v * 8 + (peek() - '0');
              advance();
              ++n;
            }
            if (v > 255) return error("octal escape above \\377");
            out.push_back(static_cast<char>(v));
            break;
          }
          return error(std::string("unknown escape '\\") + e + "' in a string");
      }
    }
  }

  std::string_view s_;
  const std::string& where_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

const char* kind_name(PbField::Kind k) {
  switch (k) {
    case PbField::Kind::kIdentifier: return "an identifier";
    case PbField::Kind::kString: return "a string";
    case PbField::Kind::kNumber: return "a number";
    case PbField::Kind::kMessage: return "a message";
  }
  return "?";
}

Status type_error(const PbField& f, const std::string& where, const std::string& what, const char* expected) {
  std::string got = kind_name(f.kind);
  if (f.kind != PbField::Kind::kMessage) got += " (" + f.text + ")";
  return pb_error(where, f.line, what + ": expected " + expected + ", got " + got);
}

// Integer literal: decimal, 0x hex or leading-0 octal, as the spec says.
// Sets *neg; returns false when the text is not an integer or overflows u64.
bool parse_integer(const std::string& text, bool* neg, uint64_t* magnitude) {
  std::string_view t = text;
  *neg = false;
  if (!t.empty() && t[0] == '-') {
    *neg = true;
    t.remove_prefix(1);
  }
  if (t.empty()) return false;
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  } else if (t.size() > 1 && t[0] == '0') {
    base = 8;
    t.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : t) {
    int d = hex_value(c);
    if (d < 0 || d >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
      return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *magnitude = v;
  return true;
}

}  // namespace

Status pb_error(const std::string& where, int line, const std::string& msg) {
  return invalid_argument(where + ": line " + std::to_string(line) + ": " + msg);
}

Result<std::vector<PbField>> parse_pbtxt(std::string_view text, const std::string& where) {
  Parser p(text, where);
  return p.parse_document();
}

Result<int64_t> pb_int64(const PbField& f, const std::string& where, const std::string& what) {
  if (f.kind != PbField::Kind::kNumber) return type_error(f, where, what, "an integer");
  bool neg = false;
  uint64_t m = 0;
  if (!parse_integer(f.text, &neg, &m)) return type_error(f, where, what, "an integer");
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if ((!neg && m > kMaxPos) || (neg && m > kMaxPos + 1))
    return pb_error(where, f.line, what + ": " + f.text + " does not fit in 64 bits");
  if (neg) return m == kMaxPos + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(m);
  return static_cast<int64_t>(m);
}

Result<uint64_t> pb_uint64(const PbField& f, const std::string& where, const std::string& what) {
  if (f.kind != PbField::Kind::kNumber) return type_error(f, where, what, "a non-negative integer");
  bool neg = false;
  uint64_t m = 0;
  if (!parse_integer(f.text, &neg, &m)) return type_error(f, where, what, "a non-negative integer");
  if (neg && m != 0) return pb_error(where, f.line, what + ": must not be negative, got " + f.text);
  return m;
}

Result<double> pb_double(const PbField& f, const std::string& where, const std::string& what) {
  if (f.kind != PbField::Kind::kNumber) return type_error(f, where, what, "a number");
  std::string t = f.text;
  bool neg = !t.empty() && t[0] == '-';
  std::string body = neg ? t.substr(1) : t;
  if (body == "inf" || body == "infinity" || body == "Inf" || body == "Infinity")
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (body == "nan" || body == "NaN") return std::numeric_limits<double>::quiet_NaN();
  bool int_neg = false;
  uint64_t m = 0;
  if (parse_integer(t, &int_neg, &m)) return int_neg ? -static_cast<double>(m) : static_cast<double>(m);
  if (!body.empty() && (body.back() == 'f' || body.back() == 'F')) t.pop_back();
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || t.empty() || errno == ERANGE)
    return type_error(f, where, what, "a number");
  return v;
}

Result<bool> pb_bool(const PbField& f, const std::string& where, const std::string& what) {
  const std::string& t = f.text;
  if (f.kind == PbField::Kind::kIdentifier) {
    if (t == "true" || t == "True" || t == "t") return true;
    if (t == "false" || t == "False" || t == "f") return false;
  } else if (f.kind == PbField::Kind::kNumber) {
    if (t == "1") return true;
    if (t == "0") return false;
  }
  return type_error(f, where, what, "true or false");
}

Result<std::string> pb_string(const PbField& f, const std::string& where, const std::string& what) {
  if (f.kind != PbField::Kind::kString) return type_error(f, where, what, "a quoted string");
  return f.text;
}

Result<std::string> pb_enum(const PbField& f, const std::string& where, const std::string& what) {
  if (f.kind != PbField::Kind::kIdentifier) return type_error(f, where, what, "an enum name");
  return f.text;
}

Result<const std::vector<PbField>*> pb_message(const PbField& f, const std::string& where,
                                               const std::string& what) {
  if (f.kind != PbField::Kind::kMessage) return type_error(f, where, what, "a message { ... }");
  return &f.fields;
}

}  // namespace fastserve::serve
