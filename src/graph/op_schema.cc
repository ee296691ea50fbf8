// The op table, generated from ops.def.
#include "graph/op_schema.h"

#include <iterator>
#include <string_view>

namespace fastserve {

namespace {

constexpr OpSchema kSchemas[] = {
#define X(e, name, fn) {OpKind::k##e, "", name, &fn},
#include "graph/ops.def"
#undef X
#define X(e, name, fn) {OpKind::k##e, "fastserve", name, &fn},
#include "graph/ops_fastserve.def"
#undef X
};

constexpr size_t kOpCount = static_cast<size_t>(OpKind::kCount);
static_assert(std::size(kSchemas) == kOpCount, "ops.def table and OpKind disagree");

// Each row's kind is its index (so kSchemas[kind] is a valid lookup) and op
// (domain, op type) pairs are unique (a duplicated line would shadow an op).
constexpr bool table_is_consistent() {
  for (size_t i = 0; i < kOpCount; ++i) {
    if (static_cast<size_t>(kSchemas[i].kind) != i) return false;
    for (size_t j = i + 1; j < kOpCount; ++j) {
      if (std::string_view(kSchemas[i].op_type) == std::string_view(kSchemas[j].op_type) &&
          std::string_view(kSchemas[i].domain) == std::string_view(kSchemas[j].domain)) {
        return false;
      }
    }
  }
  return true;
}
static_assert(table_is_consistent(), "ops.def: kinds out of order or an op type listed twice");

}  // namespace

const OpSchema* find_op_schema(std::string_view op_type, std::string_view domain) {
  if (domain == "ai.onnx") domain = "";
  // ~50 entries, looked up once per node at session compile: a scan is enough.
  for (const OpSchema& s : kSchemas) {
    if (op_type == s.op_type && domain == s.domain) return &s;
  }
  return nullptr;
}

std::span<const OpSchema> all_op_schemas() { return {kSchemas, kOpCount}; }

}  // namespace fastserve
