// A small strict JSON reader for the CLI tests: parses what `--json` prints
// so tests check structure and values, not substrings. Test-only; the
// binary writes JSON with cli_common's helpers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fastserve::testing {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order, duplicates kept

  bool is_null() const { return kind == Kind::kNull; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_object() const { return kind == Kind::kObject; }
  // The member named `key` (first one); null when absent or not an object.
  const JsonValue* find(const std::string& key) const;
  // Keys in document order.
  std::vector<std::string> keys() const;
};

// The whole text must be one JSON value (surrounding whitespace allowed);
// nullopt with `error` set otherwise.
std::optional<JsonValue> parse_json(const std::string& text, std::string* error);

}  // namespace fastserve::testing
