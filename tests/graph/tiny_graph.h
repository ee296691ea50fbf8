// Builds small Models by hand for graph-layer tests: values are referred to
// by name and created on first mention.
#pragma once

#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve::testing {

class TinyGraph {
 public:
  TinyGraph() { model_.opsets[""] = 17; }

  TinyGraph& input(const std::string& name, DType dt, Shape shape) {
    const ValueId id = value(name);
    Value& v = model_.graph.values[static_cast<size_t>(id)];
    v.dtype = dt;
    v.shape_known = true;
    v.shape = std::move(shape);
    model_.graph.inputs.push_back(id);
    return *this;
  }
  TinyGraph& constant(const std::string& name, Tensor t) {
    Value& v = model_.graph.values[static_cast<size_t>(value(name))];
    v.dtype = t.dtype();
    v.shape_known = true;
    v.shape = t.shape();
    v.initializer = std::move(t);
    return *this;
  }
  // Inputs named "" are omitted optional inputs.
  TinyGraph& node(const std::string& op, const std::vector<std::string>& inputs,
                  const std::vector<std::string>& outputs, const std::string& name = "",
                  std::vector<Attribute> attributes = {}) {
    Node n;
    n.op_type = op;
    n.name = name;
    n.attributes = std::move(attributes);
    for (const std::string& in : inputs) n.inputs.push_back(in.empty() ? kNoValue : value(in));
    for (const std::string& out : outputs) n.outputs.push_back(out.empty() ? kNoValue : value(out));
    model_.graph.nodes.push_back(std::move(n));
    return *this;
  }
  TinyGraph& output(const std::string& name) {
    model_.graph.outputs.push_back(value(name));
    return *this;
  }
  // Declares (as value_info would) a dtype and shape for a value.
  TinyGraph& declare(const std::string& name, DType dt, Shape shape) {
    Value& v = model_.graph.values[static_cast<size_t>(value(name))];
    v.dtype = dt;
    v.shape_known = true;
    v.shape = std::move(shape);
    return *this;
  }
  Model build() {
    model_.graph.reindex();
    return model_;
  }
  ValueId value(const std::string& name) {
    const ValueId id = model_.graph.find_value(name);
    if (id != kNoValue) return id;
    Value v;
    v.name = name;
    return model_.graph.add_value(std::move(v));
  }

 private:
  Model model_;
};

}  // namespace fastserve::testing
