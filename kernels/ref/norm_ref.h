// Reference (oracle) normalization kernels: plain loops over the ONNX
// definitions, FP32 in and out, statistics in double with a two-pass
// mean / variance (the mean first, then the mean of squared deviations), so
// large offsets do not cancel. Tests call these directly as oracles and the
// priority-0 descriptors wrap them.
#pragma once

#include <cstdint>
#include <vector>

#include "fastserve/tensor.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

// LayerNormalization over dims [axis, rank) of x (axis >= 0): per outer row,
// y = (x - mean) / sqrt(var + epsilon) * scale + bias, scale and bias (may
// be null) broadcast numpy-style to x. mean / inv_std_dev (may be null) get
// one value per row (shape x's with dims >= axis set to 1).
void layer_norm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor* bias, int64_t axis, float epsilon,
                        Tensor& y, Tensor* mean, Tensor* inv_std_dev);

// RMSNormalization over dims [axis, rank): y = x / sqrt(mean(x^2) + epsilon) * scale.
void rms_norm_f32_ref(const Tensor& x, const Tensor& scale, int64_t axis, float epsilon, Tensor& y);

// GroupNormalization of x [N, C, ...] in `groups` groups of C/groups
// channels: statistics over each (n, group) block; scale / bias have one
// value per channel (per_channel) or per group. InstanceNormalization is
// groups = C, per channel.
void group_norm_f32_ref(const Tensor& x, const Tensor& scale, const Tensor& bias, int64_t groups, bool per_channel,
                        float epsilon, Tensor& y);

// LpNormalization along axis (>= 0): y = x / ||x||_p, p = 1 or 2; a slice of
// all zeros stays zero (rather than 0/0).
void lp_norm_f32_ref(const Tensor& x, int64_t axis, int64_t p, Tensor& y);

// MeanVarianceNormalization over `axes` (non-negative, any order):
// y = (x - mean) / (sqrt(var) + 1e-9), the epsilon of the ONNX function body.
void mean_variance_norm_f32_ref(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y);

// LRN across channels of x [N, C, ...]: y = x / (bias + alpha/size * sum of
// x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta.
void lrn_f32_ref(const Tensor& x, int64_t size, float alpha, float beta, float bias, Tensor& y);

// Offsets (sum of index * stride) of every row-major multi-index over
// dims[begin, end) of `dims`: broadcast operands' strides are per dim, so an
// element's offset is the sum of its offsets over any split of the dims.
std::vector<int64_t> ref_dim_offsets(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides,
                                     size_t begin, size_t end);

void register_ref_layer_norm_kernels(KernelRegistry& r);  // layer_norm.cc (LayerNormalization, RMSNormalization)
void register_ref_group_norm_kernels(KernelRegistry& r);  // group_norm.cc (GroupNormalization, InstanceNormalization)
void register_ref_lp_norm_kernels(KernelRegistry& r);     // lp_norm.cc (LpNormalization, MeanVarianceNormalization)
void register_ref_lrn_kernels(KernelRegistry& r);         // lrn.cc

}  // namespace fastserve
