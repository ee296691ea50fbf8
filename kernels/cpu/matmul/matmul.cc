// matmul_f32__{avx512,avx2,portable}: MatMul (numpy semantics: 1-D operands,
// batched, broadcast batch dims) on the GEMM engine, FP32, row-major.
// One descriptor per microkernel ISA; the registry takes the best the
// session's ISA allows.
//
// A constant B (weights) is packed once at prepare(), one packed matrix per
// B batch. When B has no batch dims (a linear layer) A's batch dims fold
// into M: one GEMM of (batch*M) x N. Otherwise each batch is one GEMM; many
// small batches (attention) are spread over the pool one GEMM per task,
// while few large ones use the pool inside each GEMM.
//
// fused_matmul_f32__*: fastserve.FusedMatMul, the same GEMMs with the bias
// (per column) and Relu/Clip in the GEMM epilogue; other activations (Gelu,
// ...) run as a vectorized pass over each GEMM's output right after it.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Operand dims after numpy's 1-D promotion, with batch dims right-aligned.
struct MatMulDims {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_batch, b_batch, out_batch;
  int64_t batches = 1;       // product of out_batch
  int64_t b_batches = 1;     // product of b_batch
  bool b_shared = true;      // every b_batch dim is 1
};

MatMulDims matmul_dims(const Shape& a_shape, const Shape& b_shape) {
  std::vector<int64_t> ad = a_shape.dims(), bd = b_shape.dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  MatMulDims d;
  d.m = ad[ad.size() - 2];
  d.k = ad.back();
  d.n = bd.back();
  const size_t rank = std::max(ad.size(), bd.size()) - 2;
  d.a_batch.assign(rank, 1);
  d.b_batch.assign(rank, 1);
  d.out_batch.assign(rank, 1);
  for (size_t i = 0; i + 2 < ad.size(); ++i) d.a_batch[rank - (ad.size() - 2) + i] = ad[i];
  for (size_t i = 0; i + 2 < bd.size(); ++i) d.b_batch[rank - (bd.size() - 2) + i] = bd[i];
  for (size_t i = 0; i < rank; ++i) {
    d.out_batch[i] = std::max(d.a_batch[i], d.b_batch[i]);
    d.batches *= d.out_batch[i];
    d.b_batches *= d.b_batch[i];
    if (d.b_batch[i] != 1) d.b_shared = false;
  }
  return d;
}

// Batch index (flat over out_batch) -> flat index into a broadcast operand's batch.
int64_t broadcast_batch_index(int64_t flat, const std::vector<int64_t>& out_batch,
                              const std::vector<int64_t>& operand_batch) {
  int64_t index = 0, scale = 1;
  for (size_t i = out_batch.size(); i-- > 0;) {
    const int64_t coord = flat % out_batch[i];
    flat /= out_batch[i];
    if (operand_batch[i] != 1) index += coord * scale;
    scale *= operand_batch[i];
  }
  return index;
}

struct MatMulState {
  const GemmUkernel* uk = nullptr;
  std::vector<AlignedFloats> packed_b;  // one per B batch when B is constant, else empty
  ConvActivation act;                   // FusedMatMul's activation (none for MatMul)
};

Status prepare_matmul(const NodeView& node, PrepareContext& ctx, const GemmUkernel& uk, Isa isa) {
  auto state = std::make_shared<MatMulState>();
  state->uk = &uk;
  FS_ASSIGN_OR_RETURN(state->act, parse_conv_activation(node, isa));
  if (const Tensor* b = node.input_value(1); b != nullptr && b->rank() >= 1) {
    // B alone fixes K, N and its batch count (A only adds broadcasting).
    const Shape& bs = b->shape();
    const int64_t k = bs.rank() == 1 ? bs[0] : bs[bs.rank() - 2];
    const int64_t n = bs.rank() == 1 ? 1 : bs[bs.rank() - 1];
    const int64_t b_batches = k * n == 0 ? 0 : b->numel() / (k * n);
    const float* data = b->data<float>();
    for (int64_t i = 0; i < b_batches; ++i) {
      state->packed_b.push_back(pack_b(uk, k, n, GemmOperand{data + i * k * n, n, false}));
    }
    ctx.packed_inputs |= 1u << 1;
  }
  ctx.state = std::move(state);
  return ok_status();
}

template <Isa kIsa>
Status prepare_matmul_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_matmul(node, ctx, gemm_ukernel_for_isa(kIsa), kIsa);
}

bool accepts_matmul(const NodeView& node) { return node.input_dtype(1) == DType::kF32; }

// FusedMatMul's bias (input 2): float32 [N]; null when absent.
Result<const float*> matmul_bias(const KernelContext& ctx, int64_t n, const Tensor& b) {
  if (ctx.inputs.size() < 3 || ctx.inputs[2] == nullptr) return static_cast<const float*>(nullptr);
  const Tensor& bias = *ctx.inputs[2];
  if (bias.dtype() != DType::kF32 || bias.rank() != 1 || bias.dim(0) != n || b.rank() < 2) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "bias is " + bias.to_string() + ", want float32 [" + std::to_string(n) + "]");
  }
  return bias.data<float>();
}

Status run_matmul(const KernelContext& ctx) {
  const MatMulState& st = ctx.state_as<MatMulState>();
  const GemmUkernel& uk = *st.uk;
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const MatMulDims d = matmul_dims(a.shape(), b.shape());
  if (y.numel() == 0) return ok_status();
  const bool prepacked = !st.packed_b.empty();
  FS_CHECK(!prepacked || static_cast<int64_t>(st.packed_b.size()) == d.b_batches);
  FS_ASSIGN_OR_RETURN(const float* bias, matmul_bias(ctx, d.n, b));
  const float* ad = a.data<float>();
  const float* bd = b.data<float>();
  float* yd = y.data<float>();
  GemmEpilogue epilogue;
  if (bias != nullptr) {
    epilogue.bias_kind = GemmBias::kPerColumn;
    epilogue.bias = bias;
  }
  epilogue.activation = st.act.gemm;
  epilogue.clamp_min = st.act.clamp_min;
  epilogue.clamp_max = st.act.clamp_max;
  // The activation the GEMM epilogue cannot apply, over rows of C (in
  // cache: each GEMM's output right after it).
  auto finish = [&](float* c, int64_t rows, ThreadPool* pool) {
    if (st.act.gemm_fused) return;
    if (pool == nullptr) {
      st.act.apply(c, rows * d.n);
      return;
    }
    pool->parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d.n)),
                       [&](int64_t r0, int64_t r1) { st.act.apply(c + r0 * d.n, (r1 - r0) * d.n); });
  };

  auto batch_args = [&](int64_t batch) {
    const int64_t ai = broadcast_batch_index(batch, d.out_batch, d.a_batch);
    const int64_t bi = broadcast_batch_index(batch, d.out_batch, d.b_batch);
    GemmArgs args;
    args.m = d.m;
    args.n = d.n;
    args.k = d.k;
    args.a = GemmOperand{ad + ai * d.m * d.k, d.k, false};
    // A packed B's tensor may have no data left (PrepareContext::packed_inputs).
    if (prepacked) {
      args.b_packed = st.packed_b[static_cast<size_t>(bi)].data();
    } else {
      args.b = GemmOperand{bd + bi * d.k * d.n, d.n, false};
    }
    args.c = yd + batch * d.m * d.n;
    args.ldc = d.n;
    args.epilogue = epilogue;
    return args;
  };

  // B shared by every batch and A's batches not broadcast: A is one
  // contiguous (batch*M) x K matrix.
  const int64_t a_batches = d.batches;
  bool a_full = true;
  for (size_t i = 0; i < d.a_batch.size(); ++i) a_full = a_full && d.a_batch[i] == d.out_batch[i];
  if (d.b_shared && a_full) {
    GemmArgs args = batch_args(0);
    args.m = d.m * a_batches;
    gemm_f32(uk, args, ctx.pool);
    finish(yd, args.m, ctx.pool);
    return ok_status();
  }
  const int threads = ctx.pool->num_threads();
  const bool small = d.m * d.n * std::max<int64_t>(d.k, 1) < (int64_t{1} << 20);
  if (threads > 1 && small && d.batches >= threads) {
    ctx.pool->parallel_for(d.batches, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        gemm_f32(uk, batch_args(i), nullptr);
        finish(yd + i * d.m * d.n, d.m, nullptr);
      }
    });
  } else {
    for (int64_t i = 0; i < d.batches; ++i) {
      gemm_f32(uk, batch_args(i), ctx.pool);
      finish(yd + i * d.m * d.n, d.m, ctx.pool);
    }
  }
  return ok_status();
}

KernelDesc matmul_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  return KernelDesc{.name = name, .op_type = "MatMul", .dtype = DType::kF32, .required_isa = isa,
                    .priority = priority, .accepts = &accepts_matmul, .prepare = prepare, .run = &run_matmul};
}

KernelDesc fused_matmul_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  KernelDesc d = matmul_desc(name, isa, priority, prepare);
  d.op_type = "FusedMatMul";
  d.domain = "fastserve";
  return d;
}

}  // namespace

void register_cpu_matmul_kernels(KernelRegistry& r) {
  r.add(matmul_desc("matmul_f32__avx512", Isa::kAvx512, 30, &prepare_matmul_for<Isa::kAvx512>));
  r.add(matmul_desc("matmul_f32__avx2", Isa::kAvx2, 20, &prepare_matmul_for<Isa::kAvx2>));
  r.add(matmul_desc("matmul_f32__portable", Isa::kScalar, 10, &prepare_matmul_for<Isa::kScalar>));
  r.add(fused_matmul_desc("fused_matmul_f32__avx512", Isa::kAvx512, 30, &prepare_matmul_for<Isa::kAvx512>));
  r.add(fused_matmul_desc("fused_matmul_f32__avx2", Isa::kAvx2, 20, &prepare_matmul_for<Isa::kAvx2>));
  r.add(fused_matmul_desc("fused_matmul_f32__portable", Isa::kScalar, 10, &prepare_matmul_for<Isa::kScalar>));
}

}  // namespace fastserve
