// Op schemas: for each op in ops.def, its name and shape/dtype inference.
//
// An infer function fills `outputs` (pre-sized to node.num_outputs(), with
// `present` already set) with dtype and shape. At compile time inputs may be
// partly unknown (see NodeView): propagate unknowns (shape_known=false or
// kUnknownDim), and return an error only for definite mismatches, naming the
// node via node.error(). At run time every input is concrete and every
// input's value is set, so value-dependent ops (Reshape, Slice, ...) read
// their shape arguments from node.input_value(i).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "fastserve/node_view.h"

namespace fastserve {

using InferFn = Status (*)(const NodeView& node, std::vector<TensorInfo>& outputs);

// The domain of FastServe's own ops (ops_fastserve.def), created by passes.
inline constexpr std::string_view kFastServeDomain = "fastserve";

enum class OpKind : int {
#define X(e, name, fn) k##e,
#include "graph/ops.def"
#include "graph/ops_fastserve.def"
#undef X
  kCount
};

struct OpSchema {
  OpKind kind;
  const char* domain;  // "" for the default ONNX domain, "fastserve" for ours
  const char* op_type;
  InferFn infer;
};

// Schema for (op type, domain), or null when FastServe does not know it.
// "" and "ai.onnx" both name the default domain.
const OpSchema* find_op_schema(std::string_view op_type, std::string_view domain);
// Every known op: ops.def order, then ops_fastserve.def.
std::span<const OpSchema> all_op_schemas();

// Infer functions named in ops.def and ops_fastserve.def.
#define X(e, name, fn) Status fn(const NodeView& node, std::vector<TensorInfo>& outputs);
#include "graph/ops.def"
#include "graph/ops_fastserve.def"
#undef X

}  // namespace fastserve
