// Registers the optimized CPU convolution, pooling, normalization and
// linear-algebra kernels. GEMM-based ops register one descriptor per
// microkernel ISA (avx512 > avx2 > portable by priority); the registry
// drops those the session's ISA cannot run.
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_cpu_gemm_op_kernels(KernelRegistry& r);         // gemm/gemm_op.cc
void register_cpu_matmul_kernels(KernelRegistry& r);          // matmul/matmul.cc
void register_cpu_attention_kernels(KernelRegistry& r);       // attention/attention.cc
void register_cpu_conv_kernels(KernelRegistry& r);            // conv/conv.cc
void register_cpu_conv_depthwise_kernels(KernelRegistry& r);  // conv/conv_depthwise.cc
void register_cpu_conv_winograd_kernels(KernelRegistry& r);   // conv/conv_winograd.cc
void register_cpu_conv_sparse_kernels(KernelRegistry& r);     // conv/conv_sparse.cc
void register_cpu_sparse_matmul_kernels(KernelRegistry& r);   // sparse/sparse_matmul.cc
void register_cpu_nm24_matmul_kernels(KernelRegistry& r);     // sparse/nm24_matmul.cc
void register_cpu_conv_transpose_kernels(KernelRegistry& r);  // conv/conv_transpose.cc
void register_cpu_pool_kernels(KernelRegistry& r);            // pool/pool.cc
void register_cpu_batchnorm_kernels(KernelRegistry& r);       // batchnorm/batchnorm.cc
void register_cpu_matmul_integer_kernels(KernelRegistry& r);  // qgemm/matmul_integer.cc
void register_cpu_dynamic_quantize_kernels(KernelRegistry& r);  // qgemm/dynamic_quantize.cc
void register_cpu_dequantize_kernels(KernelRegistry& r);        // qgemm/dequantize_linear.cc
void register_cpu_block_quant_matmul_kernels(KernelRegistry& r);  // block_quant_matmul/block_quant_matmul.cc
void register_cpu_quantize_kernels(KernelRegistry& r);          // qgemm/quantize_linear.cc
void register_cpu_qconv_kernels(KernelRegistry& r);             // qconv/qconv_ops.cc
void register_cpu_qdq_elementwise_kernels(KernelRegistry& r);   // qconv/qdq_elementwise.cc

void register_cpu_nn_kernels(KernelRegistry& r) {
  register_cpu_gemm_op_kernels(r);
  register_cpu_matmul_kernels(r);
  register_cpu_attention_kernels(r);
  register_cpu_conv_kernels(r);
  register_cpu_conv_depthwise_kernels(r);
  register_cpu_conv_winograd_kernels(r);
  register_cpu_conv_sparse_kernels(r);
  register_cpu_sparse_matmul_kernels(r);
  register_cpu_nm24_matmul_kernels(r);
  register_cpu_conv_transpose_kernels(r);
  register_cpu_pool_kernels(r);
  register_cpu_batchnorm_kernels(r);
  register_cpu_matmul_integer_kernels(r);
  register_cpu_dynamic_quantize_kernels(r);
  register_cpu_dequantize_kernels(r);
  register_cpu_block_quant_matmul_kernels(r);
  register_cpu_quantize_kernels(r);
  register_cpu_qconv_kernels(r);
  register_cpu_qdq_elementwise_kernels(r);
}

}  // namespace fastserve
