// The INT8 convolution engine (see qconv.h): the plan made at prepare
// (weights packed per group and column chunk, bias' and scales), im2row,
// the task split and the requantizing epilogue.
#include "kernels/cpu/qconv/qconv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace fastserve {
namespace {

// Output channels per packed chunk: four 32-column panels. A task's int32
// block (up to 256 pixels x 128) is 128 KiB, inside L2 with its A block.
constexpr int64_t kChunk = 128;
constexpr int64_t kMaxRowBlock = 256;
constexpr int64_t kMinRowBlock = 32;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A constant scalar (or absent: `absent`).
double const_scalar(const NodeView& node, size_t i, double absent) {
  const Tensor* t = node.input_value(i);
  return t != nullptr ? t->element_as_double(0) : absent;
}

bool is_scalar_const(const NodeView& node, size_t i) {
  const Tensor* t = node.input_value(i);
  return t != nullptr && t->numel() == 1;
}

// Per-channel constant ([M] or one value) or absent.
bool per_channel_const(const NodeView& node, size_t i, int64_t m, bool optional) {
  if (!node.has_input(i)) return optional;
  const Tensor* t = node.input_value(i);
  return t != nullptr && (t->numel() == 1 || t->numel() == m);
}

double channel_value(const Tensor* t, int64_t c, double absent) {
  if (t == nullptr) return absent;
  return t->element_as_double(t->numel() == 1 ? 0 : c);
}

// One row of im2row for output pixel (n, oy, ox): kH runs of kW*cg bytes
// (the window's row, when inside the input and dilation 1), else per tap.
void im2row_pixel(const QConvPlan& p, const WindowGeometry& g, const uint8_t* x, int64_t c, int64_t grp,
                  int64_t n, int64_t oy, int64_t ox, uint8_t* dst) {
  const int64_t ih = g.in[0], iw = g.in[1];
  const auto zp = static_cast<uint8_t>(p.x_zp);
  const int64_t ix0 = ox * g.stride[1] - g.pad_begin[1];
  const bool row_inside = g.dilation[1] == 1 && ix0 >= 0 && ix0 + p.kw <= iw;
  const size_t cg = static_cast<size_t>(p.cg);
  for (int64_t ky = 0; ky < p.kh; ++ky) {
    const int64_t iy = oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
    if (iy < 0 || iy >= ih) {
      std::memset(dst, zp, cg * static_cast<size_t>(p.kw));
      dst += cg * static_cast<size_t>(p.kw);
      continue;
    }
    const uint8_t* src_row = x + ((n * ih + iy) * iw) * c + grp * p.cg;
    if (row_inside && p.group == 1) {
      // Adjacent taps are adjacent pixels: one copy for the kernel row.
      std::memcpy(dst, src_row + ix0 * c, cg * static_cast<size_t>(p.kw));
      dst += cg * static_cast<size_t>(p.kw);
      continue;
    }
    for (int64_t kx = 0; kx < p.kw; ++kx) {
      const int64_t ix = ix0 + kx * g.dilation[1];
      if (ix < 0 || ix >= iw) {
        std::memset(dst, zp, cg);
      } else {
        std::memcpy(dst, src_row + ix * c, cg);
      }
      dst += cg;
    }
  }
}

}  // namespace

void requant_row_portable(const int32_t* acc, int64_t n, const int32_t* bias, const float* scale, int32_t zp,
                          int32_t lo, int32_t hi, uint8_t* y) {
  for (int64_t j = 0; j < n; ++j) {
    const float v = std::clamp(static_cast<float>(acc[j] + bias[j]) * scale[j], -1e9f, 1e9f);
    const float q = std::nearbyint(v) + static_cast<float>(zp);
    y[j] = static_cast<uint8_t>(static_cast<int32_t>(std::clamp(q, static_cast<float>(lo), static_cast<float>(hi))));
  }
}

bool qconv_accepts(const NodeView& node) {
  if (node.input_dtype(0) != DType::kU8) return false;
  const DType wt = node.input_dtype(3);
  if (wt != DType::kI8 && wt != DType::kU8) return false;
  const Tensor* w = node.input_value(3);
  if (w == nullptr || w->rank() != 4) return false;
  const int64_t m = w->dim(0);
  if (!is_scalar_const(node, 1) || !is_scalar_const(node, 6) || node.input_dtype(1) != DType::kF32 ||
      node.input_dtype(6) != DType::kF32) {
    return false;
  }
  if (node.has_input(2) && !is_scalar_const(node, 2)) return false;
  if (node.has_input(7) && !is_scalar_const(node, 7)) return false;
  if (node.has_input(7) && node.input_dtype(7) != DType::kU8 && node.input_dtype(7) != DType::kI8) return false;
  if (!per_channel_const(node, 4, m, false) || node.input_dtype(4) != DType::kF32) return false;
  if (!per_channel_const(node, 5, m, true)) return false;
  if (node.has_input(8) && (!per_channel_const(node, 8, m, false) || node.input_dtype(8) != DType::kI32)) return false;
  const int64_t group = node.attr_int("group", 1);
  return group >= 1 && m % group == 0;
}

Result<std::shared_ptr<QConvPlan>> make_qconv_plan(const NodeView& node, Isa isa, bool relu) {
  auto p = std::make_shared<QConvPlan>();
  const Tensor& w = *node.input_value(3);
  p->m = w.dim(0);
  p->cg = w.dim(1);
  p->kh = w.dim(2);
  p->kw = w.dim(3);
  p->group = node.attr_int("group", 1);
  p->mg = p->m / p->group;
  const std::vector<int64_t> kernel = {p->kh, p->kw};
  FS_ASSIGN_OR_RETURN(p->attrs, parse_window_attrs(node, 2, kernel));
  p->uk = &qgemm_ukernel_for_isa(isa);
  p->requant = &requant_row_portable;
#ifdef FASTSERVE_QGEMM_X86
  if (isa >= Isa::kAvx512Vnni) p->requant = &requant_row_avx512;
#endif
  p->x_zp = static_cast<int32_t>(const_scalar(node, 2, 0.0));
  p->y_zp = static_cast<int32_t>(const_scalar(node, 7, 0.0));
  const bool y_signed = node.has_input(7) && node.input_dtype(7) == DType::kI8;
  p->lo = y_signed ? -128 : 0;
  p->hi = y_signed ? 127 : 255;
  if (relu) p->lo = std::max(p->lo, p->y_zp);
  const auto x_s = static_cast<float>(const_scalar(node, 1, 1.0));
  const auto y_s = static_cast<float>(const_scalar(node, 6, 1.0));
  const Tensor* w_s = node.input_value(4);
  const Tensor* w_zp_t = node.input_value(5);
  const Tensor* b_t = node.input_value(8);
  const bool w_unsigned = w.dtype() == DType::kU8;
  const int32_t shift = w_unsigned ? 128 : 0;

  bool pads_zero = true;
  for (int64_t v : p->attrs.pads) pads_zero = pads_zero && v == 0;
  const bool unit_strides = p->attrs.strides[0] == 1 && p->attrs.strides[1] == 1;
  const bool same_pad = p->attrs.auto_pad == AutoPad::kSameUpper || p->attrs.auto_pad == AutoPad::kSameLower;
  if (p->group > 1 && p->cg == 1 && p->mg == 1) {
    p->algo = QConvAlgo::kDepthwise;
  } else if (p->kh == 1 && p->kw == 1 && unit_strides && p->group == 1 && (pads_zero || same_pad)) {
    p->algo = QConvAlgo::kDirect1x1;
  } else {
    p->algo = QConvAlgo::kIm2row;
  }

  p->scale.resize(static_cast<size_t>(p->m));
  p->bias.resize(static_cast<size_t>(p->m));
  std::vector<int32_t> zp(static_cast<size_t>(p->m));
  bool any_zp = false;
  for (int64_t oc = 0; oc < p->m; ++oc) {
    const auto ws = static_cast<float>(channel_value(w_s, oc, 1.0));
    p->scale[static_cast<size_t>(oc)] = static_cast<float>(x_s * ws) / y_s;
    zp[static_cast<size_t>(oc)] = static_cast<int32_t>(channel_value(w_zp_t, oc, 0.0)) - shift;
    any_zp = any_zp || zp[static_cast<size_t>(oc)] != 0;
  }
  p->k = p->kh * p->kw * p->cg;
  const int64_t taps = p->kh * p->kw;
  const auto* wb = static_cast<const uint8_t*>(w.raw_data());
  // W as the GEMM's B^T: row oc = its window in im2row order (ky, kx, c), shifted to int8.
  auto weight = [&](int64_t oc, int64_t ci, int64_t tap) {
    const int32_t v = w_unsigned ? int32_t{wb[(oc * p->cg + ci) * taps + tap]}
                                 : int32_t{static_cast<int8_t>(wb[(oc * p->cg + ci) * taps + tap])};
    return v - shift;
  };

  if (p->algo == QConvAlgo::kDepthwise) {
    p->dw_w.resize(static_cast<size_t>(taps * p->m));
    for (int64_t oc = 0; oc < p->m; ++oc) {
      for (int64_t t = 0; t < taps; ++t) {
        p->dw_w[static_cast<size_t>(t * p->m + oc)] = static_cast<int16_t>(weight(oc, 0, t) - zp[static_cast<size_t>(oc)]);
      }
      p->bias[static_cast<size_t>(oc)] = b_t != nullptr ? static_cast<int32_t>(channel_value(b_t, oc, 0.0)) : 0;
    }
    return p;
  }

  // AMX tiles need K in 64s: im2row rows are padded (zeros in A and B).
  p->k_pad = p->k;
  if (p->uk->amx && p->algo == QConvAlgo::kIm2row) p->k_pad = ceil_div(p->k, 64) * 64;
  p->chunk = std::min<int64_t>(kChunk, p->mg);
  p->chunks_per_group = ceil_div(p->mg, p->chunk);
  std::vector<int8_t> bt(static_cast<size_t>(p->chunk * p->k_pad));
  for (int64_t grp = 0; grp < p->group; ++grp) {
    for (int64_t ch = 0; ch < p->chunks_per_group; ++ch) {
      const int64_t c0 = grp * p->mg + ch * p->chunk;
      const int64_t cols = std::min(p->chunk, (grp + 1) * p->mg - c0);
      std::fill(bt.begin(), bt.end(), int8_t{0});
      for (int64_t j = 0; j < cols; ++j) {
        const int64_t oc = c0 + j;
        int64_t colsum = 0;
        for (int64_t t = 0; t < taps; ++t) {
          for (int64_t ci = 0; ci < p->cg; ++ci) {
            const int32_t v = weight(oc, ci, t);
            bt[static_cast<size_t>(j * p->k_pad + t * p->cg + ci)] = static_cast<int8_t>(v);
            colsum += v;
          }
        }
        const int64_t b = b_t != nullptr ? static_cast<int64_t>(channel_value(b_t, oc, 0.0)) : 0;
        p->bias[static_cast<size_t>(oc)] =
            static_cast<int32_t>(b - int64_t{p->x_zp} * colsum + p->k * int64_t{p->x_zp} * zp[static_cast<size_t>(oc)]);
      }
      p->b.push_back(qgemm_pack_b(bt.data(), p->k_pad, cols, p->k_pad, /*trans=*/true));
    }
  }
  if (any_zp) p->w_zp = std::move(zp);
  return p;
}

Status run_qconv_nhwc(const NodeView& node, const QConvPlan& p, const uint8_t* x, int64_t n, int64_t ih,
                      int64_t iw, uint8_t* y, ThreadPool* pool) {
  const std::vector<int64_t> in = {ih, iw};
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, p.attrs, in));
  const int64_t c = p.cg * p.group;
  const int64_t rows = n * g.out[0] * g.out[1];
  if (rows == 0) return ok_status();
  const int threads = pool->num_threads();
  if (p.algo == QConvAlgo::kDepthwise) {
    const int64_t grain = std::max<int64_t>(1, rows / (4 * threads));
    pool->parallel_for(rows, grain, [&](int64_t r0, int64_t r1) { qconv_depthwise_rows(p, g, x, r0, r1, y); });
    return ok_status();
  }
  const int64_t units = p.group * p.chunks_per_group;
  int64_t mb = kMaxRowBlock;
  while (mb > kMinRowBlock && ceil_div(rows, mb) * units < 4 * threads) mb /= 2;
  const int64_t row_blocks = ceil_div(rows, mb);
  const int64_t tasks = row_blocks * units;
  const int64_t ow = g.out[1], ohw = g.out[0] * g.out[1];
  auto run_tasks = [&](int64_t t0, int64_t t1) {
    // Per worker, grow-only: the A block (im2row) and the int32 block.
    thread_local AlignedBytes a_buf;
    thread_local std::vector<int32_t> c_buf;
    int64_t built_rb = -1, built_grp = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rb = t / units, u = t % units;
      const int64_t grp = u / p.chunks_per_group, ch = u % p.chunks_per_group;
      const int64_t r0 = rb * mb, mm = std::min(mb, rows - r0);
      const QPackedB& b = p.b[static_cast<size_t>(u)];
      const uint8_t* a = nullptr;
      int64_t lda = 0;
      if (p.algo == QConvAlgo::kDirect1x1) {
        a = x + r0 * c;
        lda = c;
      } else {
        const size_t need = static_cast<size_t>(mb * p.k_pad);
        if (a_buf.size < need) a_buf.resize(need);
        if (built_rb != rb || built_grp != grp) {
          for (int64_t r = 0; r < mm; ++r) {
            const int64_t pix = r0 + r, img = pix / ohw, rem = pix % ohw;
            uint8_t* dst = a_buf.get() + r * p.k_pad;
            im2row_pixel(p, g, x, c, grp, img, rem / ow, rem % ow, dst);
            if (p.k_pad > p.k) std::memset(dst + p.k, 0, static_cast<size_t>(p.k_pad - p.k));
          }
          built_rb = rb;
          built_grp = grp;
        }
        a = a_buf.get();
        lda = p.k_pad;
      }
      const int64_t col0 = grp * p.mg + ch * p.chunk;
      int64_t done = 0;
#ifdef FASTSERVE_QGEMM_X86
      // AMX: the 16-row multiples with the requantization per tile.
      if (p.uk->amx && p.w_zp.empty() && b.k % 64 == 0 && mm >= 16) {
        done = mm / 16 * 16;
        qconv_amx_requant_rows(a, lda, done, b, p.bias.data() + col0, p.scale.data() + col0, p.y_zp, p.lo, p.hi,
                               y + r0 * p.m + col0, p.m);
      }
#endif
      if (done == mm) continue;
      const int64_t left = mm - done;
      if (c_buf.size() < static_cast<size_t>(left * b.n)) c_buf.resize(static_cast<size_t>(left * b.n));
      QGemmArgs args;
      args.m = left;
      args.n = b.n;
      args.k = b.k;
      args.a = a + done * lda;
      args.lda = lda;
      args.b = &b;
      args.c = c_buf.data();
      args.ldc = b.n;
      if (!p.w_zp.empty()) args.b_zero_points = p.w_zp.data() + col0;
      qgemm_u8s8s32(*p.uk, args, nullptr);
      for (int64_t r = 0; r < left; ++r) {
        p.requant(c_buf.data() + r * b.n, b.n, p.bias.data() + col0, p.scale.data() + col0, p.y_zp, p.lo, p.hi,
                  y + (r0 + done + r) * p.m + col0);
      }
    }
  };
  if (tasks == 1 || threads == 1) {
    run_tasks(0, tasks);
  } else {
    pool->parallel_for(tasks, 1, run_tasks);
  }
  return ok_status();
}

}  // namespace fastserve
