// ExecutionPlan: a model compiled for one device and ISA — the nodes in
// execution order, each with its chosen kernel and prepared state, and when
// each intermediate tensor can be released.
//
// Session is a thin owner of a plan and a thread pool. The plan is built
// against a KernelRegistry passed in (the global one in Session), which lets
// tests drive compilation and execution with fake descriptors.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_features.h"
#include "core/device.h"
#include "core/thread_pool.h"
#include "fastserve/graph.h"
#include "fastserve/session.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

struct CompiledNode {
  const Node* node = nullptr;        // points into ExecutionPlan::model's graph
  int64_t opset = 0;                 // opset of the node's domain
  const OpSchema* schema = nullptr;  // run-time shape inference
  const KernelDesc* kernel = nullptr;
  std::shared_ptr<void> state;       // what prepare() stored; read-only while running
  // Output 0 is input 0's buffer under the inferred shape (Reshape, Flatten,
  // Squeeze, Unsqueeze, Identity): the executor runs no kernel and copies
  // nothing. Never set for a graph output (it would point into the run's
  // arena or at the caller's input); the memory plan keeps the input's
  // buffer alive as long as the view is read (run_memory.cc).
  bool view_of_input0 = false;
  // Values whose last use is this node (not graph outputs): released right
  // after it runs so peak memory tracks the live set, not the whole graph.
  std::vector<ValueId> release_after;
};

struct ExecutionPlan {
  std::shared_ptr<const Model> model;  // shapes inferred; nodes point into it
  std::string display_name;            // prefix for every error
  Device device = Device::kCpu;
  Isa isa = Isa::kScalar;
  std::vector<CompiledNode> nodes;     // topological order
  std::vector<IoInfo> inputs, outputs;
  std::vector<KernelChoice> kernel_choices;
};

struct PlanOptions {
  Device device = Device::kCpu;
  Isa isa = Isa::kScalar;  // the effective level (already capped)
  int num_threads = 1;     // what prepare() may plan its work split for
  ProviderOrder providers = default_provider_order();  // see KernelRegistry::select
};

// "" and "ai.onnx" both name the default ONNX domain.
inline std::string_view normalize_domain(std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; }

// Prefixes the model's display name unless the message already starts with
// it (verify_graph and friends may name the model themselves).
inline Status with_model_name(const Status& s, const std::string& display) {
  if (s.ok() || s.message().rfind(display + ":", 0) == 0) return s;
  return s.with_context(display);
}

// Copies the model, verifies it, infers shapes, picks a kernel per node from
// `registry` (drawing from options.providers) and runs every prepare(). When
// nodes lack a kernel (unknown op, or no descriptor for the
// opset/dtype/device), one kUnsupported error lists all of them; a provider
// in options.providers that `registry` does not hold is kUnsupported too.
//
// Weights that every reader packed in its prepare() (PrepareContext::
// packed_inputs) are dropped from the plan's copy right after the last of
// those prepares, so the packed copy is the only one resident. The caller's
// Model keeps its own handles: pass the only reference (std::move) to let
// the plan free them while it compiles (the peak then holds each weight
// twice only while it is being packed).
Result<ExecutionPlan> compile_plan(std::shared_ptr<const Model> model, const PlanOptions& options,
                                   const KernelRegistry& registry);
inline Result<ExecutionPlan> compile_plan(const Model& model, const PlanOptions& options,
                                          const KernelRegistry& registry) {
  return compile_plan(std::make_shared<const Model>(model), options, registry);
}

class RunMemory;

// Validates `inputs` against the plan's graph inputs and runs every node.
// Thread-safe: all per-run state lives in the call; `pool` may be shared.
// With `memory`, intermediates come from a planned arena once the input
// shapes have been seen (run_memory.h); without, each is allocated alone.
// A non-null `profile` (owned by this call's caller alone) gets each node's
// kernel time added (see RunProfile in session.h).
Result<std::vector<NamedTensor>> execute_plan(const ExecutionPlan& plan, std::span<const NamedTensor> inputs,
                                              ThreadPool& pool, RunMemory* memory = nullptr,
                                              RunProfile* profile = nullptr);

}  // namespace fastserve
