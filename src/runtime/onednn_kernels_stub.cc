// register_onednn_kernels for builds without oneDNN (libdnnl-dev missing or
// -DFASTSERVE_ONEDNN=OFF): no "onednn" descriptors, so a session asked for
// kernels=onednn reports that the provider is not built. With oneDNN,
// kernels/onednn/register_kernels.cc defines the real function instead.
#include "runtime/kernel_registry.h"

namespace fastserve {

#ifndef FASTSERVE_HAVE_ONEDNN
void register_onednn_kernels(KernelRegistry& /*r*/) {}
#endif

}  // namespace fastserve
