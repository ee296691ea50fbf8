// Fused scaled-dot-product attention, fastserve.Attention (graph/ops_fastserve.def),
// one descriptor per ISA (portable, avx2, avx512).
//
// Work split: one task per (batch, head, block of up to 128 query rows, fewer
// when that leaves under 2 tasks per thread), taken by ctx.pool's threads;
// each task runs its GEMMs serially.
// Per task, keys are walked in blocks of kKBlock with an online softmax
// (Milakov & Gimelshein 2018; the FlashAttention schedule):
//   S = scale * Q_blk K_blk^T            gemm_f32, K read transposed in place
//   masks: keep false / causal -> fill, then + additive mask (strided, 0 for
//          broadcast dims: kernels/ref/attention_geometry.h)
//   per row: m' = max(m, rowmax S); P = exp(S - m'); l = l e^(m - m') + sum P;
//            Y_row *= e^(m - m')
//   Y_blk += P V_blk                     gemm_f32 with beta 1, written straight
//                                        into Y (either layout, by ldc)
// and finally Y_row /= l. The running max starts at -inf with nothing
// accumulated, so a block that is all -inf contributes zeros instead of NaN;
// a row whose scores are all -inf gives NaN, as the unfused Softmax does, and
// a row of all finite fill gives the uniform average (same as unfused).
// Causal with no masks and a fill <= -1e30 skips the key blocks past the
// block's last allowed key: their exp(fill - m) is exactly 0.
// The scores block lives in thread_scratch slot 7; run() does not allocate.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "kernels/cpu/gemm/gemm.h"
#include "kernels/cpu/softmax/softmax_ukernels.h"
#include "kernels/ref/attention_geometry.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kQBlock = 128;  // most query rows per task: one packed K block serves them all
constexpr int64_t kQBlockMin = 32; // halved down to this while there are fewer than 2 tasks per thread
constexpr int64_t kKBlock = 256;  // keys per online-softmax step (S block: up to 128 KiB)
constexpr int kScratchSlot = 7;   // thread_scratch slot (gemm.h lists the others)

struct AttentionPlan {
  AttentionAttrs attrs;
  const GemmUkernel* gemm = nullptr;
  const SoftmaxUkernels* softmax = nullptr;
};

template <Isa kIsa>
Status prepare_attention(const NodeView& node, PrepareContext& ctx) {
  auto plan = std::make_shared<AttentionPlan>();
  plan->attrs = attention_attrs(node);
  plan->gemm = &gemm_ukernel_for_isa(kIsa);
  if constexpr (kIsa == Isa::kAvx512) {
    plan->softmax = &kSoftmaxUkernelsAvx512;
  } else if constexpr (kIsa == Isa::kAvx2) {
    plan->softmax = &kSoftmaxUkernelsAvx2;
  } else {
    plan->softmax = &kSoftmaxUkernelsScalar;
  }
  ctx.state = std::move(plan);
  return ok_status();
}

struct AttentionArgs {
  const AttentionPlan* plan;
  const AttentionGeometry* g;
  const float* q;
  const float* k;
  const float* v;
  const float* add;  // null when absent
  const bool* keep;  // null when absent
  float* y;
  bool skip_causal_blocks;
};

// Masks of rows [i0, i0 + mq) x keys [j0, j0 + nk) applied to S (ld nk).
void apply_masks(const AttentionArgs& a, int64_t b, int64_t h, int64_t i0, int64_t mq, int64_t j0, int64_t nk,
                 float* s) {
  const AttentionGeometry& g = *a.g;
  const AttentionAttrs& at = a.plan->attrs;
  for (int64_t r = 0; r < mq; ++r) {
    const int64_t i = i0 + r;
    float* row = s + r * nk;
    if (a.keep != nullptr) {
      const bool* kr = a.keep + b * g.keep.b + h * g.keep.h + i * g.keep.q + j0 * g.keep.k;
      for (int64_t j = 0; j < nk; ++j) {
        if (!kr[j * g.keep.k]) row[j] = at.fill;
      }
    }
    if (at.causal) {
      // Keys j0 + j > i + offset are excluded.
      const int64_t first_out = std::clamp<int64_t>(i + g.causal_offset + 1 - j0, 0, nk);
      for (int64_t j = first_out; j < nk; ++j) row[j] = at.fill;
    }
    if (a.add != nullptr) {
      const float* ar = a.add + b * g.add.b + h * g.add.h + i * g.add.q + j0 * g.add.k;
      for (int64_t j = 0; j < nk; ++j) row[j] += ar[j * g.add.k];
    }
  }
}

void attend_block(const AttentionArgs& a, int64_t b, int64_t h, int64_t i0, int64_t mq) {
  const AttentionGeometry& g = *a.g;
  const AttentionPlan& p = *a.plan;
  const SoftmaxUkernels& sm = *p.softmax;
  float* s = thread_scratch(static_cast<size_t>(kQBlock * kKBlock + 2 * kQBlock), kScratchSlot);
  float* row_max = s + kQBlock * kKBlock;
  float* row_sum = row_max + kQBlock;
  const float* qb = a.q + b * g.q.b + h * g.q.h + i0 * g.q.s;
  float* yb = a.y + b * g.y.b + h * g.y.h + i0 * g.y.s;
  int64_t kend = g.sk;
  if (a.skip_causal_blocks) kend = std::min(g.sk, i0 + mq + g.causal_offset);
  for (int64_t r = 0; r < mq; ++r) {
    row_max[r] = -INFINITY;
    row_sum[r] = 0.f;
  }
  bool first = true;
  for (int64_t j0 = 0; j0 < kend; j0 += kKBlock) {
    const int64_t nk = std::min(kKBlock, kend - j0);
    GemmArgs qk;
    qk.m = mq;
    qk.n = nk;
    qk.k = g.d;
    qk.a = {qb, g.q.s, false};
    qk.b = {a.k + b * g.k.b + h * g.k.h + j0 * g.k.s, g.k.s, true};
    qk.c = s;
    qk.ldc = nk;
    qk.alpha = p.attrs.scale;
    gemm_f32(*p.gemm, qk, nullptr);
    if (a.keep != nullptr || a.add != nullptr || p.attrs.causal) apply_masks(a, b, h, i0, mq, j0, nk, s);
    for (int64_t r = 0; r < mq; ++r) {
      float* row = s + r * nk;
      const float m_old = row_max[r];
      const float m_new = std::max(m_old, sm.row_max(row, nk));
      // Shift by 0 while everything is -inf: exp(-inf) = 0, not exp(NaN).
      const float shift = m_new == -INFINITY ? 0.f : m_new;
      const float block_sum = sm.exp_shift_sum(row, row, nk, shift);
      if (!first) {
        const float corr = m_old == -INFINITY ? 0.f : std::exp(m_old - m_new);
        row_sum[r] = row_sum[r] * corr + block_sum;
        if (corr != 1.f) sm.scale(yb + r * g.y.s, g.dv, corr);
      } else {
        row_sum[r] = block_sum;
      }
      row_max[r] = m_new;
    }
    GemmArgs pv;
    pv.m = mq;
    pv.n = g.dv;
    pv.k = nk;
    pv.a = {s, nk, false};
    pv.b = {a.v + b * g.v.b + h * g.v.h + j0 * g.v.s, g.v.s, false};
    pv.c = yb;
    pv.ldc = g.y.s;
    pv.beta = first ? 0.f : 1.f;
    gemm_f32(*p.gemm, pv, nullptr);
    first = false;
  }
  for (int64_t r = 0; r < mq; ++r) {
    float* yr = yb + r * g.y.s;
    if (first || row_max[r] == -INFINITY) {
      // No keys (Sk = 0: the empty product is 0) or all scores -inf (the
      // unfused Softmax gives NaN).
      std::fill(yr, yr + g.dv, first ? 0.f : std::numeric_limits<float>::quiet_NaN());
    } else {
      sm.scale(yr, g.dv, 1.0f / row_sum[r]);
    }
  }
}

Status run_attention(const KernelContext& ctx) {
  const AttentionPlan& plan = ctx.state_as<AttentionPlan>();
  const Tensor* add = ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
  const Tensor* keep = ctx.inputs.size() > 4 ? ctx.inputs[4] : nullptr;
  FS_ASSIGN_OR_RETURN(AttentionGeometry g, attention_geometry(ctx.node, plan.attrs, *ctx.inputs[0], *ctx.inputs[1],
                                                              *ctx.inputs[2], add, keep));
  if (ctx.outputs[0]->numel() == 0) return ok_status();
  AttentionArgs a{&plan,
                  &g,
                  ctx.inputs[0]->data<float>(),
                  ctx.inputs[1]->data<float>(),
                  ctx.inputs[2]->data<float>(),
                  add != nullptr ? add->data<float>() : nullptr,
                  keep != nullptr ? keep->data<bool>() : nullptr,
                  ctx.outputs[0]->data<float>(),
                  false};
  a.skip_causal_blocks = plan.attrs.causal && add == nullptr && keep == nullptr && plan.attrs.fill <= -1e30f;
  // Larger query blocks pack each K block for more rows; smaller ones keep
  // every thread busy when B x H is small.
  int64_t q_block = kQBlock;
  auto blocks = [&](int64_t qb) { return g.batch * g.heads * ((g.sq + qb - 1) / qb); };
  while (q_block > kQBlockMin && blocks(q_block) < 2 * ctx.pool->num_threads()) q_block /= 2;
  const int64_t qblocks = (g.sq + q_block - 1) / q_block;
  ctx.pool->parallel_for(g.batch * g.heads * qblocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t qb = t % qblocks;
      const int64_t bh = t / qblocks;
      const int64_t i0 = qb * q_block;
      const int64_t mq = std::min(q_block, g.sq - i0);
      AttentionArgs task = a;
      // Rows with no allowed key at all (Sk < Sq) keep every block, so they
      // see fill like the unfused graph.
      if (task.skip_causal_blocks && i0 + g.causal_offset < 0) task.skip_causal_blocks = false;
      attend_block(task, bh / g.heads, bh % g.heads, i0, mq);
    }
  });
  return ok_status();
}

KernelDesc attention_desc(const char* name, Isa isa, int priority, PrepareFn prepare) {
  return KernelDesc{.name = name, .op_type = "Attention", .domain = "fastserve", .dtype = DType::kF32,
                    .required_isa = isa, .priority = priority, .prepare = prepare, .run = &run_attention};
}

}  // namespace

void register_cpu_attention_kernels(KernelRegistry& r) {
  r.add(attention_desc("attention_f32__avx512", Isa::kAvx512, 30, &prepare_attention<Isa::kAvx512>));
  r.add(attention_desc("attention_f32__avx2", Isa::kAvx2, 20, &prepare_attention<Isa::kAvx2>));
  r.add(attention_desc("attention_f32__portable", Isa::kScalar, 10, &prepare_attention<Isa::kScalar>));
}

}  // namespace fastserve
