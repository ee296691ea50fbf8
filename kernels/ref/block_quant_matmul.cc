// fastserve.BlockQuantMatMul, the reference: every weight dequantized as
// DequantizeLinear does (float(q - zero_point) * scale of its block), then
// Y = A x W + bias with double accumulators.
#include <algorithm>
#include <vector>

#include "kernels/ref/nn_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_block_quant_matmul(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  const Tensor& s = *ctx.inputs[2];
  const Tensor* zp = ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
  const Tensor* bias = ctx.inputs.size() > 4 ? ctx.inputs[4] : nullptr;
  const bool trans = ctx.node.attr_int("trans_b", 0) != 0;
  const int64_t block = ctx.node.attr_int("block_size", 0);
  if (b.rank() != 2 || s.rank() != 2 || block < 1) {
    return ctx.node.error(StatusCode::kInvalidArgument, "B and scales must be matrices and block_size >= 1");
  }
  const int64_t k = trans ? b.dim(1) : b.dim(0), n = trans ? b.dim(0) : b.dim(1);
  const int64_t blocks = (k + block - 1) / block;
  if (s.dim(trans ? 1 : 0) != blocks || s.dim(trans ? 0 : 1) != n || a.dim(a.rank() - 1) != k) {
    return ctx.node.error(StatusCode::kInvalidArgument, "A " + a.shape().to_string() + ", B " + b.shape().to_string() +
                                                            " and scales " + s.shape().to_string() + " do not fit");
  }
  // W[kk][j] as float.
  std::vector<float> w(static_cast<size_t>(k * n));
  for (int64_t kk = 0; kk < k; ++kk) {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t bi = trans ? j * k + kk : kk * n + j;
      const int64_t si = trans ? j * blocks + kk / block : (kk / block) * n + j;
      const int64_t z = zp != nullptr ? zp->element_as_int64(si) : 0;
      w[static_cast<size_t>(kk * n + j)] = static_cast<float>(b.element_as_int64(bi) - z) * s.data<float>()[si];
    }
  }
  const int64_t m = a.numel() / std::max<int64_t>(k, 1);
  const float* ad = a.data<float>();
  float* y = ctx.outputs[0]->data<float>();
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias != nullptr ? bias->data<float>()[j] : 0.0;
      for (int64_t kk = 0; kk < k; ++kk) acc += double(ad[r * k + kk]) * w[static_cast<size_t>(kk * n + j)];
      y[r * n + j] = static_cast<float>(acc);
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_block_quant_matmul_kernels(KernelRegistry& r) {
  r.add({.name = "block_quant_matmul__ref", .op_type = "BlockQuantMatMul", .domain = "fastserve",
         .dtype = DType::kF32, .run = run_block_quant_matmul});
}

}  // namespace fastserve
