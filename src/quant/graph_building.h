// The small graph-building steps the quantization rewrites share
// (dynamic_quantization.cc, static_quantization.cc): an int attribute, a
// fresh value, a node.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fastserve/graph.h"
#include "passes/graph_edit.h"

namespace fastserve::quant {

inline Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

// A value named after `base` (made unique), of `dtype`, shape to be inferred.
inline ValueId new_value(Graph& g, const std::string& base, DType dtype) {
  Value v;
  v.name = unique_value_name(g, base);
  v.dtype = dtype;
  return g.add_value(std::move(v));
}

inline Node make_node(const std::string& op, std::string name, std::vector<ValueId> in, std::vector<ValueId> out,
                      std::vector<Attribute> attrs = {}) {
  Node n;
  n.op_type = op;
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

}  // namespace fastserve::quant
