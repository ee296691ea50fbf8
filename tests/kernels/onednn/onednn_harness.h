// Helpers for the oneDNN kernel tests: run one "onednn" descriptor the ways a
// session can compile it, and compare with the reference kernel.
//
// A node reaches prepare() with its weights as constants (the initializer
// path: primitives built and weights reordered at prepare), with shapes only
// (weights reordered per run), or with a symbolic batch dim (primitives built
// at run, per shape). Each is run twice, to use the cached primitive too.
// The tests skip, printing why, when oneDNN is not built or the host lacks
// AVX2 (the descriptors' required ISA).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"
#include "tests/test_util.h"

namespace fastserve::onednn_test {

// Why oneDNN kernels cannot run here, or "" when they can.
inline std::string skip_reason() {
#ifndef FASTSERVE_HAVE_ONEDNN
  return "built without oneDNN (libdnnl-dev not found, or -DFASTSERVE_ONEDNN=OFF)";
#else
  if (host_isa() < Isa::kAvx2)
    return std::string("oneDNN kernels need avx2; host runs ") + isa_name(host_isa());
  return "";
#endif
}

#define SKIP_WITHOUT_ONEDNN()                                             \
  do {                                                                    \
    const std::string fs_skip_ = ::fastserve::onednn_test::skip_reason(); \
    if (!fs_skip_.empty()) GTEST_SKIP() << fs_skip_;                      \
  } while (0)

enum class CompileView { kConstants, kShapesOnly, kUnknownBatch };

inline const char* view_name(CompileView v) {
  switch (v) {
    case CompileView::kConstants:
      return "inputs constant at prepare";
    case CompileView::kShapesOnly:
      return "shapes only at prepare";
    case CompileView::kUnknownBatch:
      return "input 0 with a symbolic batch at prepare";
  }
  return "?";
}

inline const KernelDesc* find_kernel(const std::string& name) {
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// What prepare() sees of input i in `view` (the run always sees values).
inline TensorInfo compile_info(const Tensor& t, size_t i, CompileView view) {
  if (view == CompileView::kConstants) return TensorInfo::of(t);
  if (view == CompileView::kShapesOnly) return TensorInfo::with_shape(t.dtype(), t.shape());
  if (i != 0) return TensorInfo::of(t);
  Shape s = t.shape();
  if (s.rank() > 0) s[0] = kUnknownDim;
  return TensorInfo::with_shape(t.dtype(), s);
}

// accepts() on the node as compiled in `view`.
inline bool accepts(const KernelDesc& desc, const testing::OpSpec& spec, const std::vector<Tensor>& inputs,
                    CompileView view = CompileView::kConstants) {
  std::vector<TensorInfo> ins(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) ins[i] = compile_info(inputs[i], i, view);
  }
  std::vector<TensorInfo> outs(static_cast<size_t>(spec.num_outputs));
  for (TensorInfo& o : outs) o.present = true;
  const NodeView node("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs);
  return desc.accepts == nullptr || desc.accepts(node);
}

// prepare() in `view`, then `runs` runs on a pool of `threads`; returns the
// outputs of every run.
inline Result<std::vector<std::vector<Tensor>>> run_views(const KernelDesc& desc, const testing::OpSpec& spec,
                                                          const std::vector<Tensor>& inputs, CompileView view,
                                                          int threads, int runs = 2) {
  std::vector<TensorInfo> run_ins(inputs.size()), compile_ins(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    run_ins[i] = TensorInfo::of(inputs[i]);
    compile_ins[i] = compile_info(inputs[i], i, view);
  }
  const OpSchema* schema = find_op_schema(spec.op_type, spec.domain);
  if (schema == nullptr) return internal_error("no schema for " + spec.op_type);
  std::vector<TensorInfo> outs(static_cast<size_t>(spec.num_outputs));
  for (TensorInfo& o : outs) o.present = true;
  const NodeView run_node("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, run_ins, outs);
  FS_RETURN_IF_ERROR(schema->infer(run_node, outs));
  std::vector<TensorInfo> compile_outs = outs;
  if (view == CompileView::kUnknownBatch) {
    for (TensorInfo& o : compile_outs) o = TensorInfo{true};
  }
  const NodeView compile_node("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, compile_ins,
                              compile_outs);
  if (desc.accepts != nullptr && !desc.accepts(compile_node)) {
    return unsupported(std::string(desc.name) + " rejects the node (" + view_name(view) + ")");
  }
  PrepareContext pctx;
  pctx.isa = host_isa();
  pctx.num_threads = threads;
  if (desc.prepare != nullptr) FS_RETURN_IF_ERROR(desc.prepare(compile_node, pctx));
  ThreadPool pool(threads);
  std::vector<const Tensor*> in_ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) in_ptrs[i] = &inputs[i];
  }
  std::vector<std::vector<Tensor>> results;
  for (int r = 0; r < runs; ++r) {
    std::vector<Tensor> ys(outs.size());
    std::vector<Tensor*> out_ptrs(outs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      ys[i] = Tensor::empty(outs[i].dtype, outs[i].shape);
      out_ptrs[i] = &ys[i];
    }
    const KernelContext ctx{run_node, in_ptrs, out_ptrs, pctx.state.get(), &pool};
    FS_RETURN_IF_ERROR(desc.run(ctx));
    results.push_back(std::move(ys));
  }
  return results;
}

// The descriptor `name` against the reference kernel, in every compile view,
// on 1 and 3 threads, twice each; the cached second run must repeat the first
// bit for bit.
inline void expect_matches_reference(const std::string& name, const testing::OpSpec& spec,
                                     const std::vector<Tensor>& inputs, double atol, double rtol = 1e-4) {
  const KernelDesc* desc = find_kernel(name);
  ASSERT_NE(desc, nullptr) << name << " is not registered";
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  ASSERT_NE(ref, nullptr);
  Result<std::vector<Tensor>> expected = testing::run_kernel(*ref, spec, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  for (CompileView view : {CompileView::kConstants, CompileView::kShapesOnly, CompileView::kUnknownBatch}) {
    for (int threads : {1, 3}) {
      SCOPED_TRACE(std::string(view_name(view)) + ", " + std::to_string(threads) + " threads");
      Result<std::vector<std::vector<Tensor>>> runs = run_views(*desc, spec, inputs, view, threads);
      ASSERT_TRUE(runs.ok()) << runs.status().to_string();
      for (size_t o = 0; o < expected->size(); ++o) {
        EXPECT_TRUE(testing::tensors_near((*runs)[0][o], (*expected)[o], atol, rtol))
            << name << " output " << o;
        EXPECT_TRUE(testing::tensors_near((*runs)[1][o], (*runs)[0][o], 0, 0))
            << name << ": second run differs";
      }
    }
  }
}

}  // namespace fastserve::onednn_test
