// Registers the optimized data-movement kernels (kernels/cpu/{transpose,
// concat,slice}/); every other op of the family runs its reference kernel.
// Called from register_kernels.cc.
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_cpu_transpose_kernels(KernelRegistry& r);  // transpose/transpose.cc
void register_cpu_concat_kernels(KernelRegistry& r);     // concat/concat.cc
void register_cpu_slice_kernels(KernelRegistry& r);      // slice/slice.cc

void register_cpu_shape_kernels(KernelRegistry& r) {
  register_cpu_transpose_kernels(r);
  register_cpu_concat_kernels(r);
  register_cpu_slice_kernels(r);
}

}  // namespace fastserve
