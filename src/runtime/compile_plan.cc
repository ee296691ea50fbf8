// compile_plan: verify, infer shapes, choose a kernel for every node, prepare.
//
// Kernel choice needs every node's static view (input dtypes and shapes, and
// the values of constant inputs), so shapes are inferred on a private copy of
// the model first; the copy is cheap because initializers share their buffers.
// Nodes without a kernel are collected and reported together: a user porting
// a model wants the whole list, not one op per attempt.
#include <algorithm>
#include <string>
#include <vector>

#include "runtime/execution_plan.h"
#include "runtime/mapped_pages.h"

namespace fastserve {
namespace {

// "Conv (node 'conv1')", "com.acme.Foo (node #3)" for other domains and
// unnamed nodes, "Relu (node 'r': <detail>)" with a detail.
std::string op_and_node(const Node& n, size_t index, const std::string& detail = "") {
  std::string op = normalize_domain(n.domain).empty() ? n.op_type : n.domain + "." + n.op_type;
  std::string who = n.name.empty() ? "node #" + std::to_string(index) : "node '" + n.name + "'";
  return op + " (" + who + (detail.empty() ? "" : ": " + detail) + ")";
}

// TensorInfo for a node's inputs/outputs as the graph knows them at compile
// time: constants carry their value, everything else only dtype and shape.
std::vector<TensorInfo> static_infos(const Graph& g, const std::vector<ValueId>& ids) {
  std::vector<TensorInfo> infos(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == kNoValue) continue;
    const Value& v = g.values[static_cast<size_t>(ids[i])];
    infos[i] = TensorInfo{true, v.dtype, v.shape_known, v.shape, v.is_constant() ? &v.initializer : nullptr};
  }
  return infos;
}

IoInfo io_info(const Value& v) {
  IoInfo io{v.name, v.dtype, v.shape_known, v.shape, v.dim_params};
  if (io.shape_known && io.dim_params.size() != io.shape.rank()) io.dim_params.assign(io.shape.rank(), "");
  return io;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string count_nodes(size_t n) { return std::to_string(n) + (n == 1 ? " node has" : " nodes have"); }

// Fills release_after: each value produced by a node is released after the
// last node that reads it (or right after its producer when nothing does),
// unless it is a graph output. Graph inputs and initializers are not owned
// by the run, so there is nothing to release for them.
void plan_releases(const Graph& g, std::vector<CompiledNode>& nodes) {
  std::vector<int64_t> last(g.values.size(), -1);
  std::vector<bool> produced(g.values.size(), false);
  for (size_t s = 0; s < nodes.size(); ++s) {
    for (ValueId id : nodes[s].node->outputs) {
      if (id == kNoValue) continue;
      produced[static_cast<size_t>(id)] = true;
      last[static_cast<size_t>(id)] = static_cast<int64_t>(s);
    }
    for (ValueId id : nodes[s].node->inputs) {
      if (id != kNoValue) last[static_cast<size_t>(id)] = static_cast<int64_t>(s);
    }
  }
  for (ValueId id : g.outputs) {
    if (id != kNoValue) last[static_cast<size_t>(id)] = -1;
  }
  for (size_t id = 0; id < g.values.size(); ++id) {
    if (produced[id] && last[id] >= 0) {
      nodes[static_cast<size_t>(last[id])].release_after.push_back(static_cast<ValueId>(id));
    }
  }
}

// Ops whose output is their first input's bytes under another shape.
bool is_view_op(const Node& n) {
  if (!normalize_domain(n.domain).empty()) return false;
  return n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze" ||
         n.op_type == "Identity";
}

// Marks the view ops the executor may run as views (CompiledNode::view_of_input0).
void mark_views(const Graph& g, Device device, std::vector<CompiledNode>& nodes) {
  if (device != Device::kCpu) return;
  std::vector<bool> output(g.values.size(), false);
  for (ValueId id : g.outputs) {
    if (id != kNoValue) output[static_cast<size_t>(id)] = true;
  }
  for (CompiledNode& cn : nodes) {
    const Node& n = *cn.node;
    if (!is_view_op(n) || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.size() != 1 ||
        n.outputs[0] == kNoValue || output[static_cast<size_t>(n.outputs[0])]) {
      continue;
    }
    cn.view_of_input0 = true;
  }
}

// A weight every reader has packed: dropped from the plan's model. A
// misaligned raw_data weight was copied to the heap at load (and a folded
// one, like GPT-2's transposed tied embedding, was made there); kept, that
// copy would stay resident beside the packed one (bert_base: ~300 MiB). The
// value keeps its dtype and shape (per-run shape inference reads them) and
// no data; Model copies elsewhere that share the buffer keep it.
void drop_weight(Value& v) {
  v.initializer = Tensor::wrap(v.initializer.dtype(), v.initializer.shape(), nullptr, nullptr);
}

}  // namespace

Result<ExecutionPlan> compile_plan(std::shared_ptr<const Model> source, const PlanOptions& options,
                                   const KernelRegistry& registry) {
  auto model = std::make_shared<Model>(*source);
  source.reset();  // when it was the last reference, the weights are ours alone now
  const std::string display = model->display_name();
  // A provider the user asked for but this build lacks is an error, not a
  // silent fallback: a comparison with oneDNN that quietly ran our kernels
  // would mislead.
  for (const std::string& p : options.providers) {
    if (!registry.has_provider(p)) {
      const char* hint =
          p == kProviderOneDnn ? " (it needs libdnnl-dev at build time and FASTSERVE_ONEDNN=ON)" : "";
      return unsupported(display + ": kernel provider '" + p + "' is not in this build" + hint);
    }
  }
  FS_RETURN_IF_ERROR(with_model_name(verify_graph(*model), display));
  FS_RETURN_IF_ERROR(with_model_name(infer_graph_shapes(*model), display));
  Result<std::vector<int32_t>> order = model->graph.topological_order();
  if (!order.ok()) return with_model_name(order.status(), display);

  ExecutionPlan plan;
  plan.model = model;
  plan.display_name = display;
  plan.device = options.device;
  plan.isa = options.isa;
  const Graph& g = model->graph;
  for (ValueId id : g.inputs) plan.inputs.push_back(io_info(g.values[static_cast<size_t>(id)]));
  for (ValueId id : g.outputs) plan.outputs.push_back(io_info(g.values[static_cast<size_t>(id)]));

  // Pass 1: choose kernels, collecting every node that has none.
  std::vector<std::string> missing;       // unknown op, or no descriptor for the key
  std::vector<std::string> undetermined;  // input type unknown (downstream of a failure)
  for (int32_t index : order.value()) {
    const Node& n = g.nodes[static_cast<size_t>(index)];
    const std::string_view domain = normalize_domain(n.domain);
    CompiledNode cn;
    cn.node = &n;
    cn.opset = model->opset(domain);
    cn.schema = find_op_schema(n.op_type, domain);
    if (cn.schema == nullptr) {
      missing.push_back(op_and_node(n, static_cast<size_t>(index)));
      plan.nodes.push_back(std::move(cn));
      continue;
    }
    std::vector<TensorInfo> ins = static_infos(g, n.inputs), outs = static_infos(g, n.outputs);
    NodeView view(n.name, n.op_type, domain, cn.opset, &n.attributes, ins, outs);
    if (view.has_input(0) && view.input_dtype(0) == DType::kUndefined) {
      undetermined.push_back(op_and_node(n, static_cast<size_t>(index)));
      plan.nodes.push_back(std::move(cn));
      continue;
    }
    Result<const KernelDesc*> chosen = registry.select(view, options.device, options.isa, options.providers);
    if (!chosen.ok()) {
      // select() names the node itself; keep only the reason after "node '...' (Op): ".
      const std::string& msg = chosen.status().message();
      const std::string prefix = view.describe() + ": ";
      std::string reason = msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg;
      missing.push_back(op_and_node(n, static_cast<size_t>(index), reason));
    } else {
      cn.kernel = chosen.value();
    }
    plan.nodes.push_back(std::move(cn));
  }
  if (!missing.empty()) {
    return unsupported(display + ": " + count_nodes(missing.size()) + " no kernel: " + join(missing));
  }
  if (!undetermined.empty()) {
    return unsupported(display + ": " + count_nodes(undetermined.size()) +
                       " no kernel (input type not inferred): " + join(undetermined));
  }

  // Pass 2: prepare (attribute parsing, weight prepacking) once every node is
  // known to be covered, so an unsupported model fails fast.
  // readers[id] / packed[id]: how many node inputs read constant `id`, and
  // how many of those packed it (PrepareContext::packed_inputs). A graph
  // output is read by the caller too: one reader more, never packed.
  std::vector<int32_t> readers(g.values.size(), 0), packed(g.values.size(), 0);
  for (const CompiledNode& cn : plan.nodes) {
    for (ValueId id : cn.node->inputs) {
      if (id != kNoValue) ++readers[static_cast<size_t>(id)];
    }
  }
  for (ValueId id : g.outputs) {
    if (id != kNoValue) ++readers[static_cast<size_t>(id)];
  }
  Graph& weights = model->graph;  // the plan's own copy: dropping a weight here touches no caller
  for (CompiledNode& cn : plan.nodes) {
    const Node& n = *cn.node;
    plan.kernel_choices.push_back({n.name, n.op_type, cn.kernel->name, cn.kernel->provider});
    if (cn.kernel->prepare == nullptr) continue;
    std::vector<TensorInfo> ins = static_infos(g, n.inputs), outs = static_infos(g, n.outputs);
    NodeView view(n.name, n.op_type, normalize_domain(n.domain), cn.opset, &n.attributes, ins, outs);
    PrepareContext ctx;
    ctx.isa = options.isa;
    ctx.num_threads = options.num_threads;
    Status st = cn.kernel->prepare(view, ctx);
    if (!st.ok()) {
      // Kernels name the node via node.error(); add it when one did not.
      if (st.message().find(view.describe()) == std::string::npos) st = st.with_context(view.describe());
      return with_model_name(st, display);
    }
    cn.state = std::move(ctx.state);
    // The weights it packed are not read again from the file's pages.
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const ValueId id = n.inputs[i];
      if (id == kNoValue) continue;
      const Value& v = g.values[static_cast<size_t>(id)];
      if (!v.is_constant()) continue;
      release_mapped_bytes(*model, v.initializer.raw_data(), v.initializer.nbytes());
      if (i >= 32 || (ctx.packed_inputs >> i & 1u) == 0) continue;
      if (++packed[static_cast<size_t>(id)] == readers[static_cast<size_t>(id)]) {
        drop_weight(weights.values[static_cast<size_t>(id)]);
      }
    }
  }
  plan_releases(g, plan.nodes);
  mark_views(g, options.device, plan.nodes);
  return plan;
}

}  // namespace fastserve
