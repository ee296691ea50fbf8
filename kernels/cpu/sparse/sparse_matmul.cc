// matmul_f32_sparse__*, fused_matmul_f32_sparse__*, gemm_f32_sparse__*
// ({avx512,avx2,portable}): MatMul / fastserve.FusedMatMul / Gemm whose B
// is a pruned constant matrix, FP32, on the SpMM microkernel
// (spmm_ukernel.h).
//
// Y[M, N] = A[M, K] * B[K, N] is computed transposed, Y^T = B^T * A^T, so
// that the sparse operand is on the left: B^T [N x K] is stored in CSR at
// prepare (output features are its rows; Gemm's alpha folded into the
// values, its constant C times beta kept as the per-feature bias), and
// A^T is dense:
//   * M = 1 (a batch-1 linear layer): each output feature is one sparse
//     dot product with the activation row (the SpMV kernel, gathering A),
//     the output features split over the threads.
//   * M > 1: A goes in blocks of 64 rows; each block is transposed into a
//     K x 64 panel, every row of B^T runs over it into a N x 64 block, and
//     the block is transposed into Y's rows. Tasks are (row block, feature
//     range), the ranges only split when there are fewer row blocks than
//     threads.
// A (for MatMul, its batch dims folded into M) must be contiguous; B has no
// batch dims. Bias per feature and Relu / Clip in the microkernel; other
// FusedMatMul activations over Y's rows after.
//
// Chosen over the dense GEMM when B has at least kSparseGemmMinSparsity
// zeros (the measured break-even, sparse_matrix.h).
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/gemm/gemm.h"
#include "kernels/cpu/sparse/matmul_run_operands.h"
#include "kernels/cpu/sparse/spmm_ukernel.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int kSlotPanel = 3;  // a task's transposed A block (K x 64)
constexpr int kSlotBlock = 7;  // a task's output block (features x 64)
// Below this many multiply-adds (nonzeros x rows of A) one thread is faster
// than waking the pool.
constexpr int64_t kMinParallelMacs = int64_t{1} << 15;

struct SparseMatMulState {
  const SpmmUkernel* uk = nullptr;
  SparseMatrix bt;                  // B^T [N, K]
  std::vector<float> bias;          // Gemm: beta * C per feature, else empty
  ConvActivation act;               // FusedMatMul's activation
  std::vector<int32_t> panel_doff;  // col * 64: each nonzero's row of a transposed A block
};

bool sparse_b(const NodeView& node) {
  const Tensor* b = node.input_value(1);
  return node.input_dtype(0) == DType::kF32 && b != nullptr && b->dtype() == DType::kF32 && b->rank() == 2 &&
         b->numel() > 0 && zero_fraction_at_least(*b, kSparseGemmMinSparsity);
}

bool accepts_sparse_matmul(const NodeView& node) {
  if (!sparse_b(node)) return false;
  return !node.has_input(2) || node.input_dtype(2) == DType::kF32;  // FusedMatMul's bias
}

// Gemm: transA = 0 and C absent or a constant per-feature vector ([N], [1, N], scalar).
bool accepts_sparse_gemm(const NodeView& node) {
  if (!sparse_b(node) || node.attr_int("transA", 0) != 0) return false;
  if (!node.has_input(2)) return true;
  const Tensor* c = node.input_value(2);
  if (c == nullptr || c->dtype() != DType::kF32) return false;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const int64_t n = trans_b ? node.input_value(1)->dim(0) : node.input_value(1)->dim(1);
  if (c->numel() == 1) return true;
  return c->numel() == n && (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1));
}

Status prepare_sparse_matmul(const NodeView& node, PrepareContext& ctx, Isa isa, bool gemm) {
  auto st = std::make_shared<SparseMatMulState>();
  st->uk = &spmm_ukernel_for_isa(isa);
  const Tensor* b = node.input_value(1);
  if (b == nullptr || b->rank() != 2)
    return node.error(StatusCode::kInvalidArgument, "B must be a constant matrix");
  const bool trans_b = gemm && node.attr_int("transB", 0) != 0;
  const int64_t k = trans_b ? b->dim(1) : b->dim(0), n = trans_b ? b->dim(0) : b->dim(1);
  const float alpha = gemm ? node.attr_float("alpha", 1.f) : 1.f;
  // B^T[r][c] = B[c][r] (or B[r][c] when B is stored transposed).
  st->bt = trans_b ? sparse_from_dense(b->data<float>(), n, k, k, 1, alpha)
                   : sparse_from_dense(b->data<float>(), n, k, 1, n, alpha);
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
  st->panel_doff = plain_nonzero_offsets(st->bt, kSpmmBlock);
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa, bool kGemm>
Status prepare_sparse_matmul_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_sparse_matmul(node, ctx, kIsa, kGemm);
}

Status run_sparse_matmul(const KernelContext& ctx) {
  const SparseMatMulState& st = ctx.state_as<SparseMatMulState>();
  const Tensor& a = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t n = st.bt.rows, k = st.bt.cols;
  FS_ASSIGN_OR_RETURN(const MatMulRunOperands ops, matmul_run_operands(ctx, n, k, st.bias));
  if (y.numel() == 0) return ok_status();
  const int64_t m = ops.m;
  const float* bias = ops.bias;
  SpmmParams params;
  params.bias = bias;
  params.activation = st.act.gemm;
  params.clamp_min = st.act.clamp_min;
  params.clamp_max = st.act.clamp_max;
  const SpmmFn spmm = st.uk->fn;
  const float* ad = a.data<float>();
  float* yd = y.data<float>();
  const bool small = st.bt.nnz() * m < kMinParallelMacs;
  const int threads = small ? 1 : ctx.pool->num_threads();
  if (m == 1) {
    auto rows = [&](int64_t r0, int64_t r1) {
      st.uk->spmv(st.bt, r0, r1, ad, yd, params);
      if (!st.act.gemm_fused) st.act.apply(yd + r0, r1 - r0);
    };
    if (small) {
      rows(0, n);
    } else {
      ctx.pool->parallel_for(n, 64, rows);
    }
    return ok_status();
  }
  const int64_t m_blocks = (m + kSpmmBlock - 1) / kSpmmBlock;
  const int64_t n_blocks =
      m_blocks >= threads ? 1 : std::min<int64_t>(n, (threads + m_blocks - 1) / m_blocks);
  auto tasks = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t mb = t / n_blocks, nb = t % n_blocks;
      const int64_t m0 = mb * kSpmmBlock, mc = std::min(kSpmmBlock, m - m0);
      const int64_t r0 = nb * n / n_blocks, r1 = (nb + 1) * n / n_blocks;
      float* panel = thread_scratch(static_cast<size_t>(k * kSpmmBlock), kSlotPanel);
      for (int64_t j = 0; j < mc; ++j) {
        const float* row = ad + (m0 + j) * k;
        for (int64_t i = 0; i < k; ++i) panel[i * kSpmmBlock + j] = row[i];
      }
      float* block = thread_scratch(static_cast<size_t>(n * kSpmmBlock), kSlotBlock);
      spmm(st.bt, r0, r1, panel, st.panel_doff.data(), mc, block, kSpmmBlock, params);
      for (int64_t j = 0; j < mc; ++j) {
        float* out = yd + (m0 + j) * n;
        for (int64_t r = r0; r < r1; ++r) out[r] = block[r * kSpmmBlock + j];
        if (!st.act.gemm_fused) st.act.apply(out + r0, r1 - r0);
      }
    }
  };
  if (small) {
    tasks(0, m_blocks * n_blocks);
  } else {
    ctx.pool->parallel_for(m_blocks * n_blocks, 1, tasks);
  }
  return ok_status();
}

KernelDesc desc(const char* name, const char* op, const char* domain, Isa isa, int priority,
                AcceptsFn accepts, PrepareFn prepare) {
  return matmul_kernel_desc(name, op, domain, isa, priority, accepts, prepare, &run_sparse_matmul);
}

}  // namespace

void register_cpu_sparse_matmul_kernels(KernelRegistry& r) {
  // Each 5 above the dense GEMM descriptor of the same ISA (30 / 20 / 10).
  r.add(desc("matmul_f32_sparse__avx512", "MatMul", "", Isa::kAvx512, 35, &accepts_sparse_matmul,
             &prepare_sparse_matmul_for<Isa::kAvx512, false>));
  r.add(desc("matmul_f32_sparse__avx2", "MatMul", "", Isa::kAvx2, 25, &accepts_sparse_matmul,
             &prepare_sparse_matmul_for<Isa::kAvx2, false>));
  r.add(desc("matmul_f32_sparse__portable", "MatMul", "", Isa::kScalar, 15, &accepts_sparse_matmul,
             &prepare_sparse_matmul_for<Isa::kScalar, false>));
  r.add(desc("fused_matmul_f32_sparse__avx512", "FusedMatMul", "fastserve", Isa::kAvx512, 35,
             &accepts_sparse_matmul, &prepare_sparse_matmul_for<Isa::kAvx512, false>));
  r.add(desc("fused_matmul_f32_sparse__avx2", "FusedMatMul", "fastserve", Isa::kAvx2, 25,
             &accepts_sparse_matmul, &prepare_sparse_matmul_for<Isa::kAvx2, false>));
  r.add(desc("fused_matmul_f32_sparse__portable", "FusedMatMul", "fastserve", Isa::kScalar, 15,
             &accepts_sparse_matmul, &prepare_sparse_matmul_for<Isa::kScalar, false>));
  r.add(desc("gemm_f32_sparse__avx512", "Gemm", "", Isa::kAvx512, 35, &accepts_sparse_gemm,
             &prepare_sparse_matmul_for<Isa::kAvx512, true>));
  r.add(desc("gemm_f32_sparse__avx2", "Gemm", "", Isa::kAvx2, 25, &accepts_sparse_gemm,
             &prepare_sparse_matmul_for<Isa::kAvx2, true>));
  r.add(desc("gemm_f32_sparse__portable", "Gemm", "", Isa::kScalar, 15, &accepts_sparse_gemm,
             &prepare_sparse_matmul_for<Isa::kScalar, true>));
}

}  // namespace fastserve
