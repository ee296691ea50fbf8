// `fastserve inspect`: what a model holds and whether FastServe can run it.
//
//   fastserve inspect --model M [--json] [--passes] [--optimized] [-O N] [--dump-graph FILE]
//
// Prints inputs/outputs (symbolic dims by name), producer, opset imports,
// metadata, the op histogram, parameter count and bytes (initializers), an
// estimated FLOP count per sample (graph/flops.h) and the nodes no
// registered kernel covers on this CPU. Loading does not compile a session,
// so a model with unsupported ops can still be inspected.
// --passes runs the graph passes of level -O (default 3) and prints what
// each did; --optimized shows everything above for the optimized graph,
// plus its node list. A model every node of which has a kernel is also run
// once on zeros (symbolic dims as 1) for the memory planner's arena size
// beside the naive sum of its intermediates. --dump-graph FILE writes the
// graph after the passes of -O as an ONNX model (onnx/onnx_writer.h), to
// open in Netron. The same run lists the nodes that compile to a sparse
// kernel (pruned weights above the break-even sparsity) with their weight's
// fraction of zeros.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/commands.h"
#include "cli/pass_report_text.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "fastserve/session.h"
#include "graph/flops.h"
#include "kernels/cpu/sparse/sparse_matrix.h"
#include "onnx/onnx_writer.h"
#include "runtime/kernel_registry.h"
#include "runtime/optimize_model.h"

namespace fastserve::cli {
namespace {

struct InspectOptions {
  std::string model;
  bool json = false;
  bool passes = false;     // print the pass report
  bool optimized = false;  // inspect the optimized graph, with its node list
  int opt_level = kMaxOptimizationLevel;
  std::string dump_graph;  // write the optimized graph here ("" = no)
};

// The model after the passes of opts.opt_level, and what they did. Runs on a
// copy (shares the weights) and compiles nothing, so unsupported ops are fine.
Result<std::pair<std::shared_ptr<Model>, PassReport>> optimize(const Model& model, const InspectOptions& opts) {
  auto copy = std::make_shared<Model>(model);
  ThreadPool pool(1);
  PlanOptions plan;
  plan.isa = host_isa();
  FS_ASSIGN_OR_RETURN(PassReport report, optimize_model(*copy, opts.opt_level, plan, KernelRegistry::global(), pool));
  return std::make_pair(std::move(copy), std::move(report));
}

// The memory planner's figures for one run at -O opts.opt_level on zeros,
// symbolic dims taken as 1 (as the FLOP count takes them).
struct ActivationMemory {
  bool known = false;
  size_t planned = 0, naive = 0;
  std::string why;  // when not known
  // The nodes the compiled session runs on a sparse kernel (known with the
  // rest): node, op, kernel, and the weight's fraction of zeros.
  struct SparseLayer {
    std::string node, op, kernel;
    double sparsity = 0;
  };
  std::vector<SparseLayer> sparse;
};

ActivationMemory probe_activation_memory(const std::shared_ptr<const Model>& model, const InspectOptions& opts) {
  ActivationMemory out;
  SessionOptions so;
  so.optimization_level = opts.opt_level;
  so.num_threads = 1;
  Result<std::unique_ptr<Session>> s = Session::create(model, so);
  if (!s.ok()) {
    out.why = "the model does not compile";
    return out;
  }
  std::vector<NamedTensor> inputs;
  for (const IoInfo& in : (*s)->inputs()) {
    if (!in.shape_known || in.dtype == DType::kUndefined) {
      out.why = "input '" + in.name + "' has no known shape";
      return out;
    }
    std::vector<int64_t> dims = in.shape.dims();
    for (int64_t& d : dims) d = d == kUnknownDim ? 1 : d;
    inputs.push_back({in.name, Tensor::zeros(in.dtype, Shape(dims))});
  }
  Result<std::vector<NamedTensor>> r = (*s)->run(inputs);
  if (!r.ok()) {
    out.why = "a run on zeros failed: " + r.status().message();
    return out;
  }
  const MemoryStats m = (*s)->memory_stats();
  out.known = true;
  // The session dropped the weights it packed; the same passes on a copy
  // (nothing compiled) give the weights each sparse node reads.
  std::shared_ptr<Model> passed;
  for (const KernelChoice& k : (*s)->kernel_choices()) {
    if (!is_sparse_kernel_name(k.kernel_name)) continue;
    if (passed == nullptr) {
      auto o = optimize(*model, opts);
      passed = o.ok() ? o->first : std::make_shared<Model>();
    }
    double sparsity = -1;
    for (const Node& n : passed->graph.nodes) {
      if (n.name != k.node_name || n.inputs.size() < 2 || n.inputs[1] == kNoValue) continue;
      const Value& w = passed->graph.values[static_cast<size_t>(n.inputs[1])];
      if (w.is_constant()) sparsity = zero_fraction(w.initializer);
    }
    out.sparse.push_back({k.node_name, k.op_type, k.kernel_name, sparsity});
  }
  out.planned = m.planned_activation_bytes;
  out.naive = m.naive_activation_bytes;
  return out;
}

struct UncoveredNode {
  std::string op_type;
  std::string node;
  std::string reason;
};

std::string op_key(const Node& n) { return n.domain.empty() ? n.op_type : n.domain + "." + n.op_type; }

// Nodes the CPU registry has no kernel for: unknown op types, or known ones
// whose kernels all reject this node (dtype, opset, attributes).
std::vector<UncoveredNode> uncovered_nodes(const Model& model) {
  const KernelRegistry& registry = KernelRegistry::global();
  const Graph& g = model.graph;
  std::vector<UncoveredNode> out;
  for (const Node& n : g.nodes) {
    if (!registry.knows_op(n.op_type, n.domain)) {
      out.push_back({op_key(n), n.name, "no kernel for this op"});
      continue;
    }
    auto info = [&](ValueId id) {
      if (id == kNoValue) return TensorInfo{};
      const Value& v = g.values[static_cast<size_t>(id)];
      TensorInfo t{true, v.dtype, v.shape_known, v.shape, nullptr};
      if (v.is_constant()) t = TensorInfo::of(v.initializer);
      return t;
    };
    std::vector<TensorInfo> ins, outs;
    for (ValueId id : n.inputs) ins.push_back(info(id));
    for (ValueId id : n.outputs) outs.push_back(info(id));
    NodeView view(n.name, n.op_type, n.domain, model.opset(n.domain), &n.attributes, ins, outs);
    Result<const KernelDesc*> k = registry.select(view, Device::kCpu, host_isa());
    if (!k.ok()) out.push_back({op_key(n), n.name, k.status().message()});
  }
  return out;
}

// Op types by count, most frequent first (ties alphabetical).
std::vector<std::pair<std::string, int64_t>> op_histogram(const Graph& g) {
  std::map<std::string, int64_t> counts;
  for (const Node& n : g.nodes) ++counts[op_key(n)];
  std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return v;
}

struct Params {
  int64_t count = 0;
  int64_t bytes = 0;
  int64_t initializers = 0;
};

Params parameters(const Graph& g) {
  Params p;
  for (const Value& v : g.values) {
    if (!v.is_constant()) continue;
    ++p.initializers;
    p.count += v.initializer.numel();
    p.bytes += static_cast<int64_t>(v.initializer.nbytes());
  }
  return p;
}

std::string domain_name(const std::string& d) { return d.empty() ? "ai.onnx" : d; }

void print_json(const InspectOptions& opts, const Model& m, const FlopsEstimate& flops,
                const std::vector<UncoveredNode>& uncovered, const PassReport* report, const ActivationMemory& memory) {
  const Graph& g = m.graph;
  auto io = [&](const std::vector<ValueId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      const Value& v = g.values[static_cast<size_t>(ids[i])];
      s += fmt::format("{}{{\"name\":{},\"dtype\":{},\"shape\":{}}}", i ? "," : "", json_string(v.name),
                       json_string(dtype_name(v.dtype)), json_shape(v.shape_known, v.shape, v.dim_params));
    }
    return s + "]";
  };
  std::string out = "{\"model\":" + json_string(opts.model);
  out += ",\"producer\":" + json_string(m.producer_name) + ",\"producer_version\":" + json_string(m.producer_version);
  out += ",\"ir_version\":" + std::to_string(m.ir_version) + ",\"opsets\":{";
  bool first = true;
  for (const auto& [d, v] : m.opsets) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(domain_name(d)), v);
    first = false;
  }
  out += "}";
  if (m.upgraded_from_opset != 0) out += ",\"upgraded_from_opset\":" + std::to_string(m.upgraded_from_opset);
  out += ",\"inputs\":" + io(g.inputs) + ",\"outputs\":" + io(g.outputs) + ",\"metadata\":{";
  first = true;
  for (const auto& [k, v] : m.metadata) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(k), json_string(v));
    first = false;
  }
  out += fmt::format("}},\"nodes\":{},\"ops\":{{", g.nodes.size());
  first = true;
  for (const auto& [op, n] : op_histogram(g)) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(op), n);
    first = false;
  }
  const Params p = parameters(g);
  out += fmt::format("}},\"parameters\":{{\"count\":{},\"bytes\":{},\"initializers\":{}}}", p.count, p.bytes,
                     p.initializers);
  out += fmt::format(",\"flops\":{{\"total\":{},\"by_op_type\":{{", flops.total);
  first = true;
  for (const auto& [op, f] : flops.by_op_type) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(op), f);
    first = false;
  }
  out += "},\"assumed_one\":[";
  for (size_t i = 0; i < flops.assumed_one.size(); ++i) out += (i ? "," : "") + json_string(flops.assumed_one[i]);
  out += "],\"uncounted_nodes\":[";
  for (size_t i = 0; i < flops.uncounted_nodes.size(); ++i) {
    out += (i ? "," : "") + json_string(flops.uncounted_nodes[i]);
  }
  out += "]},\"unsupported\":[";
  for (size_t i = 0; i < uncovered.size(); ++i) {
    out += fmt::format("{}{{\"op_type\":{},\"node\":{},\"reason\":{}}}", i ? "," : "",
                       json_string(uncovered[i].op_type), json_string(uncovered[i].node),
                       json_string(uncovered[i].reason));
  }
  out += "]";
  if (memory.known) {
    out += fmt::format(",\"activation_bytes\":{{\"planned\":{},\"naive\":{}}}", memory.planned, memory.naive);
    out += ",\"sparse_layers\":[";
    for (size_t i = 0; i < memory.sparse.size(); ++i) {
      const auto& l = memory.sparse[i];
      out += fmt::format("{}{{\"node\":{},\"op_type\":{},\"kernel\":{},\"weight_sparsity\":{}}}", i ? "," : "",
                         json_string(l.node), json_string(l.op), json_string(l.kernel),
                         l.sparsity < 0 ? std::string("null") : json_number(l.sparsity));
    }
    out += "]";
  } else {
    out += ",\"activation_bytes\":null";
  }
  if (opts.passes && report != nullptr) out += ",\"passes\":" + pass_report_json(*report);
  if (opts.optimized) out += ",\"graph_nodes\":" + node_list_json(g);
  out += "}";
  fmt::print("{}\n", out);
}

void print_text(const InspectOptions& opts, const Model& m, const FlopsEstimate& flops,
                const std::vector<UncoveredNode>& uncovered, const PassReport* report, const ActivationMemory& memory) {
  const Graph& g = m.graph;
  fmt::print("model: {}{}\n", opts.model, opts.optimized ? fmt::format(" (optimized, level {})", opts.opt_level) : "");
  fmt::print("producer: {}{}{} (ir_version {})\n", m.producer_name.empty() ? "?" : m.producer_name,
             m.producer_version.empty() ? "" : " ", m.producer_version, m.ir_version);
  std::string opsets;
  for (const auto& [d, v] : m.opsets) opsets += fmt::format("{}{} {}", opsets.empty() ? "" : ", ", domain_name(d), v);
  if (m.upgraded_from_opset != 0) {
    opsets +=
        fmt::format(" (the file imports ai.onnx {}; every op is unchanged up to 11)", m.upgraded_from_opset);
  }
  fmt::print("opsets: {}\n", opsets);
  auto print_io = [&](const char* title, const std::vector<ValueId>& ids) {
    fmt::print("{}:\n", title);
    for (ValueId id : ids) {
      const Value& v = g.values[static_cast<size_t>(id)];
      fmt::print("  {}: {}{}\n", v.name, dtype_name(v.dtype), format_shape(v.shape_known, v.shape, v.dim_params));
    }
  };
  print_io("inputs", g.inputs);
  print_io("outputs", g.outputs);
  if (!m.metadata.empty()) {
    fmt::print("metadata:\n");
    for (const auto& [k, v] : m.metadata) fmt::print("  {} = {}\n", k, v);
  }
  const Params p = parameters(g);
  fmt::print("parameters: {} ({}) in {} initializers\n", p.count, human_bytes(static_cast<double>(p.bytes)),
             p.initializers);
  std::string assumed;
  for (const std::string& a : flops.assumed_one) assumed += (assumed.empty() ? "" : ", ") + a;
  fmt::print("FLOPs: {} ({}FLOPs){}\n", flops.total, human_count(static_cast<double>(flops.total)),
             assumed.empty() ? "" : fmt::format(" per sample ({} taken as 1)", assumed));
  if (!flops.uncounted_nodes.empty()) {
    fmt::print("  not counted (shapes unknown or op not known): {} nodes\n", flops.uncounted_nodes.size());
  }
  fmt::print("ops ({} nodes):\n", g.nodes.size());
  for (const auto& [op, n] : op_histogram(g)) {
    auto f = flops.by_op_type.find(op);
    fmt::print("  {:<22} {:>5}{}\n", op, n,
               f == flops.by_op_type.end() || f->second == 0
                   ? ""
                   : fmt::format("  {}FLOPs", human_count(static_cast<double>(f->second))));
  }
  if (uncovered.empty()) {
    fmt::print("unsupported: none (every node has a kernel at isa {})\n", isa_name(host_isa()));
  } else {
    fmt::print("unsupported ({} nodes):\n", uncovered.size());
    for (const UncoveredNode& u : uncovered) {
      fmt::print("  {} (node '{}'): {}\n", u.op_type, u.node, u.reason);
    }
  }
  if (memory.known) {
    fmt::print("activations (one run, symbolic dims as 1, level {}): planned arena {}, naive sum {}\n", opts.opt_level,
               human_bytes(static_cast<double>(memory.planned)), human_bytes(static_cast<double>(memory.naive)));
    fmt::print("sparse kernels: {}\n", memory.sparse.empty()
                                            ? std::string("none (no constant weight above the break-even sparsity)")
                                            : fmt::format("{} nodes", memory.sparse.size()));
    for (const auto& l : memory.sparse) {
      fmt::print("  {} ({}): {}{}\n", l.node, l.op, l.kernel,
                 l.sparsity < 0 ? "" : fmt::format(", weight {:.1f}% zero", 100.0 * l.sparsity));
    }
  } else {
    fmt::print("activations: unknown ({})\n", memory.why);
  }
  if (opts.passes && report != nullptr) fmt::print("{}", pass_report_text(*report));
  if (opts.optimized) fmt::print("nodes ({}):\n{}", g.nodes.size(), node_list_text(g));
}

int run(const InspectOptions& opts) {
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  std::shared_ptr<const Model> shown = *model;
  PassReport report;
  if (opts.passes || opts.optimized || !opts.dump_graph.empty()) {
    auto optimized = optimize(**model, opts);
    if (!optimized.ok()) return report_error(optimized.status());
    report = std::move(optimized->second);
    if (!opts.dump_graph.empty()) {
      if (Status st = save_onnx_model(*optimized->first, opts.dump_graph); !st.ok()) return report_error(st);
    }
    if (opts.optimized) shown = std::move(optimized->first);
  }
  const FlopsEstimate flops = estimate_flops(*shown);
  const std::vector<UncoveredNode> uncovered = uncovered_nodes(*shown);
  const ActivationMemory memory = uncovered.empty() ? probe_activation_memory(*model, opts)
                                                    : ActivationMemory{false, 0, 0, "nodes without a kernel"};
  if (opts.json) {
    print_json(opts, *shown, flops, uncovered, &report, memory);
  } else {
    print_text(opts, *shown, flops, uncovered, &report, memory);
  }
  return kExitOk;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* sub = app.add_subcommand("inspect", "Show a model's inputs, outputs, ops, size, FLOPs and coverage");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_flag("--json", opts->json, "Print one JSON object instead of text");
  sub->add_flag("--passes", opts->passes, "Run the graph passes and show what each changed");
  sub->add_flag("--optimized", opts->optimized, "Inspect the graph after the passes, with its node list");
  add_opt_level_option(*sub, opts->opt_level);
  sub->add_option("--dump-graph", opts->dump_graph,
                  "Write the graph after the passes of -O to FILE as an ONNX model (opens in Netron)");
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
