// Helpers for the CPU nn kernel tests.
//
// testing::run_kernel presents every input to prepare() as a constant (the
// initializer path, where weights get prepacked). run_kernel_dynamic below
// presents them as run-time values (shape only at prepare), so tests also
// cover the path where the GEMM engine packs weights on every run.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"
#include "tests/test_util.h"

namespace fastserve::nn_test {

inline Result<std::vector<Tensor>> run_kernel_dynamic(const KernelDesc& desc, const testing::OpSpec& spec,
                                                      const std::vector<Tensor>& inputs, int num_threads = 2) {
  std::vector<TensorInfo> shapes(inputs.size()), values(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    values[i] = TensorInfo::of(inputs[i]);
    shapes[i] = TensorInfo::with_shape(inputs[i].dtype(), inputs[i].shape());
  }
  std::vector<TensorInfo> outs(static_cast<size_t>(spec.num_outputs));
  for (TensorInfo& o : outs) o.present = true;
  const OpSchema* schema = find_op_schema(spec.op_type, spec.domain);
  if (schema == nullptr) return internal_error("no schema for " + spec.op_type);
  const NodeView run_view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, values, outs);
  FS_RETURN_IF_ERROR(schema->infer(run_view, outs));
  const NodeView compile_view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, shapes, outs);
  if (desc.accepts != nullptr && !desc.accepts(compile_view)) return unsupported(std::string(desc.name) + " rejects the node");
  PrepareContext pctx;
  pctx.isa = host_isa();
  pctx.num_threads = num_threads;
  if (desc.prepare != nullptr) FS_RETURN_IF_ERROR(desc.prepare(compile_view, pctx));
  std::vector<Tensor> results(outs.size());
  std::vector<Tensor*> out_ptrs(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    results[i] = Tensor::empty(outs[i].dtype, outs[i].shape);
    out_ptrs[i] = &results[i];
  }
  std::vector<const Tensor*> in_ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) in_ptrs[i] = &inputs[i];
  }
  ThreadPool pool(num_threads);
  const KernelContext ctx{run_view, in_ptrs, out_ptrs, pctx.state.get(), &pool};
  FS_RETURN_IF_ERROR(desc.run(ctx));
  return results;
}

// Compares every optimized descriptor the host can run (with all inputs as
// run-time values) against the reference; returns how many were compared.
inline int expect_dynamic_kernels_match_reference(const testing::OpSpec& spec, const std::vector<Tensor>& inputs,
                                                  double atol, double rtol) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return 0;
  auto expected = testing::run_kernel(*ref, spec, inputs);
  if (!expected.ok()) {
    ADD_FAILURE() << expected.status().to_string();
    return 0;
  }
  int compared = 0;
  for (const KernelDesc* d : testing::runnable_kernels(spec, inputs)) {
    if (d->priority == 0) continue;
    auto actual = run_kernel_dynamic(*d, spec, inputs);
    if (!actual.ok() && actual.status().code() == StatusCode::kUnsupported) continue;  // needs constant weights
    EXPECT_TRUE(actual.ok()) << d->name << ": " << actual.status().to_string();
    if (!actual.ok()) continue;
    EXPECT_TRUE(testing::tensors_near((*actual)[0], (*expected)[0], atol, rtol)) << d->name << " (dynamic inputs)";
    ++compared;
  }
  return compared;
}

// atol for a sum of k products of values in [-1, 1].
inline double sum_atol(int64_t k) { return 1e-4 * std::sqrt(static_cast<double>(std::max<int64_t>(k, 1))); }

}  // namespace fastserve::nn_test
