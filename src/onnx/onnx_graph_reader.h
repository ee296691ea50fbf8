// GraphProto -> Graph: values, nodes, and the names that link them.
#pragma once

#include "fastserve/graph.h"
#include "onnx/onnx_tensor_reader.h"
#include "onnx/protobuf_wire.h"

namespace fastserve {

// Fills `graph` from the GraphProto `r` spans:
//  - values: graph inputs that are not initializers (older exporters list
//    every initializer as an input too; those are constants, not runtime
//    inputs), initializers, then every node output;
//  - nodes with inputs/outputs resolved to ValueIds ("" -> kNoValue);
//  - declared dtypes/shapes from inputs, outputs and value_info, with
//    dim_param names kept in Value::dim_params (the dim is kUnknownDim).
// Errors carry their context ("initializer 'w': ...", "node 'n' (Op): input
// 'x' is not defined") but not the file name; the caller adds it.
// Wire-format errors are returned unchanged (see protobuf_wire.h).
Status read_graph_proto(pb::WireReader r, const TensorSources& sources, Graph& graph);

}  // namespace fastserve
