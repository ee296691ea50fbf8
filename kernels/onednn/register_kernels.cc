// Registers the oneDNN descriptors (provider "onednn"); compiled only when
// the build found oneDNN (FASTSERVE_HAVE_ONEDNN), else
// src/runtime/onednn_kernels_stub.cc registers none.
#include "kernels/onednn/onednn_kernels.h"

namespace fastserve {

void register_onednn_kernels(KernelRegistry& r) {
  onednn::register_onednn_conv_kernels(r);
  onednn::register_onednn_gemm_kernels(r);
  onednn::register_onednn_matmul_kernels(r);
  onednn::register_onednn_pool_kernels(r);
  onednn::register_onednn_batchnorm_kernels(r);
  onednn::register_onednn_eltwise_kernels(r);
}

}  // namespace fastserve
