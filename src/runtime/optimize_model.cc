// optimize_model and the kernel-backed node evaluator (see optimize_model.h).
#include "runtime/optimize_model.h"

#include <string>
#include <utility>
#include <vector>

namespace fastserve {
namespace {

// The one-node model: same opsets (kernels are chosen by opset), the node's
// present inputs as initializers under their names, its outputs as graph
// outputs. Attribute tensors are shared, not copied.
Model one_node_model(const Model& model, const Node& node, std::span<const Tensor> inputs) {
  Model one;
  one.path = model.path;
  one.ir_version = model.ir_version;
  one.opsets = model.opsets;
  Graph& g = one.graph;
  g.name = "fold";
  Node n;
  n.name = node.name;
  n.op_type = node.op_type;
  n.domain = node.domain;
  n.attributes = node.attributes;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] == kNoValue || i >= inputs.size() || !inputs[i].defined()) {
      n.inputs.push_back(kNoValue);
      continue;
    }
    const std::string& name = model.graph.values[static_cast<size_t>(node.inputs[i])].name;
    ValueId id = g.find_value(name);  // a node may read one value twice (Mul(a, a))
    if (id == kNoValue) {
      Value v;
      v.name = name;
      v.dtype = inputs[i].dtype();
      v.shape_known = true;
      v.shape = inputs[i].shape();
      v.initializer = inputs[i];
      id = g.add_value(std::move(v));
    }
    n.inputs.push_back(id);
  }
  for (ValueId out : node.outputs) {
    if (out == kNoValue) {
      n.outputs.push_back(kNoValue);
      continue;
    }
    Value v;
    v.name = model.graph.values[static_cast<size_t>(out)].name;
    const ValueId id = g.add_value(std::move(v));
    n.outputs.push_back(id);
    g.outputs.push_back(id);
  }
  g.nodes.push_back(std::move(n));
  g.reindex();
  return one;
}

Result<std::vector<Tensor>> evaluate_node(const Model& model, const Node& node, std::span<const Tensor> inputs,
                                          const PlanOptions& options, const KernelRegistry& registry,
                                          ThreadPool& pool) {
  const Model one = one_node_model(model, node, inputs);
  FS_ASSIGN_OR_RETURN(ExecutionPlan plan, compile_plan(one, options, registry));
  FS_ASSIGN_OR_RETURN(std::vector<NamedTensor> outs, execute_plan(plan, {}, pool));
  std::vector<Tensor> results(node.outputs.size());
  size_t next = 0;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (node.outputs[k] == kNoValue) continue;
    if (next >= outs.size()) return internal_error("constant folding: fewer outputs than the node has");
    results[k] = std::move(outs[next++].tensor);
  }
  return results;
}

}  // namespace

NodeEvaluator kernel_node_evaluator(const PlanOptions& options, const KernelRegistry& registry, ThreadPool& pool) {
  return [options, &registry, &pool](const Model& model, const Node& node, std::span<const Tensor> inputs) {
    return evaluate_node(model, node, inputs, options, registry, pool);
  };
}

Result<PassReport> optimize_model(Model& model, int level, const PlanOptions& options,
                                  const KernelRegistry& registry, ThreadPool& pool) {
  PassContext ctx;
  ctx.evaluate_node = kernel_node_evaluator(options, registry, pool);
  ctx.fast_int8 = options.device == Device::kCpu && options.isa >= Isa::kAvx512Vnni;
  return run_passes(model, level, ctx);
}

Result<PassReport> simplify_model(Model& model, const PlanOptions& options, const KernelRegistry& registry,
                                  ThreadPool& pool) {
  PassContext ctx;
  ctx.evaluate_node = kernel_node_evaluator(options, registry, pool);
  return run_standard_onnx_passes(model, ctx);
}

}  // namespace fastserve
