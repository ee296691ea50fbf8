// Helpers for the elementwise-family kernel tests (tests/kernels/{ref,cpu}/
// {binary,unary,softmax,cast,reduce,identity}_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
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

// Numpy broadcasting written out for the tests (independent of
// graph/shape_utils): the common shape of `shapes` (they must broadcast), and
// the flat offset in an input of shape `in` that output element i reads.
inline Shape broadcast_all(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.rank());
  std::vector<int64_t> dims(rank, 1);
  for (const Shape& s : shapes) {
    for (size_t k = 0; k < s.rank(); ++k) {
      int64_t& d = dims[rank - s.rank() + k];
      if (s[k] != 1) d = s[k];
    }
  }
  return Shape(dims);
}
inline int64_t broadcast_offset(const Shape& out, const Shape& in, int64_t i) {
  int64_t offset = 0, stride = 1;
  for (size_t d = out.rank(); d-- > 0;) {
    const int64_t idx = i % out[d];
    i /= out[d];
    if (d + in.rank() >= out.rank()) {
      const int64_t n = in[d + in.rank() - out.rank()];
      offset += (n == 1 ? 0 : idx) * stride;
      stride *= n;
    }
  }
  return offset;
}

// A float tensor's values as f32 (exact for f16 and bf16).
inline Tensor as_f32(const Tensor& t) {
  Tensor y = Tensor::empty(DType::kF32, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) y.data<float>()[i] = static_cast<float>(t.element_as_double(i));
  return y;
}
// f32 values stored as `dt` (f32, f16 or bf16), rounding to nearest even.
inline Tensor f32_as(const Tensor& t, DType dt) {
  Tensor y = Tensor::empty(dt, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t.data<float>()[i];
    if (dt == DType::kF32) y.data<float>()[i] = v;
    if (dt == DType::kF16) y.data<Half>()[i].bits = float_to_half(v);
    if (dt == DType::kBF16) y.data<BFloat16>()[i].bits = float_to_bf16(v);
  }
  return y;
}
// Same dtype, shape and bytes (exact for 64-bit integers, which
// tensors_near compares through double).
inline ::testing::AssertionResult same_bits(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "got " << actual.to_string() << ", expected " << expected.to_string();
  }
  const size_t w = dtype_size(expected.dtype());
  const auto* a = static_cast<const unsigned char*>(actual.raw_data());
  const auto* e = static_cast<const unsigned char*>(expected.raw_data());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (std::memcmp(a + i * w, e + i * w, w) != 0) {
      return ::testing::AssertionFailure()
             << "element " << i << " differs: got " << actual.element_as_int64(i) << ", expected "
             << expected.element_as_int64(i);
    }
  }
  return ::testing::AssertionSuccess();
}

inline Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }
inline Tensor f32(std::vector<float> v) { return Tensor::from_vector<float>(v); }

// Sizes that hit vector tails (SSE 4, AVX2 8, AVX-512 16 lanes, unroll 32)
// and the threading split.
inline const std::vector<int64_t> kTailSizes = {1, 7, 15, 16, 17, 33, 1000, 4099};

}  // namespace fastserve::testing::ew
