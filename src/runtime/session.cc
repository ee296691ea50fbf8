// Session: options parsing plus ownership of one ExecutionPlan and one
// ThreadPool. Graph passes live in optimize_model.cc, compilation and
// execution in compile_plan.cc and executor.cc; this file only turns
// SessionOptions into a PlanOptions and an optimization level.
#include "fastserve/session.h"

#include <algorithm>
#include <thread>

#include "core/cpu_features.h"
#include "core/device.h"
#include "core/thread_pool.h"
#include "onnx/opset_upgrade.h"
#include "runtime/execution_plan.h"
#include "runtime/kernel_registry.h"
#include "runtime/mapped_pages.h"
#include "runtime/optimize_model.h"
#include "runtime/run_memory.h"

namespace fastserve {

struct Session::Impl {
  ExecutionPlan plan;
  PassReport pass_report;
  std::unique_ptr<ThreadPool> pool;  // one per session; kernels split work on it
  std::unique_ptr<RunMemory> memory = std::make_unique<RunMemory>();  // arenas + plans, shared by runs
  int num_threads = 1;
};

namespace {

Result<Device> session_device(const SessionOptions& options, const std::string& display) {
  int index = 0;
  Result<Device> device = parse_device(options.device, &index);
  if (!device.ok()) return device.status().with_context(display + ": SessionOptions.device");
  if (device.value() == Device::kCuda) {
#ifdef FASTSERVE_HAVE_CUDA
    // The CUDA backend is built, but the session cannot place nodes on it
    // yet: the CUDA kernels are exercised directly by their tests.
    return unsupported(display + ": device '" + options.device +
                       "': the session does not place nodes on CUDA yet (CPU only)");
#else
    return unsupported(display + ": device '" + options.device + "': CUDA backend not built/available");
#endif
  }
  return device.value();
}

Result<Isa> session_isa(const SessionOptions& options, const std::string& display) {
  if (options.max_isa.empty()) return host_isa();
  Result<Isa> cap = parse_isa(options.max_isa);
  if (!cap.ok()) return cap.status().with_context(display + ": SessionOptions.max_isa");
  return std::min(host_isa(), cap.value());
}

Result<int> session_threads(const SessionOptions& options, const std::string& display) {
  if (options.num_threads < 0) {
    return invalid_argument(display + ": SessionOptions.num_threads must be >= 0 (0 = all cores), got " +
                            std::to_string(options.num_threads));
  }
  if (options.num_threads > 0) return options.num_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<int> session_level(const SessionOptions& options, const std::string& display) {
  if (options.optimization_level < 0 || options.optimization_level > kMaxOptimizationLevel) {
    return invalid_argument(display + ": SessionOptions.optimization_level must be 0.." +
                            std::to_string(kMaxOptimizationLevel) + ", got " +
                            std::to_string(options.optimization_level));
  }
  return options.optimization_level;
}

Result<ProviderOrder> session_providers(const SessionOptions& options, const std::string& display) {
  Result<ProviderOrder> order = provider_order(options.kernels);
  if (!order.ok()) return order.status().with_context(display + ": SessionOptions.kernels");
  return order;
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model, const SessionOptions& options) {
  if (model == nullptr) return invalid_argument("Session::create: no model");
  const std::string display = model->display_name();
  PlanOptions plan_options;
  FS_ASSIGN_OR_RETURN(plan_options.device, session_device(options, display));
  FS_ASSIGN_OR_RETURN(plan_options.isa, session_isa(options, display));
  FS_ASSIGN_OR_RETURN(plan_options.num_threads, session_threads(options, display));
  FS_ASSIGN_OR_RETURN(int level, session_level(options, display));
  // oneDNN runs ONNX ops only: fusions into fastserve ops would take the
  // nodes it covers away from it, so its sessions stop at the basic level.
  if (options.kernels == "onednn") level = std::min(level, 1);
  FS_ASSIGN_OR_RETURN(plan_options.providers, session_providers(options, display));

  // The loader raised a file's opset below 11 to 11 when its ops allow it
  // (onnx/opset_upgrade.h); a model built in memory gets the same rule, so no
  // kernel ever runs an opset-11 definition on an older op.
  if (const int64_t v = model->opset(""); v > 0 && v < kOldestNativeOpset) {
    auto upgraded = std::make_shared<Model>(*model);
    if (Status s = upgrade_to_native_opset(*upgraded); !s.ok()) return s.with_context(display);
    model = std::move(upgraded);
  }

  auto impl = std::make_unique<Impl>();
  impl->num_threads = plan_options.num_threads;
  impl->pool = std::make_unique<ThreadPool>(plan_options.num_threads);  // constant folding runs kernels on it
  const KernelRegistry& registry = KernelRegistry::global();
  std::shared_ptr<const Model> compiled = model;
  if (level > 0) {
    // Copying a Model copies Tensor handles, not weight bytes.
    auto optimized = std::make_shared<Model>(*model);
    FS_ASSIGN_OR_RETURN(impl->pass_report, optimize_model(*optimized, level, plan_options, registry, *impl->pool));
    compiled = std::move(optimized);
  } else {
    impl->pass_report.nodes_before = impl->pass_report.nodes_after = static_cast<int64_t>(model->graph.nodes.size());
  }
  // Only `compiled` goes on: when the caller moved its model in, the plan
  // then holds the only handles and frees each weight once packed
  // (compile_plan in runtime/execution_plan.h).
  model.reset();
  FS_ASSIGN_OR_RETURN(impl->plan, compile_plan(std::move(compiled), plan_options, registry));
  // The kernels hold their packed weights now; the file pages they read go
  // (runtime/mapped_pages.h).
  release_mapped_pages(*impl->plan.model);
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::vector<NamedTensor>> Session::run(std::span<const NamedTensor> inputs) const {
  return execute_plan(impl_->plan, inputs, *impl_->pool, impl_->memory.get());
}

MemoryStats Session::memory_stats() const {
  const MemoryReport r = impl_->memory->last_report();
  return {r.arena_bytes, r.naive_bytes};
}

Result<std::vector<NamedTensor>> Session::run(std::span<const NamedTensor> inputs,
                                              RunProfile* profile) const {
  return execute_plan(impl_->plan, inputs, *impl_->pool, impl_->memory.get(), profile);
}

const std::vector<IoInfo>& Session::inputs() const { return impl_->plan.inputs; }
const std::vector<IoInfo>& Session::outputs() const { return impl_->plan.outputs; }
const std::vector<KernelChoice>& Session::kernel_choices() const { return impl_->plan.kernel_choices; }
const Model& Session::model() const { return *impl_->plan.model; }
const PassReport& Session::pass_report() const { return impl_->pass_report; }
int Session::num_threads() const { return impl_->num_threads; }
const char* Session::isa() const { return isa_name(impl_->plan.isa); }

}  // namespace fastserve
