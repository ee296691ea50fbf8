// Reference (oracle) implementations of the convolution, pooling,
// normalization and linear-algebra ops: plain loops that follow the ONNX
// definitions directly, with double accumulators. They back the priority-0
// kernels ("conv_f32__ref", ...) and tests call them directly as oracles.
//
// All tensors are FP32, dense, row-major (NCHW for images); outputs are
// allocated by the caller with the shape shape inference gives. Geometry
// (pads, strides, dilations, output size) comes from graph/window_geometry.h.
#pragma once

#include <cstdint>
#include <vector>

#include "fastserve/tensor.h"
#include "graph/window_geometry.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

// Conv over any number of spatial dims. x [N, C, in...], w [M, C/group, k...],
// bias [M] or null, y [N, M, out...]. y[n,m,o] = bias[m] +
// sum_{c,k} x[n, g*C/group + c, o*s - pad_begin + k*d] * w[m, c, k]
// (g = m / (M/group); positions outside the input read 0).
void conv_f32_ref(const Tensor& x, const Tensor& w, const Tensor* bias, const WindowGeometry& g, int64_t group,
                  Tensor& y);

// ConvTranspose (the adjoint of Conv's input mapping). x [N, C, in...],
// w [C, M/group, k...], y [N, M, out...]: every x[n,c,i] * w[c,m',k] lands on
// y[n, g*M/group + m', i*s - pad_begin + k*d] when inside y; plus bias.
void conv_transpose_f32_ref(const Tensor& x, const Tensor& w, const Tensor* bias, const WindowGeometry& g,
                            int64_t group, Tensor& y);

// MaxPool (f32, f64, f16, bf16, int8, uint8): max over window positions
// inside the input (padding never wins; an all-padding window gives the
// type's lowest value). indices (int64, same shape
// as y, may be null) gets the flat index into x of the max: row-major
// ((n*C + c)*H + h)*W + w, or with storage_order 1 the spatial part
// column-major (n*C + c)*H*W + w*H + h.
void max_pool_ref(const Tensor& x, const WindowGeometry& g, Tensor& y, Tensor* indices,
                  int64_t storage_order);

// AveragePool: sum over window positions inside the input, divided by the
// number of positions inside the input (count_include_pad = 0) or inside the
// padded input [-pad_begin, in + pad_end) (count_include_pad = 1; positions
// that ceil_mode adds past the end pad never count).
void average_pool_f32_ref(const Tensor& x, const WindowGeometry& g, bool count_include_pad, Tensor& y);

// GlobalAveragePool / GlobalMaxPool: reduce every spatial dim of x [N, C, ...].
void global_pool_f32_ref(const Tensor& x, bool is_max, Tensor& y);

// BatchNormalization (inference): y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c],
// x [N, C, ...].
void batchnorm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor& bias, const Tensor& mean,
                       const Tensor& var, float epsilon, Tensor& y);

// Gemm: y[M,N] = alpha * op(a) * op(b) + beta * c, c (may be null) broadcast
// one way to [M, N] (scalar, [N], [1,N], [M,1], [M,N], ...).
void gemm_f32_ref(const Tensor& a, const Tensor& b, const Tensor* c, bool trans_a, bool trans_b, float alpha,
                  float beta, Tensor& y);

// MatMul with numpy semantics (f32, f64, f16, bf16; a and b of one type):
// 1-D a is a row [1,K] and 1-D b a column [K,1] (the added dim is dropped);
// batch dims broadcast.
void matmul_ref(const Tensor& a, const Tensor& b, Tensor& y);

// Registers the priority-0 descriptors for the ops above (one function per file).
void register_ref_conv_kernels(KernelRegistry& r);            // conv.cc
void register_ref_conv_transpose_kernels(KernelRegistry& r);  // conv_transpose.cc
void register_ref_pool_kernels(KernelRegistry& r);            // pool.cc
void register_ref_batchnorm_kernels(KernelRegistry& r);       // batchnorm.cc
void register_ref_gemm_kernels(KernelRegistry& r);            // gemm.cc
void register_ref_matmul_kernels(KernelRegistry& r);          // matmul.cc
void register_ref_attention_kernels(KernelRegistry& r);       // attention.cc
void register_ref_resize_kernels(KernelRegistry& r);          // resize.cc
void register_ref_einsum_kernels(KernelRegistry& r);          // einsum.cc
void register_ref_hardmax_kernels(KernelRegistry& r);         // hardmax.cc
void register_ref_lp_pool_kernels(KernelRegistry& r);         // lp_pool.cc (LpPool, GlobalLpPool)
void register_ref_quantize_kernels(KernelRegistry& r);        // quantize_linear.cc (Q, DQ, DynamicQuantizeLinear)
void register_ref_integer_linalg_kernels(KernelRegistry& r);  // integer_linalg.cc (MatMulInteger, QLinear*, ConvInteger)
void register_ref_block_quant_matmul_kernels(KernelRegistry& r);  // block_quant_matmul.cc (fastserve.BlockQuantMatMul)
void register_ref_qdq_op_kernels(KernelRegistry& r);  // qdq_ops.cc (fastserve.QConv, QAdd, MaxPoolNhwc, QGlobalAveragePool)
void register_ref_nn_kernels(KernelRegistry& r);              // register_nn_kernels.cc: all of the above

// Advances a row-major multi-index over `dims`; false once it wraps past the
// last index. (Reference loops over any number of spatial dims.)
inline bool ref_next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  for (size_t i = idx.size(); i-- > 0;) {
    if (++idx[i] < dims[i]) return true;
    idx[i] = 0;
  }
  return false;
}

}  // namespace fastserve
