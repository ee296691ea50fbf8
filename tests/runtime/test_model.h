// Builds small in-memory models for runtime tests: graph inputs,
// initializers, nodes whose outputs are fresh values, graph outputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve::testing {

class TestModel {
 public:
  explicit TestModel(int64_t opset = 17, std::string path = "toy.onnx") : model_(std::make_shared<Model>()) {
    model_->path = std::move(path);
    model_->ir_version = 8;
    model_->opsets[""] = opset;
    model_->graph.name = "toy";
  }

  ValueId input(const std::string& name, DType dtype, Shape shape, std::vector<std::string> dim_params = {}) {
    Value v;
    v.name = name;
    v.dtype = dtype;
    v.shape_known = true;
    v.shape = std::move(shape);
    v.dim_params = std::move(dim_params);
    const ValueId id = model_->graph.add_value(std::move(v));
    model_->graph.inputs.push_back(id);
    return id;
  }

  ValueId constant(const std::string& name, Tensor t) {
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape_known = true;
    v.shape = t.shape();
    v.initializer = std::move(t);
    return model_->graph.add_value(std::move(v));
  }

  // Adds a node with `num_outputs` fresh outputs named "<node>_out<i>"; returns them.
  std::vector<ValueId> node_n(const std::string& op_type, const std::string& name, std::vector<ValueId> inputs,
                              int num_outputs, std::vector<Attribute> attrs = {}, const std::string& domain = "") {
    Node n;
    n.name = name;
    n.op_type = op_type;
    n.domain = domain;
    n.inputs = std::move(inputs);
    n.attributes = std::move(attrs);
    for (int i = 0; i < num_outputs; ++i) {
      Value v;
      v.name = name + "_out" + std::to_string(i);
      n.outputs.push_back(model_->graph.add_value(std::move(v)));
    }
    model_->graph.nodes.push_back(n);
    return n.outputs;
  }
  ValueId node(const std::string& op_type, const std::string& name, std::vector<ValueId> inputs,
               std::vector<Attribute> attrs = {}, const std::string& domain = "") {
    return node_n(op_type, name, std::move(inputs), 1, std::move(attrs), domain)[0];
  }

  void output(ValueId id) { model_->graph.outputs.push_back(id); }

  std::shared_ptr<Model> build() {
    model_->graph.reindex();
    return model_;
  }

 private:
  std::shared_ptr<Model> model_;
};

}  // namespace fastserve::testing
