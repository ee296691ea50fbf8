// fold_constants: computes once, at session creation, what does not depend
// on the graph inputs, and stores it as initializers.
//   * Constant nodes become initializers; a 'value' tensor is shared, not
//     copied (it may point into the memory-mapped model file).
//   * Shape (and Size) of a value whose shape is fully static becomes an
//     int64 initializer (PyTorch exports compute Reshape targets this way).
//   * A node whose present inputs are all initializers is evaluated through
//     PassContext::evaluate_node, i.e. by the kernel the session would run,
//     so the folded value is exactly what the unoptimized model computes.
// Nodes are visited in execution order, so a chain of foldable nodes folds
// in one sweep.
//
// DequantizeLinear waits while PassContext::keep_dequantize is set (QDQ
// import reads the integer weights behind it; see pass_manager.h).
// Left alone: nodes producing a graph output (the session would otherwise
// hand callers its own constant buffer as a result), outputs that would be
// larger than ctx.max_folded_blowup_bytes and than the node's inputs
// (Expand-style blowups), ops without a schema or that are random, and nodes
// whose evaluation fails: the session then compiles and reports them
// exactly as it would without optimization.
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "graph/shape_op_params.h"
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

std::string_view node_domain(const Node& n) { return n.domain == "ai.onnx" ? std::string_view() : n.domain; }

NodeView attribute_view(const Model& model, const Node& n) {
  return NodeView(n.name, n.op_type, node_domain(n), model.opset(node_domain(n)), &n.attributes, {}, {});
}

// ONNX's generators (RandomNormal, RandomUniformLike, Multinomial,
// Bernoulli) draw new values per run, and so does a Dropout that may run in
// training mode (input 2) without a seed; nothing else in the op set does.
bool is_random(const Node& n) {
  if (n.op_type == "Dropout")
    return n.inputs.size() > 2 && n.inputs[2] != kNoValue && n.attr("seed") == nullptr;
  return n.op_type.rfind("Random", 0) == 0 || n.op_type == "Multinomial" || n.op_type == "Bernoulli";
}

bool produces_graph_output(const Node& n, const std::vector<bool>& is_output) {
  for (ValueId out : n.outputs) {
    if (out != kNoValue && is_output[static_cast<size_t>(out)]) return true;
  }
  return false;
}

// Shape of a static-shaped value: its dims (between 'start' and 'end', opset 15).
Result<Tensor> fold_shape(const Model& model, const Node& n) {
  const Value& in = model.graph.values[static_cast<size_t>(n.inputs[0])];
  const NodeView view = attribute_view(model, n);
  const auto rank = static_cast<int64_t>(in.shape.rank());
  const auto [start, end] = resolve_shape_range(view, rank);
  std::vector<int64_t> dims(in.shape.dims().begin() + start, in.shape.dims().begin() + end);
  return Tensor::from_vector<int64_t>(dims);
}

bool shape_is_foldable(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.size() != 1) return false;
  const Value& in = g.values[static_cast<size_t>(n.inputs[0])];
  return in.shape_known && in.shape.is_static();
}

class ConstantFolder {
 public:
  ConstantFolder(Model& model, PassContext& ctx)
      : model_(model), g_(model.graph), ctx_(ctx), is_output_(graph_output_flags(g_)),
        removed_(g_.nodes.size(), false) {}

  Status run() {
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      if (produces_graph_output(node, is_output_) || node.outputs.empty()) continue;
      const bool onnx = node_domain(node).empty();
      if (onnx && ctx_.keep_dequantize && node.op_type == "DequantizeLinear") continue;
      Result<std::vector<Tensor>> folded = std::vector<Tensor>{};
      if (onnx && node.op_type == "Constant") {
        Result<Tensor> t = resolve_constant(attribute_view(model_, node));
        if (!t.ok()) continue;  // sparse / string constants: the session reports them
        folded = std::vector<Tensor>{std::move(t).value()};
      } else if (onnx && node.op_type == "Shape" && shape_is_foldable(g_, node)) {
        FS_ASSIGN_OR_RETURN(Tensor t, fold_shape(model_, node));
        folded = std::vector<Tensor>{std::move(t)};
      } else if (onnx && node.op_type == "Size" && shape_is_foldable(g_, node)) {
        const Value& in = g_.values[static_cast<size_t>(node.inputs[0])];
        folded = std::vector<Tensor>{Tensor::scalar<int64_t>(in.shape.numel())};
      } else if (evaluable(node)) {
        folded = evaluate(node);
      } else {
        continue;
      }
      if (!folded.ok() || !fits(node, folded.value())) continue;
      replace_with_constants(n, std::move(folded).value());
    }
    if (any_) remove_nodes(g_, removed_);
    return ok_status();
  }

 private:
  int64_t input_bytes(const Node& n) const {
    int64_t bytes = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (const Tensor* t = constant_input(g_, n, i)) bytes += static_cast<int64_t>(t->nbytes());
    }
    return bytes;
  }

  bool too_big(const Node& n, int64_t output_bytes) const {
    return output_bytes > ctx_.max_folded_blowup_bytes && output_bytes > input_bytes(n);
  }

  // Every present input is an initializer, the op is known and not random,
  // and no output is known in advance to be a blowup.
  bool evaluable(const Node& n) const {
    if (!ctx_.evaluate_node || is_random(n) || find_op_schema(n.op_type, node_domain(n)) == nullptr) return false;
    bool any_input = false;
    for (ValueId in : n.inputs) {
      if (in == kNoValue) continue;
      if (!g_.values[static_cast<size_t>(in)].is_constant()) return false;
      any_input = true;
    }
    if (!any_input) return false;
    for (ValueId out : n.outputs) {
      if (out == kNoValue) continue;
      const Value& v = g_.values[static_cast<size_t>(out)];
      if (v.shape_known && v.shape.is_static() && dtype_size(v.dtype) > 0 &&
          too_big(n, v.shape.numel() * static_cast<int64_t>(dtype_size(v.dtype)))) {
        return false;
      }
    }
    return true;
  }

  Result<std::vector<Tensor>> evaluate(const Node& n) const {
    std::vector<Tensor> inputs(n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (const Tensor* t = constant_input(g_, n, i)) inputs[i] = *t;
    }
    return ctx_.evaluate_node(model_, n, inputs);
  }

  // One tensor per present output, none larger than allowed.
  bool fits(const Node& n, const std::vector<Tensor>& values) const {
    if (values.size() != n.outputs.size()) return false;
    for (size_t k = 0; k < values.size(); ++k) {
      if (n.outputs[k] == kNoValue) continue;
      if (!values[k].defined() || too_big(n, static_cast<int64_t>(values[k].nbytes()))) return false;
    }
    return true;
  }

  void replace_with_constants(size_t index, std::vector<Tensor> values) {
    const Node& n = g_.nodes[index];
    for (size_t k = 0; k < values.size(); ++k) {
      if (n.outputs[k] == kNoValue) continue;
      Value& v = g_.values[static_cast<size_t>(n.outputs[k])];
      v.dtype = values[k].dtype();
      v.shape_known = true;
      v.shape = values[k].shape();
      v.dim_params.clear();
      v.initializer = std::move(values[k]);
      v.producer = -1;
    }
    removed_[index] = true;
    any_ = true;
    ctx_.note_rewrite({op_key(n)});
  }

  Model& model_;
  Graph& g_;
  PassContext& ctx_;
  std::vector<bool> is_output_;
  std::vector<bool> removed_;
  bool any_ = false;
};

}  // namespace

Status fold_constants(Model& model, PassContext& ctx) { return ConstantFolder(model, ctx).run(); }

}  // namespace fastserve
