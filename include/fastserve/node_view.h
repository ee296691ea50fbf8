// NodeView: what an op's shape inference and its kernels may see of a node.
//
// Kernels never see the graph (STYLE.md). The runtime builds a NodeView from a
// graph node: its identity, attributes, and a TensorInfo per input/output.
// The same view type serves two moments:
//   * compile time (static): shapes may have unknown dims or unknown rank,
//     and TensorInfo::value is set only for constants (initializers);
//   * run time: every shape is concrete and every input's value is set.
// Shape inference therefore must accept unknowns and only reject definite
// mismatches.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/attribute.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct TensorInfo {
  bool present = false;        // false for an omitted optional input/output
  DType dtype = DType::kUndefined;
  bool shape_known = false;    // rank known; individual dims may still be kUnknownDim
  Shape shape;
  const Tensor* value = nullptr;  // the data when known (constants; every input at run time)

  static TensorInfo of(const Tensor& t) { return {true, t.dtype(), true, t.shape(), &t}; }
  static TensorInfo with_shape(DType dt, Shape s) { return {true, dt, true, std::move(s), nullptr}; }
};

class NodeView {
 public:
  NodeView(std::string_view name, std::string_view op_type, std::string_view domain, int64_t opset,
           const std::vector<Attribute>* attrs, std::span<const TensorInfo> inputs,
           std::span<const TensorInfo> outputs)
      : name_(name), op_type_(op_type), domain_(domain), opset_(opset), attrs_(attrs),
        inputs_(inputs), outputs_(outputs) {}

  std::string_view name() const { return name_; }
  std::string_view op_type() const { return op_type_; }
  std::string_view domain() const { return domain_; }
  // Opset version of the node's domain in the model (e.g. 13).
  int64_t opset() const { return opset_; }

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  // False when input i is beyond the list or an omitted optional ("").
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i].present; }
  const TensorInfo& input(size_t i) const { return inputs_[i]; }
  const TensorInfo& output(size_t i) const { return outputs_[i]; }
  DType input_dtype(size_t i) const { return has_input(i) ? inputs_[i].dtype : DType::kUndefined; }
  // Constant value of input i, or null when not known at this moment.
  const Tensor* input_value(size_t i) const { return has_input(i) ? inputs_[i].value : nullptr; }

  const Attribute* attr(std::string_view name) const;
  bool has_attr(std::string_view name) const { return attr(name) != nullptr; }
  int64_t attr_int(std::string_view name, int64_t def) const;
  float attr_float(std::string_view name, float def) const;
  std::string attr_string(std::string_view name, std::string def) const;
  std::vector<int64_t> attr_ints(std::string_view name, std::vector<int64_t> def = {}) const;
  std::vector<float> attr_floats(std::string_view name, std::vector<float> def = {}) const;
  const Tensor* attr_tensor(std::string_view name) const;

  // The same node seen with other inputs: for ops whose inference or kernel
  // reuses another op's on some of their inputs (QLinearConv's X and W are
  // Conv's). `inputs` must outlive the returned view.
  NodeView with_inputs(std::span<const TensorInfo> inputs) const {
    return NodeView(name_, op_type_, domain_, opset_, attrs_, inputs, outputs_);
  }

  // "node 'conv1' (Conv)": the prefix for error messages about this node.
  std::string describe() const;
  // Convenience: an error that names this node.
  Status error(StatusCode code, const std::string& message) const {
    return Status(code, describe() + ": " + message);
  }

 private:
  std::string_view name_, op_type_, domain_;
  int64_t opset_;
  const std::vector<Attribute>* attrs_;
  std::span<const TensorInfo> inputs_;
  std::span<const TensorInfo> outputs_;
};

}  // namespace fastserve
