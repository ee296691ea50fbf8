// Registers the reference convolution, pooling, normalization, resampling
// and linear-algebra kernels (declared in nn_ref.h and norm_ref.h).
#include "kernels/ref/nn_ref.h"
#include "kernels/ref/norm_ref.h"

namespace fastserve {

void register_ref_nn_kernels(KernelRegistry& r) {
  register_ref_conv_kernels(r);
  register_ref_conv_transpose_kernels(r);
  register_ref_pool_kernels(r);
  register_ref_batchnorm_kernels(r);
  register_ref_gemm_kernels(r);
  register_ref_matmul_kernels(r);
  register_ref_attention_kernels(r);
  register_ref_layer_norm_kernels(r);
  register_ref_group_norm_kernels(r);
  register_ref_lp_norm_kernels(r);
  register_ref_resize_kernels(r);
  register_ref_einsum_kernels(r);
  register_ref_hardmax_kernels(r);
  register_ref_lp_pool_kernels(r);
  register_ref_lrn_kernels(r);
  register_ref_quantize_kernels(r);
  register_ref_integer_linalg_kernels(r);
  register_ref_block_quant_matmul_kernels(r);
  register_ref_qdq_op_kernels(r);
}

}  // namespace fastserve
