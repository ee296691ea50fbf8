// IR -> ONNX writer: a Model (typically after the graph passes) as an ONNX
// ModelProto, in protobuf wire format written by hand (protobuf_writer.h),
// with the field numbers the reader uses (onnx_schema_ids.h).
//
// What is written:
//   ModelProto   ir_version (the model's; raised to what its opsets need when
//                the model has none), producer_name "fastserve" and our
//                version, opset_import (the model's, plus "fastserve" 1 when
//                a node is in that domain), metadata_props, the graph
//   GraphProto   name; nodes in graph order; every constant as an
//                initializer (raw_data, little-endian; sub-byte types packed
//                as ONNX stores them); inputs and outputs with elem type and
//                shape (dim_value, dim_param for symbolic dims, neither for an
//                unknown dim); value_info for every other node output whose
//                dtype is known (with its shape when known)
//   NodeProto    name, op_type, domain, inputs ("" for an omitted one),
//                outputs, attributes of every kind the IR keeps (float, int,
//                string, tensor, floats, ints, strings)
// Subgraph attributes (If, Loop, Scan bodies) are not kept by the reader,
// so a model with one cannot be written: the error names the node. String
// tensors cannot be loaded either, so none reach the writer. Everything is
// inline: a model of 2 GiB or more (protobuf's limit) is refused, as
// external data is not written.
//
// The result opens in Netron, passes onnx.checker.check_model for models
// of ONNX ops (tests/onnx/onnx_writer_check.py) and loads back with
// load_onnx_model (tests/onnx/onnx_writer_test.cc).
#pragma once

#include <string>

#include "fastserve/graph.h"

namespace fastserve {

// The serialized ModelProto. Errors name the model and the node or value.
Result<std::string> serialize_onnx_model(const Model& model);

// Writes the ModelProto to `path` (replacing the file). Errors name the
// file: cannot open, write failed; or the model, as serialize_onnx_model.
Status save_onnx_model(const Model& model, const std::string& path);

}  // namespace fastserve
