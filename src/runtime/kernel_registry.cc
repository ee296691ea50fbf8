// KernelRegistry: the key match, provider order, ISA/accepts filtering and
// priority order that pick one descriptor per node (see runtime/kernel.h for
// the model), and the SessionOptions::kernels -> provider order mapping.
#include "runtime/kernel_registry.h"

#include <algorithm>
#include <string>

#include "core/cpu_features.h"
#include "core/device.h"

namespace fastserve {
namespace {

// Models spell the default ONNX domain either "" or "ai.onnx".
std::string_view normalize_domain(std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; }

}  // namespace

void KernelRegistry::add(const KernelDesc& desc) {
  FS_CHECK_MSG(desc.name != nullptr && desc.op_type != nullptr, "kernel descriptor needs a name and an op type");
  FS_CHECK_MSG(desc.run != nullptr, desc.name);
  FS_CHECK_MSG(desc.since_version <= desc.until_version, desc.name);
  KernelDesc d = desc;
  if (d.domain == nullptr) d.domain = "";
  if (d.provider == nullptr) d.provider = kProviderFastServe;
  descs_.push_back(d);
}

std::vector<const KernelDesc*> KernelRegistry::candidates(std::string_view op_type, std::string_view domain,
                                                          int64_t opset, Device device, DType dtype) const {
  const std::string_view dom = normalize_domain(domain);
  std::vector<const KernelDesc*> out;
  for (const KernelDesc& d : descs_) {
    if (op_type != d.op_type || dom != normalize_domain(d.domain)) continue;
    if (opset < d.since_version || opset > d.until_version) continue;
    if (d.device != device) continue;
    // kUndefined on either side matches: a type-agnostic kernel (data
    // movement), or a node without inputs (Constant) whose kernel cannot be
    // keyed by an input type.
    if (d.dtype != DType::kUndefined && dtype != DType::kUndefined && d.dtype != dtype) continue;
    out.push_back(&d);
  }
  // Registration order breaks ties, so stable_sort keeps it.
  std::stable_sort(out.begin(), out.end(),
                   [](const KernelDesc* a, const KernelDesc* b) { return a->priority > b->priority; });
  return out;
}

Result<const KernelDesc*> KernelRegistry::select(const NodeView& node, Device device, Isa isa,
                                                 const ProviderOrder& providers) const {
  const DType dtype = node.input_dtype(0);
  std::vector<const KernelDesc*> cands = candidates(node.op_type(), node.domain(), node.opset(), device, dtype);
  std::string dropped;  // why each candidate was passed over, for the error
  // One pass per provider, most preferred first; candidates() is already in
  // priority order, so the first survivor of a pass is that provider's best.
  for (const std::string& provider : providers) {
    for (const KernelDesc* d : cands) {
      if (provider != d->provider) continue;
      if (d->required_isa > isa) {
        dropped += std::string(dropped.empty() ? "" : ", ") + d->name + " needs " + isa_name(d->required_isa);
        continue;
      }
      if (d->accepts != nullptr && !d->accepts(node)) {
        dropped += std::string(dropped.empty() ? "" : ", ") + d->name + " does not accept the node";
        continue;
      }
      return d;
    }
  }
  std::string msg = "no kernel for opset " + std::to_string(node.opset()) + ", input dtype " +
                    (dtype == DType::kUndefined ? std::string("any") : std::string(dtype_name(dtype))) + " on " +
                    device_name(device);
  if (!dropped.empty()) msg += " (ISA " + std::string(isa_name(isa)) + "; " + dropped + ")";
  return node.error(StatusCode::kUnsupported, msg);
}

bool KernelRegistry::knows_op(std::string_view op_type, std::string_view domain) const {
  const std::string_view dom = normalize_domain(domain);
  return std::any_of(descs_.begin(), descs_.end(), [&](const KernelDesc& d) {
    return op_type == d.op_type && dom == normalize_domain(d.domain);
  });
}

bool KernelRegistry::has_provider(std::string_view provider) const {
  return std::any_of(descs_.begin(), descs_.end(),
                     [&](const KernelDesc& d) { return provider == d.provider; });
}

Result<ProviderOrder> provider_order(std::string_view kernels) {
  if (kernels == "auto" || kernels == kProviderFastServe) return ProviderOrder{kProviderFastServe};
  if (kernels == kProviderOneDnn) return ProviderOrder{kProviderOneDnn, kProviderFastServe};
  return invalid_argument("unknown kernels '" + std::string(kernels) +
                          "' (expected auto, fastserve or onednn)");
}

const ProviderOrder& default_provider_order() {
  static const ProviderOrder order{kProviderFastServe};
  return order;
}

const KernelRegistry& KernelRegistry::global() {
  // Built once on first use; C++ guarantees the initialization is thread-safe.
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_ref_kernels(r);
    register_cpu_kernels(r);
    register_cuda_kernels(r);
    register_onednn_kernels(r);
    return r;
  }();
  return registry;
}

}  // namespace fastserve
