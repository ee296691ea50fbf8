// Shared test harness: random tensors, tolerant comparison, and runners for
// one op through one descriptor (kernel tests) or through a Session.
#include "tests/test_util.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <string_view>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"

#ifndef FASTSERVE_SOURCE_DIR
#error "FASTSERVE_SOURCE_DIR must be defined by the build (tests/CMakeLists.txt)"
#endif

namespace fastserve::testing {
namespace {

template <typename T>
void fill_int(Tensor& t, std::mt19937& rng, double lo, double hi) {
  // Clamp the requested range to what T can hold (e.g. [-1, 1] -> [0, 1] for unsigned).
  const double tmin = static_cast<double>(std::numeric_limits<T>::lowest());
  const double tmax = std::min(static_cast<double>(std::numeric_limits<T>::max()), 9.0e18);
  const int64_t a = static_cast<int64_t>(std::ceil(std::clamp(lo, tmin, tmax)));
  const int64_t b = static_cast<int64_t>(std::floor(std::clamp(hi, tmin, tmax)));
  FS_CHECK_MSG(a <= b, "random_tensor: empty integer range");
  std::uniform_int_distribution<int64_t> dist(a, b);
  T* d = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = static_cast<T>(dist(rng));
}

// Values of input i as a plain list of TensorInfos for a NodeView; omitted
// (undefined) tensors become absent optional inputs.
std::vector<TensorInfo> input_infos(const std::vector<Tensor>& inputs) {
  std::vector<TensorInfo> infos(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) infos[i] = TensorInfo::of(inputs[i]);
  }
  return infos;
}

DType first_input_dtype(const std::vector<Tensor>& inputs) {
  return !inputs.empty() && inputs[0].defined() ? inputs[0].dtype() : DType::kUndefined;
}

// Output infos from the op's infer function on concrete inputs.
Result<std::vector<TensorInfo>> infer_outputs(const OpSpec& spec, const std::vector<TensorInfo>& ins) {
  const OpSchema* schema = find_op_schema(spec.op_type, spec.domain);
  if (schema == nullptr) return unsupported("no op schema for '" + spec.op_type + "'");
  std::vector<TensorInfo> outs(static_cast<size_t>(spec.num_outputs));
  for (TensorInfo& o : outs) o.present = true;
  const NodeView view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs);
  FS_RETURN_IF_ERROR(schema->infer(view, outs));
  for (size_t i = 0; i < outs.size(); ++i) {
    if (outs[i].dtype == DType::kUndefined || !outs[i].shape_known || !outs[i].shape.is_static()) {
      return internal_error(view.describe() + ": infer left output " + std::to_string(i) +
                            " without a concrete dtype/shape");
    }
  }
  return outs;
}

std::string index_string(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.rank());
  for (size_t d = shape.rank(); d-- > 0;) {
    const int64_t n = std::max<int64_t>(shape[d], 1);
    idx[d] = flat % n;
    flat /= n;
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? "," : "") + std::to_string(idx[d]);
  return s + "]";
}

double value_at(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kF32) return t.data<float>()[i];  // fast path for big float tensors
  return t.element_as_double(i);
}

}  // namespace

std::string source_path(const std::string& relative) {
  return std::string(FASTSERVE_SOURCE_DIR) + "/" + relative;
}

Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::empty(dtype, std::move(shape));
  const int64_t n = t.numel();
  std::uniform_real_distribution<double> real(lo, hi);
  switch (dtype) {
    case DType::kF32: {
      float* d = t.data<float>();
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(real(rng));
      break;
    }
    case DType::kF64: {
      double* d = t.data<double>();
      for (int64_t i = 0; i < n; ++i) d[i] = real(rng);
      break;
    }
    case DType::kF16: {
      Half* d = t.data<Half>();
      for (int64_t i = 0; i < n; ++i) d[i].bits = float_to_half(static_cast<float>(real(rng)));
      break;
    }
    case DType::kBF16: {
      BFloat16* d = t.data<BFloat16>();
      for (int64_t i = 0; i < n; ++i) d[i].bits = float_to_bf16(static_cast<float>(real(rng)));
      break;
    }
    case DType::kBool: {
      std::bernoulli_distribution coin(0.5);
      bool* d = t.data<bool>();
      for (int64_t i = 0; i < n; ++i) d[i] = coin(rng);
      break;
    }
    case DType::kU8: fill_int<uint8_t>(t, rng, lo, hi); break;
    case DType::kI8: fill_int<int8_t>(t, rng, lo, hi); break;
    case DType::kU16: fill_int<uint16_t>(t, rng, lo, hi); break;
    case DType::kI16: fill_int<int16_t>(t, rng, lo, hi); break;
    case DType::kI32: fill_int<int32_t>(t, rng, lo, hi); break;
    case DType::kI64: fill_int<int64_t>(t, rng, lo, hi); break;
    case DType::kU32: fill_int<uint32_t>(t, rng, lo, hi); break;
    case DType::kU64: fill_int<uint64_t>(t, rng, lo, hi); break;
    default: FS_CHECK_MSG(false, "random_tensor: dtype has no numeric values");
  }
  return t;
}

Attribute attr_int(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute attr_float(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
Attribute attr_string(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kString;
  a.s = v;
  return a;
}
Attribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute attr_floats(const std::string& name, std::vector<float> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
Attribute attr_tensor(const std::string& name, Tensor t) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kTensor;
  a.t = std::move(t);
  return a;
}

Result<std::vector<Tensor>> run_kernel(const KernelDesc& desc, const OpSpec& spec, const std::vector<Tensor>& inputs,
                                       int num_threads) {
  // Every input carries its value, so prepare() sees them as constants (the
  // initializer path: weights get prepacked as in a real model).
  const std::vector<TensorInfo> ins = input_infos(inputs);
  FS_ASSIGN_OR_RETURN(std::vector<TensorInfo> outs, infer_outputs(spec, ins));
  const NodeView view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs);

  PrepareContext pctx;
  pctx.isa = host_isa();
  pctx.num_threads = num_threads;
  if (desc.prepare != nullptr) FS_RETURN_IF_ERROR(desc.prepare(view, pctx));

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
  const KernelContext ctx{view, in_ptrs, out_ptrs, pctx.state.get(), &pool};
  FS_RETURN_IF_ERROR(desc.run(ctx));
  return results;
}

namespace {

std::vector<const KernelDesc*> runnable(const OpSpec& spec, const std::vector<Tensor>& inputs, bool announce) {
  const std::vector<TensorInfo> ins = input_infos(inputs);
  Result<std::vector<TensorInfo>> outs = infer_outputs(spec, ins);
  if (!outs.ok()) {
    ADD_FAILURE() << spec.op_type << ": " << outs.status().to_string();
    return {};
  }
  const NodeView view("node0", spec.op_type, spec.domain, spec.opset, &spec.attrs, ins, outs.value());
  std::vector<const KernelDesc*> out;
  for (const KernelDesc* d : KernelRegistry::global().candidates(spec.op_type, spec.domain, spec.opset,
                                                                Device::kCpu, first_input_dtype(inputs))) {
    // Our kernels only: oneDNN's descriptors (provider "onednn") have their
    // own suite, tests/kernels/onednn, and differ from ONNX at the edges
    // these suites probe (its Relu maps NaN to 0).
    if (std::string_view(d->provider) != kProviderFastServe) continue;
    if (d->required_isa > host_isa()) {
      if (!announce) continue;
      // Variants the host cannot run are skipped, with a message (XNNPACK's practice).
      std::cout << "[ SKIPPED  ] " << d->name << ": needs " << isa_name(d->required_isa) << ", host runs "
                << isa_name(host_isa()) << "\n";
      continue;
    }
    if (d->accepts != nullptr && !d->accepts(view)) continue;
    out.push_back(d);
  }
  return out;
}

}  // namespace

std::vector<const KernelDesc*> runnable_kernels(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  return runnable(spec, inputs, /*announce=*/true);
}

const KernelDesc* reference_kernel(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  for (const KernelDesc* d : runnable(spec, inputs, /*announce=*/false)) {
    if (d->priority == 0) return d;
  }
  ADD_FAILURE() << "no reference kernel for " << spec.op_type << " (opset " << spec.opset << ", input dtype "
                << dtype_name(first_input_dtype(inputs)) << ")";
  return nullptr;
}

int expect_kernels_match_reference(const OpSpec& spec, const std::vector<Tensor>& inputs, double atol, double rtol) {
  const KernelDesc* ref = reference_kernel(spec, inputs);
  if (ref == nullptr) return 0;
  Result<std::vector<Tensor>> expected = run_kernel(*ref, spec, inputs);
  if (!expected.ok()) {
    ADD_FAILURE() << ref->name << ": " << expected.status().to_string();
    return 0;
  }
  int compared = 0;
  for (const KernelDesc* d : runnable_kernels(spec, inputs)) {
    if (d == ref || d->priority == 0) continue;
    Result<std::vector<Tensor>> actual = run_kernel(*d, spec, inputs);
    EXPECT_TRUE(actual.ok()) << d->name << ": " << actual.status().to_string();
    if (!actual.ok()) continue;
    EXPECT_EQ(actual->size(), expected->size()) << d->name;
    for (size_t i = 0; i < std::min(actual->size(), expected->size()); ++i) {
      EXPECT_TRUE(tensors_near((*actual)[i], (*expected)[i], atol, rtol))
          << d->name << " vs " << ref->name << ", output " << i;
    }
    ++compared;
  }
  return compared;
}

Result<std::vector<Tensor>> run_op_in_session(const OpSpec& spec, const std::vector<Tensor>& inputs,
                                              const SessionOptions& options,
                                              const std::vector<bool>& constant_inputs) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = spec.opset;
  if (!spec.domain.empty()) model->opsets[spec.domain] = spec.opset;
  Graph& g = model->graph;
  g.name = "run_op_in_session";
  Node node;
  node.name = "node0";
  node.op_type = spec.op_type;
  node.domain = spec.domain;
  node.attributes = spec.attrs;
  std::vector<NamedTensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    Value v;
    v.name = "in" + std::to_string(i);
    v.dtype = inputs[i].dtype();
    v.shape_known = true;
    v.shape = inputs[i].shape();
    const bool constant = i < constant_inputs.size() && constant_inputs[i];
    if (constant) v.initializer = inputs[i];
    const ValueId id = g.add_value(std::move(v));
    node.inputs.push_back(id);
    if (!constant) {
      g.inputs.push_back(id);
      feeds.push_back({"in" + std::to_string(i), inputs[i]});
    }
  }
  for (int i = 0; i < spec.num_outputs; ++i) {
    Value v;
    v.name = "out" + std::to_string(i);
    const ValueId id = g.add_value(std::move(v));
    node.outputs.push_back(id);
    g.outputs.push_back(id);
  }
  g.nodes.push_back(std::move(node));
  g.reindex();
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(model, options));
  FS_ASSIGN_OR_RETURN(std::vector<NamedTensor> outs, session->run(feeds));
  std::vector<Tensor> result;
  for (NamedTensor& o : outs) result.push_back(std::move(o.tensor));
  return result;
}

::testing::AssertionResult tensors_near(const Tensor& actual, const Tensor& expected, double atol, double rtol) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "got " << actual.to_string() << ", expected " << expected.to_string();
  }
  const int64_t n = expected.numel();
  int64_t mismatches = 0;
  double max_abs = 0, max_rel = 0;
  std::ostringstream first;
  for (int64_t i = 0; i < n; ++i) {
    const double a = value_at(actual, i), e = value_at(expected, i);
    bool ok;
    double diff;
    if (std::isnan(a) || std::isnan(e)) {
      ok = std::isnan(a) && std::isnan(e);
      diff = ok ? 0 : std::numeric_limits<double>::infinity();
    } else if (std::isinf(a) || std::isinf(e)) {
      ok = a == e;
      diff = ok ? 0 : std::numeric_limits<double>::infinity();
    } else {
      diff = std::fabs(a - e);
      ok = diff <= atol + rtol * std::fabs(e);
    }
    max_abs = std::max(max_abs, diff);
    if (e != 0 && !std::isnan(e)) max_rel = std::max(max_rel, diff / std::fabs(e));
    if (ok) continue;
    if (mismatches < 5) {
      first << "\n  at " << index_string(expected.shape(), i) << ": got " << a << ", expected " << e
            << " (diff " << diff << ")";
    }
    ++mismatches;
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << mismatches << " of " << n << " elements of " << expected.to_string()
                                       << " differ (atol " << atol << ", rtol " << rtol << "); max abs error "
                                       << max_abs << ", max rel error " << max_rel << first.str();
}

ErrorStats error_stats(const Tensor& actual, const Tensor& expected) {
  FS_CHECK_MSG(actual.numel() == expected.numel(), "error_stats: element counts differ");
  ErrorStats s;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double a = value_at(actual, i), e = value_at(expected, i);
    const double diff = std::fabs(a - e);
    if (std::isnan(diff)) {
      if (std::isnan(a) != std::isnan(e)) s.max_abs = s.max_rel = std::numeric_limits<double>::infinity();
      continue;
    }
    s.max_abs = std::max(s.max_abs, diff);
    if (e != 0) s.max_rel = std::max(s.max_rel, diff / std::fabs(e));
  }
  return s;
}

}  // namespace fastserve::testing
