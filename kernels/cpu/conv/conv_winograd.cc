// conv_f32_winograd__{avx512,avx2,portable}: 2-D Conv and fastserve.FusedConv
// with a 3x3 kernel, stride 1, dilation 1, group 1, constant W, any padding,
// FP32, NCHW, by Winograd F(4x4, 3x3) (conv_winograd.h).
//
//   prepare: U_f = (G g G^T)_f for every (m, c), computed in double, each of
//            the 36 [M x C] matrices packed as a GEMM A operand (pack_a).
//   run:     the tiles are split over the threads (each thread a contiguous
//            range of tiles), or, when there are too few tiles to give every
//            thread a full B panel's worth, the output channels are split
//            instead (each thread transforms all tiles, then runs its rows).
//            Per block of tiles sized so V and O stay in L2:
//              input transform -> V (36 packed B panels [C x block]),
//              36 serial GEMMs O_f = U_f V_f,
//              output transform -> Y with bias, Z and the activation.
// Accuracy: F(4x4) keeps the FP32 error within ~1e-5 of the output range on
// random data (tests/kernels/cpu/conv_winograd_test.cc checks 1e-4); F(6x6)
// would lose about a digit more.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_algo.h"
#include "kernels/cpu/conv/conv_epilogue.h"
#include "kernels/cpu/conv/conv_plan.h"
#include "kernels/cpu/conv/conv_winograd.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

const double kWinogradG[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
};
const double kWinogradBT[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
const double kWinogradAT[4][6] = {
    {1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0},
    {0, 1, 1, 4, 4, 0},
    {0, 1, -1, 8, -8, 1},
};

namespace {

// V + O of one block should fit here (floats: 320 KiB of a 512 KiB L2,
// leaving room for the U_f panels streaming through).
constexpr int64_t kBlockBudgetFloats = 81920;
// thread_scratch slots (slot 0 is the GEMM's own; none is used here).
constexpr int kSlotV = 2;
constexpr int kSlotO = 3;
constexpr int kSlotZeroRow = 1;  // caller thread only

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Floats between consecutive V_f / O_f matrices: whole cache lines, plus one
// more line, so the 36 matrices never sit a multiple of 4 KiB apart (the
// transforms touch all 36 at once; at such strides they would fight over the
// same L1 sets, which made the transforms 2-3x slower).
int64_t matrix_stride(int64_t floats) { return ceil_div(floats, 16) * 16 + 16; }

struct WinogradState {
  const GemmUkernel* uk = nullptr;
  const WinogradTransforms* tf = nullptr;
  WindowAttrs attrs;
  int64_t m = 0, c = 0;
  int64_t u_stride = 0;  // floats between the packed U_f
  AlignedFloats u;       // 36 packed [M x C] A operands
  ConvActivation act;
};

const WinogradTransforms& winograd_transforms_for(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kWinogradTransformsAvx512;
  if (isa >= Isa::kAvx2) return kWinogradTransformsAvx2;
#else
  (void)isa;
#endif
  return kWinogradTransformsPortable;
}

// U[f][m][c] = (G g_{m,c} G^T)[f], in double, then packed per f.
void transform_weights(const float* w, int64_t m_count, int64_t c_count, const GemmUkernel& uk, WinogradState& st) {
  std::vector<float> uf(static_cast<size_t>(kWinogradFreqs * m_count * c_count));
  for (int64_t m = 0; m < m_count; ++m) {
    for (int64_t c = 0; c < c_count; ++c) {
      const float* g = w + (m * c_count + c) * 9;
      double gg[6][3];  // G g
      for (int i = 0; i < 6; ++i) {
        for (int j = 0; j < 3; ++j) {
          gg[i][j] = kWinogradG[i][0] * g[j] + kWinogradG[i][1] * g[3 + j] + kWinogradG[i][2] * g[6 + j];
        }
      }
      for (int i = 0; i < 6; ++i) {
        for (int j = 0; j < 6; ++j) {
          const double v = gg[i][0] * kWinogradG[j][0] + gg[i][1] * kWinogradG[j][1] + gg[i][2] * kWinogradG[j][2];
          uf[static_cast<size_t>(((i * 6 + j) * m_count + m) * c_count + c)] = static_cast<float>(v);
        }
      }
    }
  }
  st.u_stride = packed_a_size(uk, m_count, c_count);
  st.u.resize(static_cast<size_t>(kWinogradFreqs * st.u_stride));
  const int64_t panels = ceil_div(m_count, uk.mr);
  for (int f = 0; f < kWinogradFreqs; ++f) {
    pack_a_panels(uk, m_count, c_count, GemmOperand{uf.data() + f * m_count * c_count, c_count, false}, 0, panels,
                  st.u.data() + f * st.u_stride);
  }
}

template <Isa kIsa>
Status prepare_winograd(const NodeView& node, PrepareContext& ctx) {
  const Tensor* w = node.input_value(1);
  const Shape& ws = node.input(1).shape;
  if (w == nullptr || ws.rank() != 4 || ws[2] != 3 || ws[3] != 3 || node.attr_int("group", 1) != 1) {
    return node.error(StatusCode::kUnsupported, "Winograd F(4x4, 3x3) needs a constant 3x3 W and group 1, W is " +
                                                    ws.to_string());
  }
  auto st = std::make_shared<WinogradState>();
  st->uk = &gemm_ukernel_for_isa(kIsa);
  st->tf = &winograd_transforms_for(kIsa);
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, 2, std::vector<int64_t>{3, 3}));
  for (size_t i = 0; i < 2; ++i) {
    if (st->attrs.strides[i] != 1 || st->attrs.dilations[i] != 1) {
      return node.error(StatusCode::kUnsupported, "Winograd F(4x4, 3x3) needs stride 1 and dilation 1");
    }
  }
  FS_ASSIGN_OR_RETURN(st->act, parse_conv_activation(node, kIsa));
  st->m = ws[0];
  st->c = ws[1];
  transform_weights(w->data<float>(), st->m, st->c, *st->uk, *st);
  ctx.packed_inputs |= 1u << 1;  // run() reads only the transformed weights
  ctx.state = std::move(st);
  return ok_status();
}

// Tiles [t0, t0 + nt) x output channels [m0, m1) (m0 a multiple of MR):
// 36 GEMMs from the block's V into O, then the output transform.
void block_gemms_and_output(const WinogradState& st, const WinogradGeom& g, const float* v, int64_t v_stride,
                            int64_t t0, int64_t nt, int64_t m0, int64_t m1, const WinogradEpilogue& ep, float* y) {
  const GemmUkernel& uk = *st.uk;
  const int64_t ldo = ceil_div(nt, uk.nr) * uk.nr;
  const int64_t o_stride = matrix_stride((m1 - m0) * ldo);
  float* o = thread_scratch(static_cast<size_t>(kWinogradFreqs * o_stride), kSlotO);
  for (int f = 0; f < kWinogradFreqs; ++f) {
    GemmArgs args;
    args.m = m1 - m0;
    args.n = nt;
    args.k = g.c;
    args.a_packed = st.u.data() + f * st.u_stride + m0 * g.c;
    args.b_packed = v + f * v_stride;
    args.c = o + f * o_stride;
    args.ldc = ldo;
    gemm_f32(uk, args, nullptr);
  }
  st.tf->output(g, o, ldo, o_stride, t0, nt, m0, m1, ep, y);
}

Status run_winograd(const KernelContext& ctx) {
  const WinogradState& st = ctx.state_as<WinogradState>();
  const GemmUkernel& uk = *st.uk;
  const Tensor& x = *ctx.inputs[0];
  const Tensor* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const Conv2dPlan p, conv2d_plan_for_run(ctx, st.attrs, 1));
  FS_ASSIGN_OR_RETURN(const float* zd, conv_residual(ctx));
  if (y.numel() == 0) return ok_status();
  if (p.channels != st.c || p.out_channels != st.m) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "X " + x.shape().to_string() + " does not match W [" + std::to_string(st.m) + "," +
                              std::to_string(st.c) + ",3,3]");
  }
  WinogradGeom g;
  g.batch = p.batch;
  g.c = p.channels;
  g.m = p.out_channels;
  g.h = p.h;
  g.w = p.w;
  g.oh = p.oh;
  g.ow = p.ow;
  g.pad_top = p.pad_top;
  g.pad_left = p.pad_left;
  g.tiles_y = ceil_div(p.oh, kWinogradOut);
  g.tiles_x = ceil_div(p.ow, kWinogradOut);
  const int64_t tiles = g.batch * g.tiles_y * g.tiles_x;

  WinogradEpilogue ep;
  ep.bias = bias != nullptr ? bias->data<float>() : nullptr;
  ep.z = zd;
  ep.clamp = st.act.gemm != GemmActivation::kNone;
  ep.lo = st.act.gemm == GemmActivation::kRelu ? 0.f : st.act.clamp_min;
  ep.hi = st.act.gemm == GemmActivation::kRelu ? std::numeric_limits<float>::infinity() : st.act.clamp_max;
  if (!st.act.gemm_fused) {
    ep.row = st.act.row;
    ep.row_params = st.act.params;
  }
  float* zeros = thread_scratch(static_cast<size_t>(p.w), kSlotZeroRow);
  std::memset(zeros, 0, static_cast<size_t>(p.w) * sizeof(float));
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t m_panels = ceil_div(g.m, uk.mr);

  ctx.pool->run_on_all([&](int tid, int nthreads) {
    // Split the tiles when every thread gets at least two B panels of them,
    // else split the output channels (each thread then transforms all tiles).
    const bool split_m = nthreads > 1 && tiles < 2 * uk.nr * nthreads && m_panels >= nthreads;
    int64_t ta = 0, tb = tiles, m0 = 0, m1 = g.m;
    if (split_m) {
      m0 = tid * m_panels / nthreads * uk.mr;
      m1 = std::min(g.m, (tid + 1) * m_panels / nthreads * uk.mr);
    } else {
      ta = tid * tiles / nthreads;
      tb = (tid + 1) * tiles / nthreads;
    }
    if (ta >= tb || m0 >= m1) return;
    // Block: as many B panels of tiles as keep V + O within the budget.
    const int64_t per_tile = kWinogradFreqs * (g.c + (m1 - m0));
    const int64_t block =
        std::min(std::max<int64_t>(1, kBlockBudgetFloats / (per_tile * uk.nr)) * uk.nr, kWinogradMaxBlockTiles);
    const int64_t v_stride = matrix_stride(g.c * std::min(block, ceil_div(tb - ta, uk.nr) * uk.nr));
    float* v = thread_scratch(static_cast<size_t>(kWinogradFreqs * v_stride), kSlotV);
    for (int64_t t0 = ta; t0 < tb; t0 += block) {
      const int64_t nt = std::min(block, tb - t0);
      st.tf->input(g, xd, t0, nt, uk.nr, v, v_stride, zeros);
      block_gemms_and_output(st, g, v, v_stride, t0, nt, m0, m1, ep, yd);
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_conv_winograd_kernels(KernelRegistry& r) {
  constexpr AcceptsFn accepts = &accepts_conv_algo<ConvAlgo::kWinograd>;
  add_conv_descriptors(r, "conv_f32_winograd__avx512", "fused_conv_f32_winograd__avx512", Isa::kAvx512, 61, accepts,
                       &prepare_winograd<Isa::kAvx512>, &run_winograd);
  add_conv_descriptors(r, "conv_f32_winograd__avx2", "fused_conv_f32_winograd__avx2", Isa::kAvx2, 51, accepts,
                       &prepare_winograd<Isa::kAvx2>, &run_winograd);
  add_conv_descriptors(r, "conv_f32_winograd__portable", "fused_conv_f32_winograd__portable", Isa::kScalar, 41,
                       accepts, &prepare_winograd<Isa::kScalar>, &run_winograd);
}

}  // namespace fastserve
