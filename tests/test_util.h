// Test helpers shared by every suite: random tensors with fixed seeds,
// tolerant comparison, and harnesses that run one op through one kernel
// descriptor or through a full Session.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fastserve/attribute.h"
#include "fastserve/session.h"
#include "runtime/kernel_registry.h"

namespace fastserve::testing {

// Path of the repo root (set by CMake as FASTSERVE_SOURCE_DIR).
std::string source_path(const std::string& relative);

// Uniform random values in [lo, hi) for float types; integers in [lo, hi].
Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng, double lo = -1.0, double hi = 1.0);
inline Tensor random_f32(Shape shape, std::mt19937& rng, double lo = -1.0, double hi = 1.0) {
  return random_tensor(DType::kF32, std::move(shape), rng, lo, hi);
}

// Attribute builders.
Attribute attr_int(const std::string& name, int64_t v);
Attribute attr_float(const std::string& name, float v);
Attribute attr_string(const std::string& name, const std::string& v);
Attribute attr_ints(const std::string& name, std::vector<int64_t> v);
Attribute attr_floats(const std::string& name, std::vector<float> v);
Attribute attr_tensor(const std::string& name, Tensor t);

// One node to run in isolation. Inputs that are undefined Tensors are
// treated as omitted optional inputs.
struct OpSpec {
  std::string op_type;
  int64_t opset = 17;
  std::vector<Attribute> attrs;
  int num_outputs = 1;
  std::string domain;
};

// Runs `desc` on the inputs: infers output shapes (op schema), allocates,
// prepare(), run(). Error if the op's infer or the kernel fails.
Result<std::vector<Tensor>> run_kernel(const KernelDesc& desc, const OpSpec& spec,
                                       const std::vector<Tensor>& inputs, int num_threads = 2);
// Descriptors for this node (from the global registry) that the host ISA can
// run and whose accepts() takes the node; reference ones included. Our
// kernels only (provider "fastserve"): tests/kernels/onednn covers oneDNN's.
std::vector<const KernelDesc*> runnable_kernels(const OpSpec& spec, const std::vector<Tensor>& inputs);
// The reference (priority 0) descriptor for the node; fails the test if none.
const KernelDesc* reference_kernel(const OpSpec& spec, const std::vector<Tensor>& inputs);
// Runs every runnable non-reference descriptor and checks it against the
// reference descriptor's output; returns how many were compared (so a test
// can assert that an optimized kernel was actually exercised).
int expect_kernels_match_reference(const OpSpec& spec, const std::vector<Tensor>& inputs,
                                   double atol = 1e-5, double rtol = 1e-4);

// Builds a one-node Model (inputs named in0.., outputs out0..; inputs whose
// Tensor is marked constant via `constant_inputs` become initializers) and
// runs it through Session.
Result<std::vector<Tensor>> run_op_in_session(const OpSpec& spec, const std::vector<Tensor>& inputs,
                                              const SessionOptions& options = {},
                                              const std::vector<bool>& constant_inputs = {});

// Element-wise |a-e| <= atol + rtol*|e| with dtype and shape equal. Reports
// the first mismatches and the max abs / rel error.
::testing::AssertionResult tensors_near(const Tensor& actual, const Tensor& expected,
                                        double atol = 1e-5, double rtol = 1e-4);
// Max abs and max rel error (for reporting model accuracy).
struct ErrorStats { double max_abs = 0, max_rel = 0; };
ErrorStats error_stats(const Tensor& actual, const Tensor& expected);

}  // namespace fastserve::testing
