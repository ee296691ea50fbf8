// optimize_model: the graph passes (src/passes/) with what they need from
// the runtime, namely evaluating a node for constant folding.
//
// Session::create calls it on its private copy of the model before
// compiling; `fastserve inspect --passes` calls it without compiling, so a
// model with unsupported ops can still be inspected.
#pragma once

#include "core/thread_pool.h"
#include "fastserve/graph.h"
#include "fastserve/pass_report.h"
#include "passes/pass_manager.h"
#include "runtime/execution_plan.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

// A NodeEvaluator that runs the node the way a session would: a one-node
// model (the node's inputs as initializers) compiled with `registry` for
// `options` and executed on `pool`. The references must outlive it.
NodeEvaluator kernel_node_evaluator(const PlanOptions& options, const KernelRegistry& registry, ThreadPool& pool);

// Runs the passes of `level` (0..kMaxOptimizationLevel) on `model` in place;
// constant folding evaluates nodes with kernel_node_evaluator.
Result<PassReport> optimize_model(Model& model, int level, const PlanOptions& options,
                                  const KernelRegistry& registry, ThreadPool& pool);

// The same with run_standard_onnx_passes: the model stays standard ONNX.
Result<PassReport> simplify_model(Model& model, const PlanOptions& options, const KernelRegistry& registry,
                                  ThreadPool& pool);

}  // namespace fastserve
