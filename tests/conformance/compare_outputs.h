// Output comparison with the ONNX backend test suite's rules: the dtype and
// the shape must match exactly; floating-point values must satisfy numpy's
// assert_allclose (|actual - expected| <= atol + rtol * |expected|, NaN equal
// to NaN, infinities equal only to themselves); everything else must be equal
// (float8 and float4 code for code, NaN codes matching each other; sub-byte
// integers as their unpacked stored bytes).
#pragma once

#include <string>

#include "fastserve/tensor.h"

namespace fastserve::conformance {

struct Tolerance {
  double rtol = 1e-3;  // the suite's defaults (onnx/backend/test/runner)
  double atol = 1e-7;
};

// "" when `actual` matches `expected`; otherwise what differs, e.g.
// "dtype float32, expected int64" or "3 of 24 values differ; max abs err
// 0.5 at [7] (got 1.5, expected 1)".
std::string compare_outputs(const Tensor& expected, const Tensor& actual, const Tolerance& tol);

}  // namespace fastserve::conformance
