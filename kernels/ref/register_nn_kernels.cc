// Registers the reference convolution, pooling, normalization and
// linear-algebra kernels (declared in nn_ref.h).
#include "kernels/ref/nn_ref.h"

namespace fastserve {

void register_ref_nn_kernels(KernelRegistry& r) {
  register_ref_conv_kernels(r);
  register_ref_conv_transpose_kernels(r);
  register_ref_pool_kernels(r);
  register_ref_batchnorm_kernels(r);
  register_ref_gemm_kernels(r);
  register_ref_matmul_kernels(r);
}

}  // namespace fastserve
