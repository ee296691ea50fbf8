// GEMM-based 1-D / 2-D convolution, FP32, NCHW, for Conv and
// fastserve.FusedConv (groups, strides, dilations, pads, auto_pad, bias,
// residual Z, fused activation):
//
//   conv_f32_1x1_gemm__{avx512,avx2,portable}     1x1 kernels
//   conv_f32_im2col_gemm__{avx512,avx2,portable}  everything else (fallback)
//
// Which node gets which algorithm (these two, Winograd, depthwise) is the
// heuristic in conv_algo.cc (docs/kernels.md); the im2col descriptors take
// any node the others refuse.
//
// Per image and group: Y_g[Mg, OH*OW] = W_g[Mg, Cg*kh*kw] * B_g + bias, where
//   * 1x1, stride 1, no padding: B is the input itself ([Cg, H*W]); with W
//     packed, one gemm_f32 call per image-group on that plain B (the GEMM
//     engine packs and threads it), else copied into packed panels;
//   * otherwise B is im2col of the input (for a strided 1x1: the gathered
//     pixels), written straight into packed-B panels (im2col.h).
// W is the GEMM's A operand, packed once per group at prepare() when
// constant. The output is cut into a grid of tasks (column blocks of B sized
// to stay in L2 (wider when W itself is large), and row blocks of W when the
// image is too small to give every thread columns); each task packs or
// gathers its own B block, runs one serial GEMM on it, and applies the
// epilogue (conv_epilogue.h) to the block it just wrote. A batch of small
// images (under kFoldBelowPixels output pixels each) is one GEMM per group
// with the images' columns side by side (N = batch*OH*OW): each task then
// writes its block to a buffer and scatters it to the images' NCHW rows.
// Outputs known at compile to have fewer than kPixelsMajorBelow pixels (7x7,
// 14x14) with group 1 and constant W use the pixels-major formulation
// instead: Y^T [batch*pixels, M] = im2row(X) [batch*pixels, K] * W^T, W^T
// packed once as the GEMM's B (its N is the output channels, 512 wide
// rather than 49 pixels), bias per column, then transposed into NCHW with
// Z and the activation. 3-D convs go to the reference.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_algo.h"
#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/conv/im2col.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Floats of one task's B block (128 KiB): with the MC x KC block of A the
// GEMM keeps in L2 (~120 KiB) and the C block, it fits a 512 KiB L2.
constexpr int64_t kBlockFloats = int64_t{1} << 15;
// Below this many multiply-adds one thread is faster than waking the pool.
constexpr int64_t kMinParallelMacs = int64_t{1} << 16;
// thread_scratch slots (slot 0 is the GEMM's own packing buffer).
constexpr int kSlotPackedA = 1;   // W packed per run when it is not constant (caller thread)
constexpr int kSlotSharedB = 2;   // B packed once for all tasks (caller thread)
constexpr int kSlotTaskB = 3;     // one task's B block (each worker thread)
constexpr int kSlotPaddedX = 6;   // the zero-padded input of one image-group, or of all images folded (caller thread)
constexpr int kSlotFoldedC = 7;   // one task's output block when the batch is folded (each worker thread)
// A batch of images smaller than this many output pixels is folded into the
// GEMM's N (see run_gemm_conv). Measured on resnet18 at batch 16, 2 threads
// (AVX-512 host): 7x7 and 14x14 outputs gain 1.2-1.5x; 28x28 (784 pixels)
// lost 20%, the padded copy of all 16 images (14 MB) no longer in cache.
constexpr int64_t kFoldBelowPixels = 256;
// Below this many output pixels per image (known at compile), group-1 convs
// with constant W run pixels-major (run_pixels_major). resnet18 batch 1, 2
// threads, the 512-channel 3x3 layers at 7x7 (M=512, K=4608, 49 pixels):
// 166 GFLOP/s W-major against 199 pixels-major (GEMM alone); 14x14 (196
// pixels): 237 against 252.
// Not a plain 1x1 (stride 1, no pads): the others need an im2col copy
// anyway, and im2row gives it transposed for free, but a plain 1x1's W-major
// GEMM reads the input in place where pixels-major would transpose it in and out:
// mobilenet_v2 batch 1, 2 threads (AVX-512 host), its 1x1 layers at 14x14
// and 7x7 W-major: 7.08 -> 6.34 ms for the model (median of 5 interleaved;
// 10.6 -> 9.4 in a second run on a busier host), resnet50 0.96x, resnet18 1.0x.
constexpr int64_t kPixelsMajorBelow = 256;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Start of part i when `total` items are split into `parts` near-equal parts.
int64_t split_point(int64_t i, int64_t parts, int64_t total) { return i * total / parts; }

struct GemmConvState {
  const GemmUkernel* uk = nullptr;
  WindowAttrs attrs;
  int64_t group = 1;
  std::vector<AlignedFloats> packed_w;  // per group, when W is constant (W-major)
  AlignedFloats packed_wt;              // W^T as the GEMM's packed B (pixels-major), else empty
  ConvActivation act;
};


Status prepare_gemm_conv(const NodeView& node, PrepareContext& ctx, Isa isa) {
  auto st = std::make_shared<GemmConvState>();
  st->uk = &gemm_ukernel_for_isa(isa);
  const Shape& ws = node.input(1).shape;
  const size_t nd = ws.rank() - 2;
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, nd, std::vector<int64_t>(ws.dims().begin() + 2, ws.dims().end())));
  st->group = node.attr_int("group", 1);
  if (st->group < 1 || ws[0] % st->group != 0) {
    return node.error(StatusCode::kInvalidArgument, "group " + std::to_string(st->group) + " does not divide W " +
                                                        ws.to_string());
  }
  FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, isa));
  if (const Tensor* w = node.input_value(1); w != nullptr) {
    const int64_t mg = ws[0] / st->group;
    const int64_t k = w->numel() / ws[0];
    const int64_t pixels = known_output_pixels(node);
    const bool plain_pointwise = k == ws[1] && all_equal(st->attrs.strides, 1) && all_equal(st->attrs.pads, 0) &&
                                 st->attrs.auto_pad == AutoPad::kNotSet;
    if (st->group == 1 && pixels > 0 && pixels < kPixelsMajorBelow && !plain_pointwise) {
      st->packed_wt = pack_b(*st->uk, k, ws[0], GemmOperand{w->data<float>(), k, /*trans=*/true});
      ctx.packed_inputs |= 1u << 1;
      ctx.state = std::move(st);
      return ok_status();
    }
    for (int64_t g = 0; g < st->group; ++g) {
      st->packed_w.push_back(pack_a(*st->uk, mg, k, GemmOperand{w->data<float>() + g * mg * k, k, false}));
    }
    ctx.packed_inputs |= 1u << 1;
  }
  ctx.state = std::move(st);
  return ok_status();
}

template <Isa kIsa>
Status prepare_gemm_conv_for(const NodeView& node, PrepareContext& ctx) {
  return prepare_gemm_conv(node, ctx, kIsa);
}

// The task grid of one image-group GEMM [m x k] * [k x n].
struct TaskGrid {
  int64_t m_blocks = 1, n_blocks = 1;
  bool shared_b = false;  // B packed once up front (row blocks share it)
};

TaskGrid plan_task_grid(int64_t m, int64_t n, int64_t k, const GemmUkernel& uk, int threads) {
  const int64_t m_panels = ceil_div(m, uk.mr);
  const int64_t n_panels = ceil_div(n, uk.nr);
  // Each column block streams all of A (the weights) once more, so when A
  // is large the blocks grow with it (to a quarter of A: measured on
  // ResNet-50's 256- and 512-channel layers, between keeping B in L2 and
  // re-reading A).
  const int64_t block_floats = std::max(kBlockFloats, m * k / 4);
  const int64_t block_panels = std::max<int64_t>(1, block_floats / (std::max<int64_t>(k, 1) * uk.nr));
  TaskGrid grid;
  grid.n_blocks = ceil_div(n_panels, block_panels);
  if (threads <= 1 || m * n * k < kMinParallelMacs) return grid;
  if (n_panels >= 4 * threads) {
    // Enough columns: split them only, into a multiple of the thread count
    // (panels spread evenly, so blocks differ by at most one panel).
    grid.n_blocks = std::min(n_panels, ceil_div(std::max<int64_t>(grid.n_blocks, threads), threads) * threads);
    return grid;
  }
  // A small image (e.g. 7x7 at the end of ResNet): split the output channels.
  grid.m_blocks = std::min<int64_t>(threads, m_panels);
  grid.shared_b = grid.m_blocks > 1;
  return grid;
}

// Everything one image-group GEMM needs.
struct GroupGemm {
  const GemmUkernel* uk;
  const Conv2dPlan* plan;
  int64_t m, n, k;
  Im2colInput x;               // the group's input channels, as im2col reads them
  const float* a_packed;       // packed W of the group
  const float* bias;           // Mg values or null
  const float* z;              // residual block (Y's layout) or null
  float* y;                    // the group's first output channel
  const float* b_shared;       // whole packed B, or null
  const ConvActivation* act;
  // Folded batch: the n columns are `pixels` output pixels of each of
  // n / pixels images; y and z point at image 0, the next image's rows
  // start y_image floats later.
  bool folded = false;
  int64_t pixels = 0;
  int64_t y_image = 0;
};

// Calls fn(image_offset, block_column, count) for each run of columns
// [c0, c1) of a folded GEMM that lies in one image, where image_offset is
// the floats from the image-0 row to that image's row (pixel included).
template <typename Fn>
void for_each_image_run(const GroupGemm& g, int64_t c0, int64_t c1, Fn&& fn) {
  for (int64_t c = c0; c < c1;) {
    const int64_t img = c / g.pixels, pix = c % g.pixels;
    const int64_t count = std::min(c1 - c, g.pixels - pix);
    fn(img * g.y_image + pix, c - c0, count);
    c += count;
  }
}

// The GEMM epilogue of output rows starting at r0: per-row bias and the
// activation the GEMM can fuse (the rest is applied after, act->apply).
GemmEpilogue gemm_epilogue(const GroupGemm& g, int64_t r0) {
  GemmEpilogue e;
  if (g.bias != nullptr) {
    e.bias_kind = GemmBias::kPerRow;
    e.bias = g.bias + r0;
  }
  e.activation = g.act->gemm;
  e.clamp_min = g.act->clamp_min;
  e.clamp_max = g.act->clamp_max;
  return e;
}

// A task's block of a folded GEMM: its columns belong to several images, so
// C is a block buffer (Z gathered into it first), scattered to Y after.
void run_folded_block(const GroupGemm& g, GemmArgs& args, int64_t r0, int64_t c0) {
  float* c = thread_scratch(static_cast<size_t>(args.m * args.n), kSlotFoldedC);
  args.c = c;
  args.ldc = args.n;
  if (g.z != nullptr) {
    for (int64_t r = 0; r < args.m; ++r) {
      const float* z = g.z + (r0 + r) * g.pixels;
      for_each_image_run(g, c0, c0 + args.n, [&](int64_t src, int64_t col, int64_t count) {
        std::memcpy(c + r * args.n + col, z + src, static_cast<size_t>(count) * sizeof(float));
      });
    }
    args.beta = 1.f;
  }
  args.epilogue = gemm_epilogue(g, r0);
  gemm_f32(*g.uk, args, nullptr);
  if (!g.act->gemm_fused) g.act->apply(c, args.m * args.n);
  for (int64_t r = 0; r < args.m; ++r) {
    float* y = g.y + (r0 + r) * g.pixels;
    for_each_image_run(g, c0, c0 + args.n, [&](int64_t dst, int64_t col, int64_t count) {
      std::memcpy(y + dst, c + r * args.n + col, static_cast<size_t>(count) * sizeof(float));
    });
  }
}

void run_task(const GroupGemm& g, const TaskGrid& grid, int64_t task) {
  const GemmUkernel& uk = *g.uk;
  const int64_t mb = task / grid.n_blocks, nb = task % grid.n_blocks;
  const int64_t m_panels = ceil_div(g.m, uk.mr), n_panels = ceil_div(g.n, uk.nr);
  const int64_t r0 = split_point(mb, grid.m_blocks, m_panels) * uk.mr;
  const int64_t r1 = std::min(g.m, split_point(mb + 1, grid.m_blocks, m_panels) * uk.mr);
  const int64_t p0 = split_point(nb, grid.n_blocks, n_panels), p1 = split_point(nb + 1, grid.n_blocks, n_panels);
  const int64_t c0 = p0 * uk.nr, c1 = std::min(g.n, p1 * uk.nr);
  if (r0 >= r1 || c0 >= c1) return;

  GemmArgs args;
  args.m = r1 - r0;
  args.n = c1 - c0;
  args.k = g.k;
  args.a_packed = g.a_packed + r0 * g.k;  // r0 is a multiple of MR: whole panels
  if (g.b_shared != nullptr) {
    args.b_packed = g.b_shared + p0 * uk.nr * g.k;
  } else {
    float* cols = thread_scratch(static_cast<size_t>((p1 - p0) * uk.nr * g.k), kSlotTaskB);
    im2col_pack_panels(*g.plan, g.x, uk.nr, p0, p1, cols);
    args.b_packed = cols;
  }
  if (g.folded) {
    run_folded_block(g, args, r0, c0);
    return;
  }
  float* c = g.y + r0 * g.n + c0;
  args.c = c;
  args.ldc = g.n;
  if (g.z != nullptr) {
    // C = Z + W*B: Z is copied into the block, which the GEMM adds to.
    if (g.z != g.y) {
      const float* z = g.z + r0 * g.n + c0;
      for (int64_t r = 0; r < args.m; ++r) {
        std::memcpy(c + r * g.n, z + r * g.n, static_cast<size_t>(args.n) * sizeof(float));
      }
    }
    args.beta = 1.f;
  }
  args.epilogue = gemm_epilogue(g, r0);
  gemm_f32(uk, args, nullptr);
  if (!g.act->gemm_fused) {
    for (int64_t r = 0; r < args.m; ++r) g.act->apply(c + r * g.n, args.n);
  }
}

// 1x1, stride 1, unpadded, with W packed: B is the input matrix [Cg, H*W]
// itself, so the whole image-group is one gemm_f32 call on a plain B. The
// GEMM engine then packs each B panel inside the first microkernel that
// reads it and splits the output over the pool itself, which measured
// faster than packing per-task B blocks here (ResNet-50's 256->64 1x1 at
// 56x56, one thread: 42 -> 67 GFLOP/s, bench/kernels/conv_bench.cc). Z, when
// not Y itself, is copied into Y first and added with beta = 1.
void run_pointwise_direct(const GroupGemm& g, ThreadPool* pool) {
  GemmArgs args;
  args.m = g.m;
  args.n = g.n;
  args.k = g.k;
  args.a_packed = g.a_packed;
  args.b = GemmOperand{g.x.data, g.n, false};
  args.c = g.y;
  args.ldc = g.n;
  if (g.z != nullptr) {
    if (g.z != g.y) {
      pool->parallel_for(g.m, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.n)), [&](int64_t r0, int64_t r1) {
        std::memcpy(g.y + r0 * g.n, g.z + r0 * g.n, static_cast<size_t>((r1 - r0) * g.n) * sizeof(float));
      });
    }
    args.beta = 1.f;
  }
  args.epilogue = gemm_epilogue(g, 0);
  gemm_f32(*g.uk, args, pool);
  if (!g.act->gemm_fused) {
    pool->parallel_for(g.m, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.n)), [&](int64_t r0, int64_t r1) {
      g.act->apply(g.y + r0 * g.n, (r1 - r0) * g.n);
    });
  }
}

// The pixels-major conv (group 1, W^T prepacked): one GEMM over every
// output pixel of the batch, then a transpose into NCHW that adds Z and
// applies what the GEMM epilogue could not.
Status run_pixels_major(const KernelContext& ctx, const GemmConvState& st, const Conv2dPlan& p, const float* zd) {
  const GemmUkernel& uk = *st.uk;
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const int64_t n = p.oh * p.ow, m = p.out_channels, k = p.cg() * p.kh * p.kw;
  const int64_t rows = p.batch * n;
  const int64_t padded_floats = im2col_padded_floats(p);
  float* x_padded =
      padded_floats > 0 ? thread_scratch(static_cast<size_t>(padded_floats * p.batch), kSlotPaddedX) : nullptr;
  const float* xd = ctx.inputs[0]->data<float>();
  Im2colInput in = im2col_input(p, xd, x_padded, ctx.pool);
  for (int64_t i = 1; i < p.batch; ++i) {
    im2col_input(p, xd + i * p.channels * p.h * p.w, x_padded + i * padded_floats, ctx.pool);
  }
  in.image = padded_floats > 0 ? padded_floats : p.channels * p.h * p.w;
  in.images = p.batch;
  float* a = thread_scratch(static_cast<size_t>(rows * k), kSlotSharedB);
  ctx.pool->parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)),
                         [&](int64_t r0, int64_t r1) { im2row(p, in, r0, r1, a + r0 * k); });
  float* c = thread_scratch(static_cast<size_t>(rows * m), kSlotFoldedC);
  GemmArgs args;
  args.m = rows;
  args.n = m;
  args.k = k;
  args.a = GemmOperand{a, k, false};
  args.b_packed = st.packed_wt.data();
  args.c = c;
  args.ldc = m;
  if (bias != nullptr) {
    args.epilogue.bias_kind = GemmBias::kPerColumn;
    args.epilogue.bias = bias->data<float>();
  }
  const bool act_in_gemm = zd == nullptr && st.act.gemm_fused;
  if (act_in_gemm) {
    args.epilogue.activation = st.act.gemm;
    args.epilogue.clamp_min = st.act.clamp_min;
    args.epilogue.clamp_max = st.act.clamp_max;
  }
  gemm_f32(uk, args, ctx.pool);
  // C is [image, pixel, channel]; Y is [image, channel, pixel].
  float* yd = ctx.outputs[0]->data<float>();
  ctx.pool->parallel_for(p.batch * m, std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t img = t / m, ch = t % m;
      const float* src = c + img * n * m + ch;
      float* dst = yd + t * n;
      if (zd != nullptr) {
        const float* z = zd + t * n;
        for (int64_t q = 0; q < n; ++q) dst[q] = src[q * m] + z[q];
      } else {
        for (int64_t q = 0; q < n; ++q) dst[q] = src[q * m];
      }
      if (!act_in_gemm) st.act.apply(dst, n);
    }
  });
  return ok_status();
}

Status run_gemm_conv(const KernelContext& ctx) {
  const GemmConvState& st = ctx.state_as<GemmConvState>();
  const GemmUkernel& uk = *st.uk;
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const Conv2dPlan p, conv2d_plan_for_run(ctx, st.attrs, st.group));
  FS_ASSIGN_OR_RETURN(const float* zd, conv_residual(ctx));
  if (y.numel() == 0) return ok_status();
  if (st.packed_wt.size() != 0) return run_pixels_major(ctx, st, p, zd);

  const int64_t mg = p.mg(), cg = p.cg();
  const int64_t k = cg * p.kh * p.kw;
  const int64_t n = p.oh * p.ow;
  // Small images of a batch are folded into one GEMM per group with
  // N = batch * pixels: a 7x7 output alone fills two 32-column panels
  // (a quarter of them padding) and streams all of W once per image, which
  // held ResNet's 512-channel 3x3 layers to ~150 GFLOP/s at any batch.
  const bool fold = p.batch > 1 && n < kFoldBelowPixels;
  const int64_t images_per_gemm = fold ? p.batch : 1;
  const int64_t gemm_n = n * images_per_gemm;
  const TaskGrid grid = plan_task_grid(mg, gemm_n, k, uk, ctx.pool->num_threads());
  const int64_t n_panels = ceil_div(gemm_n, uk.nr);
  float* b_shared = grid.shared_b ? thread_scratch(static_cast<size_t>(n_panels * uk.nr * k), kSlotSharedB) : nullptr;
  float* a_scratch = st.packed_w.empty() ? thread_scratch(static_cast<size_t>(packed_a_size(uk, mg, k)), kSlotPackedA)
                                         : nullptr;
  const bool direct_pointwise = !fold && p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                                p.pad_top == 0 && p.pad_left == 0 && p.oh == p.h && p.ow == p.w &&
                                !st.packed_w.empty();
  const int64_t padded_floats = im2col_padded_floats(p);
  float* x_padded =
      padded_floats > 0 ? thread_scratch(static_cast<size_t>(padded_floats * images_per_gemm), kSlotPaddedX) : nullptr;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t grain_panels = std::max<int64_t>(1, 4096 / std::max<int64_t>(k, 1));

  for (int64_t img = 0; img < p.batch; img += images_per_gemm) {
    for (int64_t grp = 0; grp < p.group; ++grp) {
      GroupGemm g{};
      g.uk = &uk;
      g.plan = &p;
      g.m = mg;
      g.n = gemm_n;
      g.k = k;
      const float* x_group = xd + (img * p.channels + grp * cg) * p.h * p.w;
      g.x = im2col_input(p, x_group, x_padded, ctx.pool);
      if (fold) {
        for (int64_t i = 1; i < images_per_gemm; ++i) {
          im2col_input(p, x_group + i * p.channels * p.h * p.w, x_padded + i * padded_floats, ctx.pool);
        }
        g.x.image = padded_floats > 0 ? padded_floats : p.channels * p.h * p.w;
        g.x.images = images_per_gemm;
        g.folded = true;
        g.pixels = n;
        g.y_image = p.out_channels * n;
      }
      g.bias = bias != nullptr ? bias->data<float>() + grp * mg : nullptr;
      const int64_t y_offset = (img * p.out_channels + grp * mg) * n;
      g.y = yd + y_offset;
      g.z = zd != nullptr ? zd + y_offset : nullptr;
      g.act = &st.act;
      if (!st.packed_w.empty()) {
        g.a_packed = st.packed_w[static_cast<size_t>(grp)].data();
      } else {
        const GemmOperand a{w.data<float>() + grp * mg * k, k, false};
        ctx.pool->parallel_for(ceil_div(mg, uk.mr), 16,
                               [&](int64_t b, int64_t e) { pack_a_panels(uk, mg, k, a, b, e, a_scratch); });
        g.a_packed = a_scratch;
      }
      if (direct_pointwise) {
        run_pointwise_direct(g, ctx.pool);
        continue;
      }
      if (grid.shared_b) {
        ctx.pool->parallel_for(n_panels, grain_panels, [&](int64_t b, int64_t e) {
          im2col_pack_panels(p, g.x, uk.nr, b, e, b_shared + b * uk.nr * k);
        });
        g.b_shared = b_shared;
      }
      ctx.pool->parallel_for(grid.m_blocks * grid.n_blocks, 1, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) run_task(g, grid, t);
      });
    }
  }
  return ok_status();
}

}  // namespace

void register_cpu_conv_kernels(KernelRegistry& r) {
  // Specialized algorithms sit above every im2col variant; accepts() makes
  // them exclusive (conv_algo.cc), so the ISA order decides within each.
  add_conv_descriptors(r, "conv_f32_1x1_gemm__avx512", "fused_conv_f32_1x1_gemm__avx512", Isa::kAvx512, 60,
                       &accepts_conv_algo<ConvAlgo::kPointwise>, &prepare_gemm_conv_for<Isa::kAvx512>, &run_gemm_conv);
  add_conv_descriptors(r, "conv_f32_1x1_gemm__avx2", "fused_conv_f32_1x1_gemm__avx2", Isa::kAvx2, 50,
                       &accepts_conv_algo<ConvAlgo::kPointwise>, &prepare_gemm_conv_for<Isa::kAvx2>, &run_gemm_conv);
  add_conv_descriptors(r, "conv_f32_1x1_gemm__portable", "fused_conv_f32_1x1_gemm__portable", Isa::kScalar, 40,
                       &accepts_conv_algo<ConvAlgo::kPointwise>, &prepare_gemm_conv_for<Isa::kScalar>, &run_gemm_conv);
  add_conv_descriptors(r, "conv_f32_im2col_gemm__avx512", "fused_conv_f32_im2col_gemm__avx512", Isa::kAvx512, 30,
                       &accepts_conv_any, &prepare_gemm_conv_for<Isa::kAvx512>, &run_gemm_conv);
  add_conv_descriptors(r, "conv_f32_im2col_gemm__avx2", "fused_conv_f32_im2col_gemm__avx2", Isa::kAvx2, 20,
                       &accepts_conv_any, &prepare_gemm_conv_for<Isa::kAvx2>, &run_gemm_conv);
  add_conv_descriptors(r, "conv_f32_im2col_gemm__portable", "fused_conv_f32_im2col_gemm__portable", Isa::kScalar, 10,
                       &accepts_conv_any, &prepare_gemm_conv_for<Isa::kScalar>, &run_gemm_conv);
}

}  // namespace fastserve
