// gemm_f32__ref: reference ONNX Gemm, FP32:
// Y[M,N] = alpha * op(A) * op(B) + beta * C, with C optional and broadcast
// one way to [M, N].
#include "kernels/ref/nn_ref.h"

namespace fastserve {

void gemm_f32_ref(const Tensor& a, const Tensor& b, const Tensor* c, bool trans_a, bool trans_b, float alpha,
                  float beta, Tensor& y) {
  const int64_t m = trans_a ? a.dim(1) : a.dim(0);
  const int64_t k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t n = trans_b ? b.dim(0) : b.dim(1);
  const int64_t lda = a.dim(1), ldb = b.dim(1);
  const float* ad = a.data<float>();
  const float* bd = b.data<float>();
  float* yd = y.data<float>();
  // C's dims right-aligned to [M, N]; a dim of 1 broadcasts.
  int64_t c_rows = 1, c_cols = 1;
  if (c != nullptr && c->rank() == 2) {
    c_rows = c->dim(0);
    c_cols = c->dim(1);
  } else if (c != nullptr && c->rank() == 1) {
    c_cols = c->dim(0);
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? ad[p * lda + i] : ad[i * lda + p];
        const float bv = trans_b ? bd[j * ldb + p] : bd[p * ldb + j];
        acc += static_cast<double>(av) * static_cast<double>(bv);
      }
      double out = alpha * acc;
      if (c != nullptr) {
        const int64_t ci = (c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j);
        out += static_cast<double>(beta) * c->data<float>()[ci];
      }
      yd[i * n + j] = static_cast<float>(out);
    }
  }
}

namespace {

Status run_gemm_ref(const KernelContext& ctx) {
  const Tensor* c = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  gemm_f32_ref(*ctx.inputs[0], *ctx.inputs[1], c, ctx.node.attr_int("transA", 0) != 0,
               ctx.node.attr_int("transB", 0) != 0, ctx.node.attr_float("alpha", 1.f), ctx.node.attr_float("beta", 1.f),
               *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_gemm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "gemm_f32__ref", .op_type = "Gemm", .dtype = DType::kF32, .run = &run_gemm_ref});
}

}  // namespace fastserve
