// Registers the optimized CPU kernels (priority > 0). Per-ISA variants are
// all registered; the registry drops those the host cannot run.
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_cpu_nn_kernels(KernelRegistry& r);           // kernels/cpu/{gemm,conv,pool,...}/
void register_cpu_elementwise_kernels(KernelRegistry& r);  // kernels/cpu/{binary,unary,...}/
void register_cpu_shape_kernels(KernelRegistry& r);        // kernels/cpu/{transpose,...}/

void register_cpu_kernels(KernelRegistry& r) {
  register_cpu_nn_kernels(r);
  register_cpu_elementwise_kernels(r);
  register_cpu_shape_kernels(r);
}

}  // namespace fastserve
