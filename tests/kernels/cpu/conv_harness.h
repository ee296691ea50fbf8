// Helpers for the CPU conv kernel tests: run one conv descriptor by name on
// chosen inputs and thread count (bypassing accepts(), to force an
// algorithm), optionally with the output sharing Z's memory, and compare
// with the reference relative to the output's range.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"
#include "tests/test_util.h"

namespace fastserve::conv_test {

// The descriptor registered under `name`, or null.
inline const KernelDesc* find_kernel(std::string_view name) {
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// Descriptors of op `op_type` whose name contains `part` and that the host can
// run; the others are skipped with a message. Fails the test if none exists.
inline std::vector<const KernelDesc*> host_kernels(std::string_view op_type, std::string_view part) {
  std::vector<const KernelDesc*> out;
  bool any = false;
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    if (op_type != d.op_type || std::string_view(d.name).find(part) == std::string_view::npos || d.priority == 0) {
      continue;
    }
    any = true;
    if (d.required_isa > host_isa()) {
      std::cout << "[ SKIPPED  ] " << d.name << ": needs " << isa_name(d.required_isa) << ", host runs "
                << isa_name(host_isa()) << "\n";
      continue;
    }
    out.push_back(&d);
  }
  EXPECT_TRUE(any) << "no " << op_type << " kernel named *" << part << "*";
  return out;
}

// Runs desc (prepare with every input constant, then run) with `threads`
// threads. With alias_z, the output tensor is a copy of input 3 (Z) and Z is
// passed as that same tensor, as a memory planner that reuses Z's buffer for
// Y would.
inline Result<Tensor> run_conv_kernel(const KernelDesc& desc, const testing::OpSpec& spec,
                                      const std::vector<Tensor>& inputs, int threads, bool alias_z = false) {
  std::vector<TensorInfo> ins(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) ins[i] = TensorInfo::of(inputs[i]);
  }
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const OpSchema* schema = find_op_schema(spec.op_type, spec.domain);
  if (schema == nullptr) return internal_error("no schema for " + spec.op_type);
  const NodeView view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs);
  FS_RETURN_IF_ERROR(schema->infer(view, outs));
  PrepareContext pctx;
  pctx.isa = host_isa();
  pctx.num_threads = threads;
  if (desc.prepare != nullptr) FS_RETURN_IF_ERROR(desc.prepare(view, pctx));
  Tensor y = alias_z ? inputs.at(3).clone() : Tensor::empty(outs[0].dtype, outs[0].shape);
  std::vector<const Tensor*> in_ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) in_ptrs[i] = &inputs[i];
  }
  if (alias_z) in_ptrs[3] = &y;
  Tensor* out_ptr = &y;
  ThreadPool pool(threads);
  const KernelContext ctx{view, in_ptrs, std::span<Tensor* const>(&out_ptr, 1), pctx.state.get(), &pool};
  FS_RETURN_IF_ERROR(desc.run(ctx));
  return y;
}

// |actual - expected| <= rel * (max - min of expected) everywhere (the
// accuracy contract of the conv kernels; Winograd is the loosest).
inline ::testing::AssertionResult near_in_range(const Tensor& actual, const Tensor& expected, double rel = 1e-4) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << actual.to_string() << " vs " << expected.to_string();
  }
  const float* a = actual.data<float>();
  const float* e = expected.data<float>();
  float lo = e[0], hi = e[0];
  for (int64_t i = 0; i < expected.numel(); ++i) {
    lo = std::min(lo, e[i]);
    hi = std::max(hi, e[i]);
  }
  const double tol = rel * std::max(1e-3, static_cast<double>(hi) - lo);
  double worst = 0;
  int64_t worst_at = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - e[i]);
    if (!(d <= worst)) {  // also catches NaN
      worst = std::isnan(d) ? INFINITY : d;
      worst_at = i;
    }
  }
  if (worst <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max error " << worst << " at flat index " << worst_at << " (got "
                                       << a[worst_at] << ", expected " << e[worst_at] << "), tolerance " << tol
                                       << " = " << rel << " x output range " << (hi - lo);
}

// The reference output for the node.
inline Tensor reference_output(const testing::OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return Tensor();
  auto out = testing::run_kernel(*ref, spec, inputs, 1);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

// Runs desc and compares with the reference; returns false on a failure.
inline bool expect_matches_reference(const KernelDesc& desc, const testing::OpSpec& spec,
                                     const std::vector<Tensor>& inputs, int threads, const Tensor& expected,
                                     bool alias_z = false, double rel = 1e-4) {
  auto got = run_conv_kernel(desc, spec, inputs, threads, alias_z);
  EXPECT_TRUE(got.ok()) << desc.name << ": " << got.status().to_string();
  if (!got.ok()) return false;
  const ::testing::AssertionResult r = near_in_range(*got, expected, rel);
  EXPECT_TRUE(r) << desc.name << " threads=" << threads << (alias_z ? " (Y aliases Z)" : "");
  return static_cast<bool>(r);
}

}  // namespace fastserve::conv_test
