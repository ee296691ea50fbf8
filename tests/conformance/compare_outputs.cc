#include "tests/conformance/compare_outputs.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace fastserve::conformance {
namespace {

bool close(double e, double a, const Tolerance& tol) {
  if (std::isnan(e) || std::isnan(a)) return std::isnan(e) && std::isnan(a);
  if (std::isinf(e) || std::isinf(a)) return e == a;
  return std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e);
}

// float8 / float4 are compared exactly, code for code (a tolerance would
// hide a rounding error of one step, which is all a wrong Cast makes),
// except that any NaN code matches any other.
bool is_float8_or_float4(DType t) {
  switch (t) {
    case DType::kF8E4M3FN:
    case DType::kF8E4M3FNUZ:
    case DType::kF8E5M2:
    case DType::kF8E5M2FNUZ:
    case DType::kF8E8M0:
    case DType::kF4E2M1:
      return true;
    default:
      return false;
  }
}

std::string fmt(double v) {
  std::ostringstream o;
  o.precision(9);
  o << v;
  return o.str();
}

}  // namespace

std::string compare_outputs(const Tensor& expected, const Tensor& actual, const Tolerance& tol) {
  if (expected.dtype() != actual.dtype()) {
    return std::string("dtype ") + dtype_name(actual.dtype()) + ", expected " + dtype_name(expected.dtype());
  }
  if (expected.shape() != actual.shape()) {
    return "shape " + actual.shape().to_string() + ", expected " + expected.shape().to_string();
  }
  const int64_t n = expected.numel();
  const bool is_float = dtype_is_float(expected.dtype());
  const bool is_minifloat = is_float8_or_float4(expected.dtype());
  int64_t bad = 0, worst = -1;
  double worst_err = -1;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    double err = 0;
    if (is_float) {
      const double e = expected.element_as_double(i), a = actual.element_as_double(i);
      ok = close(e, a, tol);
      err = (std::isfinite(e) && std::isfinite(a)) ? std::fabs(a - e) : INFINITY;
    } else {
      const size_t w = dtype_size(expected.dtype());
      ok = std::memcmp(static_cast<const char*>(expected.raw_data()) + i * w,
                       static_cast<const char*>(actual.raw_data()) + i * w, w) == 0;
      if (!ok && is_minifloat)
        ok = std::isnan(expected.element_as_double(i)) && std::isnan(actual.element_as_double(i));
      err = ok ? 0 : 1;
    }
    if (!ok) {
      ++bad;
      if (err > worst_err) worst_err = err, worst = i;
    }
  }
  if (bad == 0) return "";
  std::ostringstream o;
  o << bad << " of " << n << " values differ; ";
  if (is_float) {
    o << "max abs err " << fmt(worst_err) << " at [" << worst << "] (got " << fmt(actual.element_as_double(worst))
      << ", expected " << fmt(expected.element_as_double(worst)) << ")";
  } else if (is_minifloat) {
    const auto code = [&](const Tensor& t) {
      return static_cast<int>(static_cast<const uint8_t*>(t.raw_data())[worst]);
    };
    o << "first at [" << worst << "] (got " << fmt(actual.element_as_double(worst)) << " = code "
      << code(actual) << ", expected " << fmt(expected.element_as_double(worst)) << " = code "
      << code(expected) << ")";
  } else {
    o << "first at [" << worst << "] (got " << actual.element_as_int64(worst) << ", expected "
      << expected.element_as_int64(worst) << ")";
  }
  return o.str();
}

}  // namespace fastserve::conformance
