// Registers every reference kernel: plain loops, priority 0, the test oracle
// and the last resort for every op.
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_ref_nn_kernels(KernelRegistry& r);           // kernels/ref/{conv,pool,gemm,...}.cc
void register_ref_elementwise_kernels(KernelRegistry& r);  // kernels/ref/{binary,unary,...}.cc
void register_ref_shape_kernels(KernelRegistry& r);        // kernels/ref/{reshape,slice,...}.cc

void register_ref_kernels(KernelRegistry& r) {
  register_ref_nn_kernels(r);
  register_ref_elementwise_kernels(r);
  register_ref_shape_kernels(r);
}

}  // namespace fastserve
