// The kernel registry: every op runs through a descriptor chosen here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/kernel.h"

namespace fastserve {

// The providers a session draws kernels from, most preferred first. For each
// node, select() takes the best descriptor (highest priority the ISA allows
// and whose accepts() takes the node) of the first provider in the list that
// has one; providers not listed are never used.
using ProviderOrder = std::vector<std::string>;

// SessionOptions::kernels to a provider order:
//   "auto"      -> {fastserve}: our kernels, highest priority wins (the default)
//   "fastserve" -> {fastserve}: never oneDNN (stays so if "auto" ever mixes providers)
//   "onednn"    -> {onednn, fastserve}: oneDNN for every node it accepts, ours for the rest
// Anything else is kInvalidArgument naming the accepted values.
Result<ProviderOrder> provider_order(std::string_view kernels);
// {fastserve}: what select() uses when given no order.
const ProviderOrder& default_provider_order();

class KernelRegistry {
 public:
  void add(const KernelDesc& desc);

  // Descriptors matching the key, highest priority first (ISA and accepts() not applied).
  std::vector<const KernelDesc*> candidates(std::string_view op_type, std::string_view domain,
                                            int64_t opset, Device device, DType dtype) const;
  // The kernel a session would run for this node on `device` at ISA `isa`,
  // drawing from `providers` in order, or kUnsupported naming the node when
  // none accepts it.
  Result<const KernelDesc*> select(const NodeView& node, Device device, Isa isa,
                                   const ProviderOrder& providers = default_provider_order()) const;
  // True if any descriptor exists for the op type in this domain (any version/dtype).
  bool knows_op(std::string_view op_type, std::string_view domain) const;
  // True if any descriptor is registered under this provider name.
  bool has_provider(std::string_view provider) const;

  const std::vector<KernelDesc>& all() const { return descs_; }

  // The registry with every built-in kernel (reference, CPU, and CUDA when built).
  static const KernelRegistry& global();

 private:
  std::vector<KernelDesc> descs_;
};

// Registration entry points, one per kernel folder (plain function calls).
void register_ref_kernels(KernelRegistry& r);   // kernels/ref/register_kernels.cc
void register_cpu_kernels(KernelRegistry& r);   // kernels/cpu/register_kernels.cc
void register_cuda_kernels(KernelRegistry& r);  // kernels/cuda/register_kernels.cc (no-op without CUDA)
void register_onednn_kernels(KernelRegistry& r);  // kernels/onednn/register_kernels.cc (no-op without oneDNN)

}  // namespace fastserve
