// Helpers for the data-movement op tests (tests/kernels/{ref,cpu}/): run the
// reference kernel, and compare tensors bit for bit (these ops move bytes, so
// anything short of an exact copy is a bug, whatever the dtype).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fastserve::testing {

// Runs the op through its reference (priority 0) descriptor. Unlike
// reference_kernel(), the lookup does not run shape inference, so inputs that
// inference rejects come back as the error Status (tests of error messages).
inline Result<std::vector<Tensor>> run_reference(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const DType dtype = !inputs.empty() && inputs[0].defined() ? inputs[0].dtype() : DType::kUndefined;
  for (const KernelDesc* d :
       KernelRegistry::global().candidates(spec.op_type, spec.domain, spec.opset, Device::kCpu, dtype)) {
    if (d->priority == 0) return run_kernel(*d, spec, inputs);
  }
  ADD_FAILURE() << "no reference kernel for " << spec.op_type << " opset " << spec.opset;
  return internal_error("no reference kernel for " + spec.op_type);
}

// Same dtype, same shape, same bytes.
inline ::testing::AssertionResult same_bytes(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "got " << actual.to_string() << ", expected " << expected.to_string();
  }
  const size_t es = dtype_size(expected.dtype());
  const auto* a = static_cast<const uint8_t*>(actual.raw_data());
  const auto* e = static_cast<const uint8_t*>(expected.raw_data());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (std::memcmp(a + static_cast<size_t>(i) * es, e + static_cast<size_t>(i) * es, es) != 0) {
      return ::testing::AssertionFailure() << "element " << i << " differs: got " << actual.element_as_double(i)
                                           << ", expected " << expected.element_as_double(i) << " ("
                                           << expected.to_string() << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Shorthands for small literal tensors.
inline Tensor i64s(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(v); }
inline Tensor i64s(std::vector<int64_t> v, Shape s) { return Tensor::from_vector<int64_t>(v, std::move(s)); }
inline Tensor f32s(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }

// 0, 1, 2, ... as float32 of the given shape (element i holds i).
inline Tensor iota_f32(Shape s) {
  Tensor t = Tensor::empty(DType::kF32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

// The float values of a tensor (for EXPECT_EQ against a literal list).
inline std::vector<double> values(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.element_as_double(i);
  return v;
}

}  // namespace fastserve::testing
