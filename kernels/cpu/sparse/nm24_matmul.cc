// matmul_f32_2_4__*, fused_matmul_f32_2_4__*, gemm_f32_2_4__*
// ({avx512,avx2}): MatMul / fastserve.FusedMatMul / Gemm whose B
// is a constant 2:4-sparse matrix (`fastserve prune --method 2:4`), FP32,
// at small M, on the 2:4 microkernel (nm24_ukernel.h).
//
// B is compressed at prepare into an Nm24Matrix over W^T [N x K] (groups
// of 4 along K; Gemm's alpha folded into the values, its constant C times
// beta kept as the per-feature bias). Y[M, N] = A[M, K] * B runs over
// blocks of 16 output features, the blocks split over the threads (one
// thread below kMinParallelMacs). A (for MatMul, its batch dims folded
// into M) must be contiguous; B has no batch dims. Bias and Relu / Clip in
// the microkernel; other FusedMatMul activations over Y's rows after.
//
// Chosen (priorities 33/23: above the dense GEMM's 30/20, below the CSR
// kernel's 35/25, which takes the weights with >= 90% zeros) when B is 2:4
// and M is at most nm24_max_rows(isa) (nm24_matrix.h, the measured
// break-even: 32 rows on AVX-512, 8 on AVX2). When M is not known at
// compile (a dynamic batch) the node is taken too and B is also packed for
// the dense GEMM, which runs the batches above the break-even. The portable
// microkernel never beat the portable GEMM, so it has no descriptor.
#include <algorithm>
#include <memory>
#include <string>

#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/gemm/gemm.h"
#include "kernels/cpu/sparse/matmul_run_operands.h"
#include "kernels/cpu/sparse/nm24_ukernel.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Below this many multiply-adds (kept weights x rows of A) one thread is
// faster than waking the pool (the CSR kernel's figure).
constexpr int64_t kMinParallelMacs = int64_t{1} << 15;

struct Nm24MatMulState {
  const Nm24Ukernel* uk = nullptr;
  Nm24Matrix w;             // W^T [N, K], alpha folded in
  std::vector<float> bias;  // Gemm: beta * C per feature, else empty
  ConvActivation act;       // FusedMatMul's activation
  // The dense fallback, only when M was unknown at compile.
  const GemmUkernel* dense_uk = nullptr;
  AlignedFloats dense_b;  // B packed for dense_uk (alpha not folded)
  float alpha = 1.f;
  int64_t max_rows = 0;  // nm24_max_rows(isa): above it the dense fallback runs
};

// M (rows of A with MatMul's batch dims folded in), or -1 when unknown.
int64_t rows_of_a(const NodeView& node) {
  const TensorInfo& a = node.input(0);
  if (!a.shape_known || a.shape.rank() < 1) return -1;
  int64_t m = 1;
  for (size_t i = 0; i + 1 < a.shape.rank(); ++i) {
    if (a.shape[i] == kUnknownDim) return -1;
    m *= a.shape[i];
  }
  return m;
}

// The checks both ops share, cheapest first: types, M, then the 2:4 scan.
bool nm24_b(const NodeView& node, bool trans_b, int64_t max_rows) {
  const Tensor* b = node.input_value(1);
  if (node.input_dtype(0) != DType::kF32 || b == nullptr || b->dtype() != DType::kF32 || b->rank() != 2 ||
      b->numel() == 0) {
    return false;
  }
  const int64_t m = rows_of_a(node);
  if (m > max_rows) return false;
  return is_2_4_sparse(*b, trans_b ? WeightLayout::kNK : WeightLayout::kKN);
}

template <Isa kIsa>
bool accepts_nm24_matmul(const NodeView& node) {
  if (!nm24_b(node, false, nm24_max_rows(kIsa))) return false;
  return !node.has_input(2) || node.input_dtype(2) == DType::kF32;  // FusedMatMul's bias
}

// Gemm: transA = 0 and C absent or a constant per-feature vector ([N], [1, N], scalar).
template <Isa kIsa>
bool accepts_nm24_gemm(const NodeView& node) {
  if (node.attr_int("transA", 0) != 0) return false;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  if (node.has_input(2)) {
    const Tensor* c = node.input_value(2);
    const Tensor* b = node.input_value(1);
    if (c == nullptr || c->dtype() != DType::kF32 || b == nullptr || b->rank() != 2) return false;
    const int64_t n = trans_b ? b->dim(0) : b->dim(1);
    if (c->numel() != 1 && !(c->numel() == n && (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1))))
      return false;
  }
  return nm24_b(node, trans_b, nm24_max_rows(kIsa));
}

Status prepare_nm24_matmul(const NodeView& node, PrepareContext& ctx, Isa isa, bool gemm) {
  auto st = std::make_shared<Nm24MatMulState>();
  st->uk = &nm24_ukernel_for_isa(isa);
  st->max_rows = nm24_max_rows(isa);
  const Tensor* b = node.input_value(1);
  if (b == nullptr || b->rank() != 2)
    return node.error(StatusCode::kInvalidArgument, "B must be a constant matrix");
  const bool trans_b = gemm && node.attr_int("transB", 0) != 0;
  const int64_t k = trans_b ? b->dim(1) : b->dim(0), n = trans_b ? b->dim(0) : b->dim(1);
  st->alpha = gemm ? node.attr_float("alpha", 1.f) : 1.f;
  Result<Nm24Matrix> w = trans_b ? nm24_from_dense(b->data<float>(), n, k, k, 1, st->alpha)
                                 : nm24_from_dense(b->data<float>(), n, k, 1, n, st->alpha);
  if (!w.ok()) return node.error(StatusCode::kInvalidArgument, "B: " + w.status().message());
  st->w = std::move(*w);
  if (gemm && node.has_input(2)) {
    const Tensor* c = node.input_value(2);
    const float beta = node.attr_float("beta", 1.f);
    st->bias.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      st->bias[static_cast<size_t>(i)] = beta * c->data<float>()[c->numel() == 1 ? 0 : i];
  }
  if (!gemm) {
    FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, isa));
  }
  if (rows_of_a(node) < 0) {
    st->dense_uk = &gemm_ukernel_for_isa(isa);
    st->dense_b = pack_b(*st->dense_uk, k, n, GemmOperand{b->data<float>(), b->dim(1), trans_b});
  }
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa, bool kGemm>
Status prepare_nm24_matmul_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_nm24_matmul(node, ctx, kIsa, kGemm);
}

void run_dense_fallback(const Nm24MatMulState& st, const KernelContext& ctx, const float* a, int64_t m,
                        const float* bias, float* y) {
  GemmArgs args;
  args.m = m;
  args.n = st.w.n;
  args.k = st.w.k;
  args.a = GemmOperand{a, st.w.k, false};
  args.b_packed = st.dense_b.data();
  args.c = y;
  args.ldc = st.w.n;
  args.alpha = st.alpha;
  args.epilogue.bias_kind = bias != nullptr ? GemmBias::kPerColumn : GemmBias::kNone;
  args.epilogue.bias = bias;
  args.epilogue.activation = st.act.gemm;
  args.epilogue.clamp_min = st.act.clamp_min;
  args.epilogue.clamp_max = st.act.clamp_max;
  gemm_f32(*st.dense_uk, args, ctx.pool);
  if (!st.act.gemm_fused) {
    for (int64_t r = 0; r < m; ++r) st.act.apply(y + r * st.w.n, st.w.n);
  }
}

Status run_nm24_matmul(const KernelContext& ctx) {
  const Nm24MatMulState& st = ctx.state_as<Nm24MatMulState>();
  const Tensor& a = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t n = st.w.n, k = st.w.k;
  FS_ASSIGN_OR_RETURN(const MatMulRunOperands ops, matmul_run_operands(ctx, n, k, st.bias));
  if (y.numel() == 0) return ok_status();
  const int64_t m = ops.m;
  const float* bias = ops.bias;
  const float* ad = a.data<float>();
  float* yd = y.data<float>();
  if (m > st.max_rows && st.dense_uk != nullptr) {
    run_dense_fallback(st, ctx, ad, m, bias, yd);
    return ok_status();
  }
  Nm24Params params;
  params.bias = bias;
  params.activation = st.act.gemm;
  params.clamp_min = st.act.clamp_min;
  params.clamp_max = st.act.clamp_max;
  auto blocks = [&](int64_t b0, int64_t b1) {
    st.uk->fn(st.w, b0, b1, ad, k, m, yd, n, params);
    if (!st.act.gemm_fused) {
      const int64_t f0 = b0 * kNm24Block, f1 = std::min(n, b1 * kNm24Block);
      for (int64_t r = 0; r < m; ++r) st.act.apply(yd + r * n + f0, f1 - f0);
    }
  };
  if ((n * k / 2) * m < kMinParallelMacs || ctx.pool->num_threads() <= 1) {
    blocks(0, st.w.blocks);
  } else {
    ctx.pool->parallel_for(st.w.blocks, 1, blocks);
  }
  return ok_status();
}

KernelDesc desc(const char* name, const char* op, const char* domain, Isa isa, int priority,
                AcceptsFn accepts, PrepareFn prepare) {
  return matmul_kernel_desc(name, op, domain, isa, priority, accepts, prepare, &run_nm24_matmul);
}

}  // namespace

void register_cpu_nm24_matmul_kernels(KernelRegistry& r) {
  // Each 3 above the dense GEMM descriptor of the same ISA (30 / 20), 2 below CSR's.
  r.add(desc("matmul_f32_2_4__avx512", "MatMul", "", Isa::kAvx512, 33, &accepts_nm24_matmul<Isa::kAvx512>,
             &prepare_nm24_matmul_for<Isa::kAvx512, false>));
  r.add(desc("matmul_f32_2_4__avx2", "MatMul", "", Isa::kAvx2, 23, &accepts_nm24_matmul<Isa::kAvx2>,
             &prepare_nm24_matmul_for<Isa::kAvx2, false>));
  r.add(desc("fused_matmul_f32_2_4__avx512", "FusedMatMul", "fastserve", Isa::kAvx512, 33,
             &accepts_nm24_matmul<Isa::kAvx512>, &prepare_nm24_matmul_for<Isa::kAvx512, false>));
  r.add(desc("fused_matmul_f32_2_4__avx2", "FusedMatMul", "fastserve", Isa::kAvx2, 23,
             &accepts_nm24_matmul<Isa::kAvx2>, &prepare_nm24_matmul_for<Isa::kAvx2, false>));
  r.add(desc("gemm_f32_2_4__avx512", "Gemm", "", Isa::kAvx512, 33, &accepts_nm24_gemm<Isa::kAvx512>,
             &prepare_nm24_matmul_for<Isa::kAvx512, true>));
  r.add(desc("gemm_f32_2_4__avx2", "Gemm", "", Isa::kAvx2, 23, &accepts_nm24_gemm<Isa::kAvx2>,
             &prepare_nm24_matmul_for<Isa::kAvx2, true>));
}

}  // namespace fastserve
