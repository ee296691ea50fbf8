// What the compressed-weight MatMul / FusedMatMul / Gemm kernels
// (sparse_matmul.cc, nm24_matmul.cc) share: the run-time operands (A
// checked against the prepared K, its rows M with batch dims folded, and the
// bias: FusedMatMul's input 2 at run time, else the one prepared from Gemm's
// C), and the shape of their FP32 descriptors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/kernel_registry.h"

namespace fastserve {

struct MatMulRunOperands {
  int64_t m = 0;
  const float* bias = nullptr;
};

inline Result<MatMulRunOperands> matmul_run_operands(const KernelContext& ctx, int64_t n, int64_t k,
                                                     const std::vector<float>& prepared_bias) {
  const Tensor& a = *ctx.inputs[0];
  if (a.rank() < 1 || a.dim(a.rank() - 1) != k) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "A is " + a.shape().to_string() + "; B was prepared for K = " + std::to_string(k));
  }
  MatMulRunOperands out;
  out.m = k > 0 ? a.numel() / k : 0;
  out.bias = prepared_bias.empty() ? nullptr : prepared_bias.data();
  const bool fused = std::string_view(ctx.node.op_type()) == "FusedMatMul";
  if (fused && ctx.inputs.size() > 2 && ctx.inputs[2] != nullptr) {
    const Tensor& bt = *ctx.inputs[2];
    if (bt.dtype() != DType::kF32 || bt.numel() != n) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            "bias is " + bt.to_string() + ", want float32 [" + std::to_string(n) + "]");
    }
    out.bias = bt.data<float>();
  }
  return out;
}

inline KernelDesc matmul_kernel_desc(const char* name, const char* op, const char* domain, Isa isa,
                                     int priority, AcceptsFn accepts, PrepareFn prepare, RunFn run) {
  return KernelDesc{.name = name,
                    .op_type = op,
                    .domain = domain,
                    .dtype = DType::kF32,
                    .required_isa = isa,
                    .priority = priority,
                    .accepts = accepts,
                    .prepare = prepare,
                    .run = run};
}

}  // namespace fastserve
