// NodeProto and AttributeProto -> node fields with parsed Attributes.
//
// Value names stay strings here; the graph reader turns them into ValueIds
// once every value of the graph is known (nodes may be listed out of order).
#pragma once

#include <string>
#include <vector>

#include "fastserve/attribute.h"
#include "onnx/onnx_tensor_reader.h"
#include "onnx/protobuf_wire.h"

namespace fastserve {

struct NodeProtoFields {
  std::string name;
  std::string op_type;
  std::string domain;                // "ai.onnx" already normalized to ""
  std::vector<std::string> inputs;   // "" = omitted optional input
  std::vector<std::string> outputs;  // "" = omitted optional output
  std::vector<Attribute> attributes;
};

// "node 'conv1' (Conv)", or "node #3 (Conv)" for an unnamed node: the
// prefix of every error about a node.
std::string describe_node(const std::string& name, const std::string& op_type, size_t index);

// Parses the NodeProto `r` spans (node number `index` in its graph).
// Attribute tensors are decoded through `sources`. Subgraph attributes
// (GRAPH/GRAPHS) are recorded as Attribute::Kind::kGraph with their bytes
// skipped: If/Loop/Scan are not supported, and skipping keeps the parser
// free of recursion. TENSORS, SPARSE_TENSOR(S) and TYPE_PROTO(S)
// attributes are kUnsupported.
Result<NodeProtoFields> parse_node_proto(pb::WireReader r, const TensorSources& sources, size_t index);

}  // namespace fastserve
