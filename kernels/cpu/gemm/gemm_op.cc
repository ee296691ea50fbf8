// gemm_f32__{avx512,avx2,portable}: the ONNX Gemm op on the GEMM engine,
// FP32: Y[M,N] = alpha * op(A) * op(B) + beta * C, C optional and broadcast
// one way to [M, N].
//
// A constant B is packed (with transB applied) once at prepare(). C maps to
// the engine's fused epilogue where it can: a scalar or a row vector ([N],
// [1,N]) becomes a per-column bias, a column ([M,1]) a per-row bias, both
// pre-scaled by beta; a full [M,N] C is copied into Y and the microkernel
// adds beta*Y.
#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct GemmOpState {
  const GemmUkernel* uk = nullptr;
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
  AlignedFloats packed_b;  // empty when B is not constant
  bool prepacked = false;
};

Status prepare_gemm_op(const NodeView& node, PrepareContext& ctx, const GemmUkernel& uk) {
  auto st = std::make_shared<GemmOpState>();
  st->uk = &uk;
  st->trans_a = node.attr_int("transA", 0) != 0;
  st->trans_b = node.attr_int("transB", 0) != 0;
  st->alpha = node.attr_float("alpha", 1.f);
  st->beta = node.attr_float("beta", 1.f);
  if (const Tensor* b = node.input_value(1); b != nullptr && b->rank() == 2) {
    const int64_t k = st->trans_b ? b->dim(1) : b->dim(0);
    const int64_t n = st->trans_b ? b->dim(0) : b->dim(1);
    st->packed_b = pack_b(uk, k, n, GemmOperand{b->data<float>(), b->dim(1), st->trans_b});
    st->prepacked = true;
    ctx.packed_inputs |= 1u << 1;
  }
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_gemm_op_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_gemm_op(node, ctx, gemm_ukernel_for_isa(kIsa));
}

bool accepts_gemm_op(const NodeView& node) {
  if (node.input_dtype(1) != DType::kF32) return false;
  return !node.has_input(2) || node.input_dtype(2) == DType::kF32;
}

Status run_gemm_op(const KernelContext& ctx) {
  const GemmOpState& st = ctx.state_as<GemmOpState>();
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  const Tensor* c = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  GemmArgs args;
  args.m = st.trans_a ? a.dim(1) : a.dim(0);
  args.k = st.trans_a ? a.dim(0) : a.dim(1);
  args.n = st.trans_b ? b.dim(0) : b.dim(1);
  args.a = GemmOperand{a.data<float>(), a.dim(1), st.trans_a};
  args.b = GemmOperand{b.data<float>(), b.dim(1), st.trans_b};
  if (st.prepacked) args.b_packed = st.packed_b.data();
  args.c = y.data<float>();
  args.ldc = args.n;
  args.alpha = st.alpha;
  if (args.m == 0 || args.n == 0) return ok_status();

  if (c != nullptr && st.beta != 0.f) {
    // C's dims right-aligned to [M, N].
    const int64_t c_rows = c->rank() == 2 ? c->dim(0) : 1;
    const int64_t c_cols = c->rank() >= 1 ? c->dim(c->rank() - 1) : 1;
    const float* cd = c->data<float>();
    if (c_rows == 1 || c_cols == 1) {
      // A vector (or scalar) C: a bias fused into the epilogue, scaled by beta.
      const bool per_column = c_rows == 1;
      const int64_t len = per_column ? args.n : args.m;
      const int64_t c_len = per_column ? c_cols : c_rows;
      const float* bias = cd;
      if (st.beta != 1.f || c_len != len) {
        // TODO(memory planner): book this scratch at prepare().
        float* scaled = thread_scratch(static_cast<size_t>(len), 1);
        for (int64_t i = 0; i < len; ++i) scaled[i] = st.beta * cd[c_len == 1 ? 0 : i];
        bias = scaled;
      }
      args.epilogue.bias_kind = per_column ? GemmBias::kPerColumn : GemmBias::kPerRow;
      args.epilogue.bias = bias;
    } else {
      // Full [M, N] C: Y = C, then the microkernel computes alpha*AB + beta*Y.
      std::memcpy(args.c, cd, static_cast<size_t>(args.m * args.n) * sizeof(float));
      args.beta = st.beta;
    }
  }
  gemm_f32(*st.uk, args, ctx.pool);
  return ok_status();
}

KernelDesc gemm_op_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  return KernelDesc{.name = name, .op_type = "Gemm", .dtype = DType::kF32, .required_isa = isa,
                    .priority = priority, .accepts = &accepts_gemm_op, .prepare = prepare, .run = &run_gemm_op};
}

}  // namespace

void register_cpu_gemm_op_kernels(KernelRegistry& r) {
  r.add(gemm_op_desc("gemm_f32__avx512", Isa::kAvx512, 30, &prepare_gemm_op_for<Isa::kAvx512>));
  r.add(gemm_op_desc("gemm_f32__avx2", Isa::kAvx2, 20, &prepare_gemm_op_for<Isa::kAvx2>));
  r.add(gemm_op_desc("gemm_f32__portable", Isa::kScalar, 10, &prepare_gemm_op_for<Isa::kScalar>));
}

}  // namespace fastserve
