// A small reader for the protobuf text format, in the shape Triton's
// config.pbtxt uses it. It knows no schema: it produces a tree of fields,
// and model_config.cc maps names to meaning and checks value types.
//
// Accepted syntax (protobuf's text format, minus extensions and Any):
//   name: value            scalar: number, "string" / 'string', identifier (enum, true/false)
//   name: [v1, v2]         a list: same as repeating `name: v1 name: v2`
//   name { ... }           a message; also `name: { ... }` and `name < ... >`
//   name [ {..}, {..} ]    repeated messages as a list (with or without ':')
//   # comment              to the end of the line
// Fields may be followed by ',' or ';'. Adjacent string literals are joined.
// Errors: "WHERE: line L, column C: what went wrong".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::serve {

// One occurrence of a field. A list `name: [a, b]` becomes two PbFields
// named `name`, each carrying its own position, so errors point at the value.
struct PbField {
  enum class Kind { kIdentifier, kString, kNumber, kMessage };
  std::string name;
  Kind kind = Kind::kIdentifier;
  // kIdentifier: as written ("TYPE_FP32", "true"); kString: unescaped bytes;
  // kNumber: the token as written, sign included ("-1", "0x1F", "2.5e-3", "-inf").
  std::string text;
  std::vector<PbField> fields;  // kMessage
  int line = 0, column = 0;     // where the value starts (1-based)
  int name_line = 0;            // where the field name is
};

// The top level of a document: its fields in order.
Result<std::vector<PbField>> parse_pbtxt(std::string_view text, const std::string& where);

// Typed reads of a scalar field. Errors: "WHERE: line L: <what>: expected ..."
// where <what> names the field (the caller passes a dotted path such as
// "dynamic_batching.max_queue_delay_microseconds").
Result<int64_t> pb_int64(const PbField& f, const std::string& where, const std::string& what);
Result<uint64_t> pb_uint64(const PbField& f, const std::string& where, const std::string& what);
Result<double> pb_double(const PbField& f, const std::string& where, const std::string& what);
Result<bool> pb_bool(const PbField& f, const std::string& where, const std::string& what);
Result<std::string> pb_string(const PbField& f, const std::string& where, const std::string& what);
// An enum value written as a bare identifier.
Result<std::string> pb_enum(const PbField& f, const std::string& where, const std::string& what);
// Checks that the field is a message; returns its fields.
Result<const std::vector<PbField>*> pb_message(const PbField& f, const std::string& where,
                                               const std::string& what);

// "WHERE: line L: msg" as an invalid-argument Status.
Status pb_error(const std::string& where, int line, const std::string& msg);

}  // namespace fastserve::serve
