// The oneDNN kernel provider (kernels/onednn/, built when libdnnl is found):
// descriptors named "<op>_f32__onednn", provider "onednn", that run oneDNN
// 2.x primitives on FP32 NCHW tensors. A session uses them only with
// SessionOptions::kernels = "onednn" (a baseline to compare our kernels
// with); their accepts() refuse what they do not cover, so those nodes fall
// back to our kernels. They require AVX2: oneDNN dispatches on the CPU
// itself, and below AVX2 it has no fast f32 paths worth comparing with.
#pragma once

#include "runtime/kernel_registry.h"

namespace fastserve::onednn {

// Priority only orders descriptors within a provider; above 0 because 0
// marks a reference kernel.
inline constexpr int kOneDnnPriority = 10;

void register_onednn_conv_kernels(KernelRegistry& r);       // conv.cc
void register_onednn_gemm_kernels(KernelRegistry& r);       // gemm.cc
void register_onednn_matmul_kernels(KernelRegistry& r);     // matmul.cc
void register_onednn_pool_kernels(KernelRegistry& r);       // pool.cc
void register_onednn_batchnorm_kernels(KernelRegistry& r);  // batchnorm.cc
void register_onednn_eltwise_kernels(KernelRegistry& r);    // eltwise.cc

}  // namespace fastserve::onednn
