// Helpers for the elementwise-family kernel tests (tests/kernels/{ref,cpu}/
// {binary,unary,softmax,cast,reduce,identity}_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "tests/test_util.h"

namespace fastserve::testing::ew {

// Runs the op through its reference (priority 0) descriptor; fails the test
// and returns no tensors when it errors.
inline std::vector<Tensor> run_ref(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = reference_kernel(spec, inputs);
  if (ref == nullptr) return {};
  Result<std::vector<Tensor>> r = run_kernel(*ref, spec, inputs);
  EXPECT_TRUE(r.ok()) << ref->name << ": " << r.status().to_string();
  if (!r.ok()) return {};
  return std::move(r).value();
}

// The reference's error for inputs it must reject (OK when it did not fail).
// Runs after shape inference, like a session.
inline Status ref_status(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = reference_kernel(spec, inputs);
  if (ref == nullptr) return internal_error("no reference kernel");
  Result<std::vector<Tensor>> r = run_kernel(*ref, spec, inputs);
  return r.ok() ? ok_status() : r.status();
}

// Runs the reference descriptor directly into `outputs` (dtypes and shapes
// chosen by the test), skipping shape inference: checks the kernel's own
// validation of inputs that inference would already have refused.
inline Status run_ref_without_inference(const OpSpec& spec, const std::vector<Tensor>& inputs,
                                        std::vector<Tensor>& outputs) {
  const KernelDesc* ref = nullptr;
  for (const KernelDesc* d : KernelRegistry::global().candidates(spec.op_type, spec.domain, spec.opset,
                                                                 Device::kCpu, inputs.at(0).dtype())) {
    if (d->priority == 0) ref = d;
  }
  if (ref == nullptr) return internal_error("no reference kernel for " + spec.op_type);
  std::vector<TensorInfo> ins(inputs.size()), outs(outputs.size());
  std::vector<const Tensor*> in_ptrs(inputs.size(), nullptr);
  std::vector<Tensor*> out_ptrs(outputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    ins[i] = TensorInfo::of(inputs[i]);
    in_ptrs[i] = &inputs[i];
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    outs[i] = TensorInfo::with_shape(outputs[i].dtype(), outputs[i].shape());
    out_ptrs[i] = &outputs[i];
  }
  const NodeView view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs);
  PrepareContext pctx;
  if (ref->prepare != nullptr) FS_RETURN_IF_ERROR(ref->prepare(view, pctx));
  ThreadPool pool(1);
  const KernelContext ctx{view, in_ptrs, out_ptrs, pctx.state.get(), &pool};
  return ref->run(ctx);
}

inline Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }
inline Tensor f32(std::vector<float> v) { return Tensor::from_vector<float>(v); }

// Sizes that hit vector tails (SSE 4, AVX2 8, AVX-512 16 lanes, unroll 32)
// and the threading split.
inline const std::vector<int64_t> kTailSizes = {1, 7, 15, 16, 17, 33, 1000, 4099};

}  // namespace fastserve::testing::ew
