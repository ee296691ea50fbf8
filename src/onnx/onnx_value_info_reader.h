// ValueInfoProto -> declared dtype and shape of a graph value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "onnx/protobuf_wire.h"

namespace fastserve {

struct ValueInfoFields {
  std::string name;
  // "" for a tensor type or no type; else "sequence", "map", "optional",
  // "sparse tensor" or "opaque", which FastServe does not run.
  std::string non_tensor_kind;
  bool has_tensor_type = false;
  int32_t elem_type = 0;                // TensorProto.DataType, 0 if absent
  bool has_shape = false;               // no shape = even the rank is unknown
  std::vector<int64_t> dims;            // kUnknownDim for symbolic / missing dims
  std::vector<std::string> dim_params;  // rank-sized, "" where none
};

// Parses a ValueInfoProto (only the TypeProto.Tensor part of the type).
Result<ValueInfoFields> parse_value_info_proto(pb::WireReader r);

// Copies the declared dtype (when known) and shape (when present) into `v`.
// Value::dim_params is set only when some dim has a name.
void apply_value_info(const ValueInfoFields& info, Value& v);

}  // namespace fastserve
