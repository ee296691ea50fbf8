// conv_f32_sparse__{avx512,avx2,portable} (and fused_conv_f32_sparse__*):
// 1-D / 2-D FP32 convolution with a pruned constant W, group 1, NCHW, for
// Conv and fastserve.FusedConv (bias, residual Z, activation).
//
// Per image: Y[M, OH*OW] = W[M, K] * B[K, OH*OW] + bias with W in CSR
// (sparse_matrix.h, built once at prepare: K = C*kh*kw, zeros dropped) and
// B the im2col columns, so only W's nonzeros are multiplied. B is produced
// in panels of 64 columns (im2col_pack_panels with nr = 64: K x 64 floats,
// k-major), each panel stays in L2 while every row of W runs over it (the
// SpMM microkernel, spmm_ukernel.h). A 1x1 stride-1 unpadded conv reads the
// input itself as B (its rows are the channel planes, ldd = H*W).
//
// Work split: tasks of (panel range, row range). With at least two panels
// per thread each task packs its own panel (per-thread scratch) and runs
// all M rows over it; a small image (ResNet's 7x7: one panel) is packed once,
// shared, and the rows of W are split instead.
//
// Epilogue: Z is copied into Y's block and added (beta = 1); Relu / Clip in
// the microkernel; other activations over the block after.
//
// Chosen by conv_algo.cc when W has at least kSparseConvMinSparsity zeros.
#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/cpu/conv/conv_algo.h"
#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/conv/im2col.h"
#include "kernels/cpu/gemm/gemm.h"
#include "kernels/cpu/sparse/spmm_ukernel.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int kSlotSharedB = 2;  // all panels of one image (caller thread)
constexpr int kSlotTaskB = 3;    // one task's panels (each worker thread)
constexpr int kSlotPaddedX = 6;  // the zero-padded input of one image (caller thread)

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct SparseConvState {
  const SpmmUkernel* uk = nullptr;
  WindowAttrs attrs;
  SparseMatrix w;  // [M, C*kh*kw]
  ConvActivation act;
};

Status prepare_sparse_conv(const NodeView& node, PrepareContext& ctx, Isa isa) {
  auto st = std::make_shared<SparseConvState>();
  st->uk = &spmm_ukernel_for_isa(isa);
  const Shape& ws = node.input(1).shape;
  const size_t nd = ws.rank() - 2;
  FS_ASSIGN_OR_RETURN(st->attrs,
                      parse_window_attrs(node, nd, std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  if (node.attr_int("group", 1) != 1) {
    return node.error(StatusCode::kInvalidArgument, "the sparse conv runs group 1 only");
  }
  const Tensor* w = node.input_value(1);
  if (w == nullptr) return node.error(StatusCode::kInvalidArgument, "the sparse conv needs a constant W");
  const int64_t k = w->numel() / ws[0];
  st->w = sparse_from_dense(w->data<float>(), ws[0], k, k, 1);
  FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, isa));
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_sparse_conv_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_sparse_conv(node, ctx, kIsa);
}

// One image's product, cut into tasks.
struct ImageSpmm {
  const SparseConvState* st;
  const Conv2dPlan* plan;
  Im2colInput x;
  int64_t m, n, k;
  const float* direct_b;  // the input as B (1x1 stride 1 unpadded), else null
  const float* shared_b;  // all panels packed up front, else null
  const float* bias;
  const float* z;
  float* y;
  int64_t panel_blocks, row_blocks;
};

void run_task(const ImageSpmm& g, int64_t task) {
  const int64_t rb = task / g.panel_blocks, pb = task % g.panel_blocks;
  const int64_t panels = ceil_div(g.n, kSpmmBlock);
  const int64_t p0 = pb * panels / g.panel_blocks, p1 = (pb + 1) * panels / g.panel_blocks;
  const int64_t r0 = rb * g.m / g.row_blocks, r1 = (rb + 1) * g.m / g.row_blocks;
  if (p0 >= p1 || r0 >= r1) return;
  const int64_t c0 = p0 * kSpmmBlock, c1 = std::min(g.n, p1 * kSpmmBlock);
  SpmmParams params;
  params.bias = g.bias;
  params.activation = g.st->act.gemm;
  params.clamp_min = g.st->act.clamp_min;
  params.clamp_max = g.st->act.clamp_max;
  if (g.z != nullptr) {
    if (g.z != g.y) {
      for (int64_t r = r0; r < r1; ++r) {
        std::memcpy(g.y + r * g.n + c0, g.z + r * g.n + c0, static_cast<size_t>(c1 - c0) * sizeof(float));
      }
    }
    params.beta = 1.f;
  }
  const SpmmFn spmm = g.st->uk->fn;
  if (g.direct_b != nullptr) {
    spmm(g.st->w, r0, r1, g.direct_b + c0, g.n, c1 - c0, g.y + c0, g.n, params);
  } else {
    const float* b = g.shared_b;
    if (b == nullptr) {
      float* cols = thread_scratch(static_cast<size_t>((p1 - p0) * kSpmmBlock * g.k), kSlotTaskB);
      im2col_pack_panels(*g.plan, g.x, kSpmmBlock, p0, p1, cols);
      b = cols;
    } else {
      b += p0 * kSpmmBlock * g.k;
    }
    // Panel by panel: each K x 64 panel is D with ldd = 64.
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t cp = p * kSpmmBlock;
      spmm(g.st->w, r0, r1, b + (p - p0) * kSpmmBlock * g.k, kSpmmBlock, std::min(kSpmmBlock, g.n - cp), g.y + cp,
           g.n, params);
    }
  }
  if (!g.st->act.gemm_fused) {
    for (int64_t r = r0; r < r1; ++r) g.st->act.apply(g.y + r * g.n + c0, c1 - c0);
  }
}

Status run_sparse_conv(const KernelContext& ctx) {
  const SparseConvState& st = ctx.state_as<SparseConvState>();
  const Tensor& x = *ctx.inputs[0];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const Conv2dPlan p, conv2d_plan_for_run(ctx, st.attrs, 1));
  FS_ASSIGN_OR_RETURN(const float* zd, conv_residual(ctx));
  if (y.numel() == 0) return ok_status();
  const int64_t m = p.out_channels, n = p.oh * p.ow, k = p.channels * p.kh * p.kw;
  if (st.w.rows != m || st.w.cols != k) {
    return ctx.node.error(StatusCode::kInvalidArgument, "input has " + std::to_string(p.channels) +
                                                            " channels; W was prepared for K = " +
                                                            std::to_string(st.w.cols));
  }
  const bool direct = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                      p.pad_left == 0 && p.oh == p.h && p.ow == p.w;
  const int threads = ctx.pool->num_threads();
  const int64_t panels = ceil_div(n, kSpmmBlock);
  const bool split_rows = threads > 1 && panels < 2 * threads;
  const int64_t padded_floats = direct ? 0 : im2col_padded_floats(p);
  float* x_padded = padded_floats > 0 ? thread_scratch(static_cast<size_t>(padded_floats), kSlotPaddedX) : nullptr;
  float* shared =
      split_rows && !direct ? thread_scratch(static_cast<size_t>(panels * kSpmmBlock * k), kSlotSharedB) : nullptr;
  for (int64_t img = 0; img < p.batch; ++img) {
    ImageSpmm g{};
    g.st = &st;
    g.plan = &p;
    g.m = m;
    g.n = n;
    g.k = k;
    const float* x_img = x.data<float>() + img * p.channels * p.h * p.w;
    if (direct) {
      g.direct_b = x_img;
    } else {
      g.x = im2col_input(p, x_img, x_padded, ctx.pool);
    }
    g.bias = bias != nullptr ? bias->data<float>() : nullptr;
    g.y = y.data<float>() + img * m * n;
    g.z = zd != nullptr ? zd + img * m * n : nullptr;
    if (split_rows) {
      if (shared != nullptr) {
        ctx.pool->parallel_for(panels, 1, [&](int64_t b, int64_t e) {
          im2col_pack_panels(p, g.x, kSpmmBlock, b, e, shared + b * kSpmmBlock * k);
        });
        g.shared_b = shared;
      }
      g.panel_blocks = panels;
      g.row_blocks = std::min<int64_t>(m, ceil_div(2 * threads, std::max<int64_t>(panels, 1)));
    } else {
      g.panel_blocks = threads > 1 ? panels : 1;  // one panel per task: each is K x 64 floats of scratch
      g.row_blocks = 1;
    }
    ctx.pool->parallel_for(g.panel_blocks * g.row_blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) run_task(g, t);
    });
  }
  return ok_status();
}

}  // namespace

void register_cpu_conv_sparse_kernels(KernelRegistry& r) {
  // Above every dense algorithm of the same ISA; conv_algo.cc hands a node
  // to kSparse only (the others refuse it), so the ISA order decides.
  add_conv_descriptors(r, "conv_f32_sparse__avx512", "fused_conv_f32_sparse__avx512", Isa::kAvx512, 63,
                       &accepts_conv_algo<ConvAlgo::kSparse>, &prepare_sparse_conv_for<Isa::kAvx512>,
                       &run_sparse_conv);
  add_conv_descriptors(r, "conv_f32_sparse__avx2", "fused_conv_f32_sparse__avx2", Isa::kAvx2, 53,
                       &accepts_conv_algo<ConvAlgo::kSparse>, &prepare_sparse_conv_for<Isa::kAvx2>, &run_sparse_conv);
  add_conv_descriptors(r, "conv_f32_sparse__portable", "fused_conv_f32_sparse__portable", Isa::kScalar, 43,
                       &accepts_conv_algo<ConvAlgo::kSparse>, &prepare_sparse_conv_for<Isa::kScalar>,
                       &run_sparse_conv);
}

}  // namespace fastserve
