// conv_f32_sparse__{avx512,avx2,portable} (and fused_conv_f32_sparse__*):
// 1-D / 2-D FP32 convolution with a pruned constant W, group 1, NCHW, for
// Conv and fastserve.FusedConv (bias, residual Z, activation).
//
// Per image: Y[M, OH*OW] = W[M, K] * B[K, OH*OW] + bias with W in CSR
// (sparse_matrix.h, built once at prepare: K = C*kh*kw, zeros dropped) and
// B the im2col columns, so only W's nonzeros are multiplied (the SpMM
// microkernel, spmm_ukernel.h, 64 columns at a time). Stride-1 convs never
// build B: its rows are shifted views of the zero-padded input (see Feed
// below); strided ones pack im2col panels of 64 columns.
//
// Work split: tasks of (64-column block, row range). With at least two
// blocks per thread each task takes one block and all M rows; a small image
// (ResNet's 7x7: one block) splits the rows of W instead.
//
// Epilogue: Z is copied into Y's block and added (beta = 1); Relu / Clip in
// the microkernel; other activations over the block after.
//
// K chunks: W's columns are cut into ranges of whole input channels, each
// its own CSR, so the rows of D one chunk reads for a 64-column block fit
// in half of L1 while the microkernel sweeps every output row; the chunks
// run one after the other on the same block (the later ones with beta = 1,
// bias and activation on the last). Without them a 64-channel 3x3 layer's
// block reads ~46 KiB of D per row sweep and the kernel waits on L2.
//
// Chosen by conv_algo.cc when W has at least kSparseConvMinSparsity zeros.
#include <algorithm>
#include <cstring>
#include <limits>
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

constexpr int kSlotSharedB = 2;     // all panels of one image (caller thread)
constexpr int kSlotTaskB = 3;       // one task's panel (each worker thread)
constexpr int kSlotRowOffsets = 4;  // D's row offsets, int64 (caller thread)
constexpr int kSlotPaddedX = 6;     // the zero-padded input of one image (caller thread)
constexpr int kSlotBlock = 7;       // one task's output block, kShifted (each worker thread)

// Below this many multiply-adds (nonzeros x output columns) one thread is
// faster than waking the pool (the dense convs use 1 << 16 dense MACs; a
// sparse MAC costs about twice as much: its loads are the bound).
constexpr int64_t kMinParallelMacs = int64_t{1} << 15;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Half of a 48 KiB L1: the D rows one chunk reads for one column block.
constexpr int64_t kChunkFloats = 6 * 1024;

struct SparseConvState {
  const SpmmUkernel* uk = nullptr;
  WindowAttrs attrs;
  SparseMatrix w;                    // [M, C*kh*kw]
  std::vector<SparseMatrix> chunks;  // W's nonzeros by ranges of input channels (original column indices)
  ConvActivation act;
};

// Input channels per K chunk: D's rows for one 64-column block take, per
// channel, about 64 + (kh-1)*Wp floats when stride-1 taps are shifted views
// of the padded input (Wp its width; 64 guessed when the input's width is
// not static), 64 for a 1x1 read in place, kh*kw*64 for im2col panels.
int64_t chunk_channels(const NodeView& node, const WindowAttrs& a, int64_t kh, int64_t kw) {
  const bool unit_stride = std::all_of(a.strides.begin(), a.strides.end(), [](int64_t v) { return v == 1; });
  const bool no_pad = std::all_of(a.pads.begin(), a.pads.end(), [](int64_t v) { return v == 0; });
  // im2col panels are K x 64 contiguous floats that stream well from L2:
  // chunking them measured slower (a 64 -> 128 stride-2 layer 0.39 -> 0.43
  // ms), so they stay whole.
  int64_t per_channel = 0;
  if (!unit_stride) return std::numeric_limits<int64_t>::max() / (kh * kw + 1);
  if (kh == 1 && kw == 1 && no_pad) {
    per_channel = kSpmmBlock;
  } else {
    const Shape& xs = node.input(0).shape;
    const bool known = node.input(0).shape_known && xs.rank() >= 3 && xs[xs.rank() - 1] > 0;
    const int64_t pads_w = a.pads.size() >= 2 ? a.pads[a.pads.size() / 2 - 1] + a.pads.back() : 0;
    const int64_t wp = known ? xs[xs.rank() - 1] + pads_w : 64;
    const int64_t dh = a.dilations.empty() ? 1 : a.dilations[0];
    per_channel = kSpmmBlock + (kh - 1) * dh * wp + kw;
  }
  return std::max<int64_t>(1, kChunkFloats / per_channel);
}

// W's columns [c0, c1) as a CSR of the same shape (zeros elsewhere).
SparseMatrix column_range(const SparseMatrix& w, int64_t c0, int64_t c1) {
  SparseMatrix out;
  out.rows = w.rows;
  out.cols = w.cols;
  out.row_ptr.reserve(static_cast<size_t>(w.rows) + 1);
  out.row_ptr.push_back(0);
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int32_t i = w.row_ptr[static_cast<size_t>(r)]; i < w.row_ptr[static_cast<size_t>(r) + 1]; ++i) {
      const int32_t c = w.col[static_cast<size_t>(i)];
      if (c < c0 || c >= c1) continue;
      out.col.push_back(c);
      out.val.push_back(w.val[static_cast<size_t>(i)]);
    }
    out.row_ptr.push_back(static_cast<int32_t>(out.val.size()));
  }
  return out;
}

Status prepare_sparse_conv(const NodeView& node, PrepareContext& ctx, Isa isa) {
  auto st = std::make_shared<SparseConvState>();
  st->uk = &spmm_ukernel_for_isa(isa);
  const Shape& ws = node.input(1).shape;
  const size_t nd = ws.rank() - 2;
  FS_ASSIGN_OR_RETURN(
      st->attrs, parse_window_attrs(node, nd, std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  if (node.attr_int("group", 1) != 1) {
    return node.error(StatusCode::kInvalidArgument, "the sparse conv runs group 1 only");
  }
  const Tensor* w = node.input_value(1);
  if (w == nullptr) return node.error(StatusCode::kInvalidArgument, "the sparse conv needs a constant W");
  const int64_t k = w->numel() / ws[0];
  st->w = sparse_from_dense(w->data<float>(), ws[0], k, k, 1);
  int64_t taps = 1;
  for (size_t i = 2; i < ws.rank(); ++i) taps *= ws[i];
  const int64_t kh = ws.rank() > 2 ? ws[2] : 1, kw = ws.rank() > 3 ? ws[3] : 1;
  const int64_t step = chunk_channels(node, st->attrs, kh, kw) * taps;
  if (step >= k) {
    st->chunks.push_back(st->w);
  } else {
    for (int64_t c0 = 0; c0 < k; c0 += step)
      st->chunks.push_back(column_range(st->w, c0, std::min(k, c0 + step)));
  }
  FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, isa));
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_sparse_conv_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_sparse_conv(node, ctx, kIsa);
}

// One image's product, cut into tasks. Three ways to give the microkernel
// D (its row k = (c, ki, kj) at d + koff[k]):
//   * direct: a 1x1 stride-1 unpadded conv reads the input, [C, H*W];
//   * shifted: any other stride-1 conv computes its output on the grid of
//     the zero-padded input's width Wp (OH x Wp, the Wp - OW extra columns
//     of each row thrown away): output column q of row (c, ki, kj) is then
//     padded[c][q + ki*dh*Wp + kj*dw], so row k is the padded plane shifted
//     by that offset and no im2col is needed. A 64-column block touches
//     about (64/Wp + kh) rows of each input plane, which stay in L1/L2
//     across all M rows (the im2col panel of a 64-channel 3x3 layer is
//     144 KiB). Each task's block goes to scratch, then its valid columns
//     to Y (adding Z there, and the activation when Z is present);
//   * panels: strided convs pack im2col panels of 64 columns (K x 64).
enum class Feed : uint8_t { kDirect, kShifted, kPanels };

struct ImageSpmm {
  const SparseConvState* st;
  const Conv2dPlan* plan;
  Feed feed;
  Im2colInput x;          // kPanels
  const float* d;         // kDirect: the input; kShifted: the padded input
  const int32_t* doff;    // each nonzero's row of D, chunk after chunk
  int64_t m, n, k;        // n: output pixels (kShifted: grid columns OH * Wp)
  int64_t wp = 0;         // kShifted: grid width
  const float* shared_b;  // kPanels with rows split: every panel packed up front
  const float* bias;
  const float* z;
  float* y;
  int64_t blocks, row_blocks;
};

// Rows [r0, r1) of one column block, chunk by chunk into c.
void spmm_chunks(const ImageSpmm& g, int64_t r0, int64_t r1, const float* d, int64_t n, float* c, int64_t ldc,
                 const SpmmParams& params) {
  const std::vector<SparseMatrix>& chunks = g.st->chunks;
  const int32_t* doff = g.doff;
  for (size_t q = 0; q < chunks.size(); ++q) {
    SpmmParams pq = params;
    if (q > 0) pq.beta = 1.f;
    if (q + 1 < chunks.size()) {
      pq.bias = nullptr;
      pq.activation = GemmActivation::kNone;
    }
    g.st->uk->fn(chunks[q], r0, r1, d, doff, n, c, ldc, pq);
    doff += chunks[q].nnz();
  }
}

SpmmParams spmm_params(const ImageSpmm& g, bool fuse_act) {
  SpmmParams params;
  params.bias = g.bias;
  if (fuse_act) {
    params.activation = g.st->act.gemm;
    params.clamp_min = g.st->act.clamp_min;
    params.clamp_max = g.st->act.clamp_max;
  }
  return params;
}

// kShifted: rows [r0, r1) of grid columns [q0, q1) into scratch, then the
// valid columns to Y.
void run_shifted_task(const ImageSpmm& g, int64_t r0, int64_t r1, int64_t q0, int64_t q1) {
  const ConvActivation& act = g.st->act;
  const bool fuse = g.z == nullptr && act.gemm_fused;
  // Rows of the block at their own index (the microkernel writes row r at c + r*ldc).
  float* block = thread_scratch(static_cast<size_t>(r1 * kSpmmBlock), kSlotBlock);
  const SpmmParams params = spmm_params(g, fuse);
  spmm_chunks(g, r0, r1, g.d + q0, q1 - q0, block, kSpmmBlock, params);
  const int64_t ow = g.plan->ow;
  for (int64_t r = r0; r < r1; ++r) {
    const float* src = block + r * kSpmmBlock;
    for (int64_t q = q0; q < q1;) {
      const int64_t yy = q / g.wp, xx = q % g.wp;
      const int64_t row_end = std::min(q1, yy * g.wp + g.wp);
      if (xx < ow) {
        const int64_t count = std::min(row_end, yy * g.wp + ow) - q;
        float* dst = g.y + r * (g.plan->oh * ow) + yy * ow + xx;
        const float* from = src + (q - q0);
        if (g.z != nullptr) {
          const float* z = g.z + r * (g.plan->oh * ow) + yy * ow + xx;
          for (int64_t i = 0; i < count; ++i) dst[i] = from[i] + z[i];
        } else {
          std::memcpy(dst, from, static_cast<size_t>(count) * sizeof(float));
        }
        if (!fuse) act.apply(dst, count);
      }
      q = row_end;
    }
  }
}

void run_task(const ImageSpmm& g, int64_t task) {
  const int64_t rb = task / g.blocks, pb = task % g.blocks;
  const int64_t r0 = rb * g.m / g.row_blocks, r1 = (rb + 1) * g.m / g.row_blocks;
  const int64_t c0 = pb * kSpmmBlock, c1 = std::min(g.n, c0 + kSpmmBlock);
  if (r0 >= r1 || c0 >= c1) return;
  if (g.feed == Feed::kShifted) {
    run_shifted_task(g, r0, r1, c0, c1);
    return;
  }
  SpmmParams params = spmm_params(g, true);
  if (g.z != nullptr) {
    if (g.z != g.y) {
      for (int64_t r = r0; r < r1; ++r) {
        std::memcpy(g.y + r * g.n + c0, g.z + r * g.n + c0, static_cast<size_t>(c1 - c0) * sizeof(float));
      }
    }
    params.beta = 1.f;
  }
  if (g.feed == Feed::kDirect) {
    spmm_chunks(g, r0, r1, g.d + c0, c1 - c0, g.y + c0, g.n, params);
  } else {
    const float* b = g.shared_b;
    if (b == nullptr) {
      float* cols = thread_scratch(static_cast<size_t>(kSpmmBlock * g.k), kSlotTaskB);
      im2col_pack_panels(*g.plan, g.x, kSpmmBlock, pb, pb + 1, cols);
      b = cols;
    } else {
      b += pb * kSpmmBlock * g.k;
    }
    spmm_chunks(g, r0, r1, b, c1 - c0, g.y + c0, g.n, params);
  }
  if (!g.st->act.gemm_fused) {
    for (int64_t r = r0; r < r1; ++r) g.st->act.apply(g.y + r * g.n + c0, c1 - c0);
  }
}

// The zero-padded copy of one image for kShifted: C planes of Hp x Wp
// (Hp = OH + (kh-1)*dh rows are all the taps reach), then `tail` zeros for
// the reads of the thrown-away grid columns past the last plane.
void pad_image(const Conv2dPlan& p, const float* x, int64_t hp, int64_t wp, int64_t tail, float* dst,
               ThreadPool* pool) {
  const int64_t plane = hp * wp;
  pool->parallel_for(p.channels, 4, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* out = dst + c * plane;
      const float* in = x + c * p.h * p.w;
      for (int64_t yy = 0; yy < hp; ++yy) {
        float* row = out + yy * wp;
        const int64_t sy = yy - p.pad_top;
        if (sy < 0 || sy >= p.h) {
          std::fill(row, row + wp, 0.f);
          continue;
        }
        const int64_t x0 = std::min(wp, p.pad_left), x1 = std::min(wp, p.pad_left + p.w);
        std::fill(row, row + x0, 0.f);
        std::memcpy(row + x0, in + sy * p.w,
                    static_cast<size_t>(std::max<int64_t>(0, x1 - x0)) * sizeof(float));
        std::fill(row + std::max(x0, x1), row + wp, 0.f);
      }
    }
  });
  std::fill(dst + p.channels * plane, dst + p.channels * plane + tail, 0.f);
}

Status run_sparse_conv(const KernelContext& ctx) {
  const SparseConvState& st = ctx.state_as<SparseConvState>();
  const Tensor& x = *ctx.inputs[0];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const Conv2dPlan p, conv2d_plan_for_run(ctx, st.attrs, 1));
  FS_ASSIGN_OR_RETURN(const float* zd, conv_residual(ctx));
  if (y.numel() == 0) return ok_status();
  const int64_t m = p.out_channels, pixels = p.oh * p.ow, k = p.channels * p.kh * p.kw;
  if (st.w.rows != m || st.w.cols != k) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "input has " + std::to_string(p.channels) +
                              " channels; W was prepared for K = " + std::to_string(st.w.cols));
  }
  const bool unit_stride = p.stride_h == 1 && p.stride_w == 1;
  const bool direct = unit_stride && p.kh == 1 && p.kw == 1 && p.pad_top == 0 && p.pad_left == 0 &&
                      p.oh == p.h && p.ow == p.w;
  const Feed feed = direct ? Feed::kDirect : unit_stride ? Feed::kShifted : Feed::kPanels;
  const int64_t hp = p.oh + (p.kh - 1) * p.dilation_h, wp = p.ow + (p.kw - 1) * p.dilation_w;
  const int64_t n = feed == Feed::kShifted ? p.oh * wp : pixels;
  const bool small = st.w.nnz() * n < kMinParallelMacs;
  const int threads = small ? 1 : ctx.pool->num_threads();
  const int64_t blocks = ceil_div(n, kSpmmBlock);
  const bool split_rows = threads > 1 && blocks < 2 * threads;

  // D's row offsets, per run (they depend on the input's dims), then per nonzero.
  auto* koff =
      reinterpret_cast<int64_t*>(thread_scratch(static_cast<size_t>(2 * k + st.w.nnz()), kSlotRowOffsets));
  for (int64_t c = 0, kk = 0; c < p.channels; ++c) {
    for (int64_t ki = 0; ki < p.kh; ++ki) {
      for (int64_t kj = 0; kj < p.kw; ++kj, ++kk) {
        koff[kk] = feed == Feed::kDirect    ? c * pixels
                   : feed == Feed::kShifted ? c * hp * wp + ki * p.dilation_h * wp + kj * p.dilation_w
                                            : kk * kSpmmBlock;
      }
    }
  }
  auto* doff = reinterpret_cast<int32_t*>(koff + k);
  for (int32_t* out = doff; const SparseMatrix& chunk : st.chunks) {
    nonzero_offsets(chunk, koff, out);
    out += chunk.nnz();
  }
  const int64_t tail = wp + kSpmmBlock;
  float* padded = feed == Feed::kShifted
                      ? thread_scratch(static_cast<size_t>(p.channels * hp * wp + tail), kSlotPaddedX)
                      : nullptr;
  const int64_t padded_floats = feed == Feed::kPanels ? im2col_padded_floats(p) : 0;
  float* x_padded =
      padded_floats > 0 ? thread_scratch(static_cast<size_t>(padded_floats), kSlotPaddedX) : nullptr;
  float* shared = split_rows && feed == Feed::kPanels
                      ? thread_scratch(static_cast<size_t>(blocks * kSpmmBlock * k), kSlotSharedB)
                      : nullptr;
  for (int64_t img = 0; img < p.batch; ++img) {
    ImageSpmm g{};
    g.st = &st;
    g.plan = &p;
    g.feed = feed;
    g.m = m;
    g.n = n;
    g.k = k;
    g.wp = wp;
    g.doff = doff;
    const float* x_img = x.data<float>() + img * p.channels * p.h * p.w;
    if (feed == Feed::kDirect) {
      g.d = x_img;
    } else if (feed == Feed::kShifted) {
      pad_image(p, x_img, hp, wp, tail, padded, ctx.pool);
      g.d = padded;
    } else {
      g.x = im2col_input(p, x_img, x_padded, ctx.pool);
    }
    g.bias = bias != nullptr ? bias->data<float>() : nullptr;
    g.y = y.data<float>() + img * m * pixels;
    g.z = zd != nullptr ? zd + img * m * pixels : nullptr;
    g.blocks = blocks;
    g.row_blocks = 1;
    if (split_rows) {
      if (shared != nullptr) {
        ctx.pool->parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
          im2col_pack_panels(p, g.x, kSpmmBlock, b, e, shared + b * kSpmmBlock * k);
        });
        g.shared_b = shared;
      }
      g.row_blocks = std::min<int64_t>(m, ceil_div(2 * threads, std::max<int64_t>(blocks, 1)));
    }
    if (small) {
      for (int64_t t = 0; t < g.blocks * g.row_blocks; ++t) run_task(g, t);
    } else {
      ctx.pool->parallel_for(g.blocks * g.row_blocks, 1, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) run_task(g, t);
      });
    }
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
                       &accepts_conv_algo<ConvAlgo::kSparse>, &prepare_sparse_conv_for<Isa::kAvx2>,
                       &run_sparse_conv);
  add_conv_descriptors(r, "conv_f32_sparse__portable", "fused_conv_f32_sparse__portable", Isa::kScalar, 43,
                       &accepts_conv_algo<ConvAlgo::kSparse>, &prepare_sparse_conv_for<Isa::kScalar>,
                       &run_sparse_conv);
}

}  // namespace fastserve
