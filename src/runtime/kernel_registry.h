// The kernel registry: every op runs through a descriptor chosen here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/kernel.h"

namespace fastserve {

class KernelRegistry {
 public:
  void add(const KernelDesc& desc);

  // Descriptors matching the key, highest priority first (ISA and accepts() not applied).
  std::vector<const KernelDesc*> candidates(std::string_view op_type, std::string_view domain,
                                            int64_t opset, Device device, DType dtype) const;
  // The kernel a session would run for this node on `device` at ISA `isa`,
  // or kUnsupported naming the node when none accepts it.
  Result<const KernelDesc*> select(const NodeView& node, Device device, Isa isa) const;
  // True if any descriptor exists for the op type in this domain (any version/dtype).
  bool knows_op(std::string_view op_type, std::string_view domain) const;

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

}  // namespace fastserve
