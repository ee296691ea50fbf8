// register_cuda_kernels for builds without the CUDA backend: there are no
// CUDA descriptors, so the global registry holds CPU kernels only. With CUDA,
// kernels/cuda/register_kernels.cc defines the real function instead.
#include "runtime/kernel_registry.h"

namespace fastserve {

#ifndef FASTSERVE_HAVE_CUDA
void register_cuda_kernels(KernelRegistry& /*r*/) {}
#endif

}  // namespace fastserve
