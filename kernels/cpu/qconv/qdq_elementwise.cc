// The 8-bit data-movement and elementwise ops of QDQ import, on uint8 /
// int8 tensors (graph/ops_fastserve.def):
//   qadd__{avx512,portable}             fastserve.QAdd: the float operations
//       of DequantizeLinear, Add [, Relu] and QuantizeLinear in their order,
//       per element (bit-identical to the unfused chain and to qadd__ref)
//   max_pool_nhwc_8bit__portable        fastserve.MaxPoolNhwc: per output
//       pixel, a max over the window's taps of contiguous channel rows
//   qglobal_average_pool__portable      fastserve.QGlobalAveragePool: int32
//       channel sums over the pixels, then one requantization per channel
// Threaded over contiguous element / pixel / image ranges.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "graph/window_geometry.h"
#include "kernels/cpu/qconv/qdq_elementwise.h"
#include "runtime/kernel_registry.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FASTSERVE_QDQ_X86 1
#endif

namespace fastserve {

namespace {

double scalar_input(const KernelContext& ctx, size_t i, double absent) {
  return ctx.inputs.size() > i && ctx.inputs[i] != nullptr ? ctx.inputs[i]->element_as_double(0) : absent;
}

template <typename T>
void qadd_portable(const T* a, const T* b, int64_t n, const QAddParams& p, uint8_t* y) {
  for (int64_t i = 0; i < n; ++i) {
    const float fa = (static_cast<float>(a[i]) - p.a_zp) * p.a_s;
    const float fb = (static_cast<float>(b[i]) - p.b_zp) * p.b_s;
    const float q = std::nearbyint(std::clamp((fa + fb) / p.c_s, -1e9f, 1e9f)) + static_cast<float>(p.c_zp);
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(std::clamp(q, static_cast<float>(p.lo), static_cast<float>(p.hi))));
  }
}

bool accepts_qadd(const NodeView& node) {
  const DType t = node.input_dtype(0);
  if ((t != DType::kU8 && t != DType::kI8) || node.input_dtype(3) != t) return false;
  if (node.has_input(7) && node.input_dtype(7) != DType::kU8 && node.input_dtype(7) != DType::kI8) return false;
  for (size_t i : {1, 4, 6}) {
    if (!node.has_input(i) || node.input_dtype(i) != DType::kF32) return false;
  }
  for (size_t i : {1, 2, 4, 5, 6, 7}) {
    if (node.has_input(i) && (!node.input(i).shape_known || node.input(i).shape.numel() != 1)) return false;
  }
  const std::string act = node.attr_string("activation", "");
  return act.empty() || act == "Relu";
}

template <Isa kIsa>
Status run_qadd(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[3];
  Tensor& y = *ctx.outputs[0];
  if (a.shape() != b.shape()) {
    return ctx.node.error(StatusCode::kInvalidArgument, "A " + a.shape().to_string() + " and B " +
                                                            b.shape().to_string() + " differ");
  }
  QAddParams p;
  p.a_s = static_cast<float>(scalar_input(ctx, 1, 1.0));
  p.a_zp = static_cast<float>(scalar_input(ctx, 2, 0.0));
  p.b_s = static_cast<float>(scalar_input(ctx, 4, 1.0));
  p.b_zp = static_cast<float>(scalar_input(ctx, 5, 0.0));
  p.c_s = static_cast<float>(scalar_input(ctx, 6, 1.0));
  p.c_zp = static_cast<int32_t>(scalar_input(ctx, 7, 0.0));
  const bool y_signed = y.dtype() == DType::kI8;
  p.lo = y_signed ? -128 : 0;
  p.hi = y_signed ? 127 : 255;
  if (ctx.node.attr_string("activation", "") == "Relu") p.lo = std::max(p.lo, p.c_zp);
  const int64_t n = a.numel();
  const bool is_u8 = a.dtype() == DType::kU8;
  auto* yd = static_cast<uint8_t*>(y.raw_data());
  constexpr int64_t kChunk = 16384;
  ctx.pool->parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    const int64_t i0 = c0 * kChunk, len = std::min(n, c1 * kChunk) - i0;
    if (is_u8) {
      const auto* ad = static_cast<const uint8_t*>(a.raw_data()) + i0;
      const auto* bd = static_cast<const uint8_t*>(b.raw_data()) + i0;
#ifdef FASTSERVE_QDQ_X86
      if constexpr (kIsa >= Isa::kAvx512) {
        qadd_u8_avx512(ad, bd, len, p, yd + i0);
        return;
      }
#endif
      qadd_portable(ad, bd, len, p, yd + i0);
    } else {
      qadd_portable(static_cast<const int8_t*>(a.raw_data()) + i0, static_cast<const int8_t*>(b.raw_data()) + i0,
                    len, p, yd + i0);
    }
  });
  return ok_status();
}

struct PoolState {
  WindowAttrs attrs;
};

bool accepts_max_pool_nhwc(const NodeView& node) {
  const DType t = node.input_dtype(0);
  return (t == DType::kU8 || t == DType::kI8) && node.attr_ints("kernel_shape").size() == 2;
}

Status prepare_max_pool_nhwc(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<PoolState>();
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, 2));
  ctx.state = std::move(st);
  return ok_status();
}

template <typename T>
void max_pool_rows(const T* x, const WindowGeometry& g, int64_t c, int64_t r0, int64_t r1, T* y) {
  const int64_t oh = g.out[0], ow = g.out[1], ih = g.in[0], iw = g.in[1];
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / (oh * ow), rem = r % (oh * ow), oy = rem / ow, ox = rem % ow;
    T* dst = y + r * c;
    std::fill(dst, dst + c, std::numeric_limits<T>::lowest());
    for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
      const int64_t iy = oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
      if (iy < 0 || iy >= ih) continue;
      for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
        const int64_t ix = ox * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1];
        if (ix < 0 || ix >= iw) continue;
        const T* src = x + ((n * ih + iy) * iw + ix) * c;
        for (int64_t ch = 0; ch < c; ++ch) dst[ch] = std::max(dst[ch], src[ch]);
      }
    }
  }
}

Status run_max_pool_nhwc(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4) return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not NHWC");
  const std::vector<int64_t> in = {x.dim(1), x.dim(2)};
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, ctx.state_as<PoolState>().attrs, in));
  const int64_t rows = x.dim(0) * g.out[0] * g.out[1], c = x.dim(3);
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(c, 1));
  ctx.pool->parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    if (x.dtype() == DType::kU8) {
      max_pool_rows(static_cast<const uint8_t*>(x.raw_data()), g, c, r0, r1, static_cast<uint8_t*>(y.raw_data()));
    } else {
      max_pool_rows(static_cast<const int8_t*>(x.raw_data()), g, c, r0, r1, static_cast<int8_t*>(y.raw_data()));
    }
  });
  return ok_status();
}

bool accepts_qgap(const NodeView& node) {
  const DType t = node.input_dtype(0);
  if (t != DType::kU8 && t != DType::kI8) return false;
  for (size_t i : {1, 3}) {
    if (!node.has_input(i) || node.input_dtype(i) != DType::kF32) return false;
  }
  return true;
}

// The reference's formula (kernels/ref/qdq_ops.cc) with int32 sums: exact
// while H * W * 255 < 2^31.
template <typename T>
void qgap_image(const T* x, int64_t hw, int64_t c, float x_s, int32_t x_zp, float y_s, int32_t y_zp, int32_t lo,
                int32_t hi, std::vector<int32_t>& sums, uint8_t* y) {
  sums.assign(static_cast<size_t>(c), 0);
  for (int64_t p = 0; p < hw; ++p) {
    const T* row = x + p * c;
    for (int64_t ch = 0; ch < c; ++ch) sums[static_cast<size_t>(ch)] += row[ch];
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    const auto sum = static_cast<int32_t>(sums[static_cast<size_t>(ch)] - hw * x_zp);
    const float mean = static_cast<float>(sum) * x_s / static_cast<float>(hw);
    const float q = std::nearbyint(mean / y_s) + static_cast<float>(y_zp);
    y[ch] = static_cast<uint8_t>(static_cast<int32_t>(std::clamp(q, static_cast<float>(lo), static_cast<float>(hi))));
  }
}

Status run_qgap(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4) return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not NHWC");
  const int64_t n = x.dim(0), hw = x.dim(1) * x.dim(2), c = x.dim(3);
  if (hw > (int64_t{1} << 23)) return ctx.node.error(StatusCode::kInvalidArgument, "too many pixels for int32 sums");
  const auto x_s = static_cast<float>(scalar_input(ctx, 1, 1.0));
  const auto x_zp = static_cast<int32_t>(scalar_input(ctx, 2, 0.0));
  const auto y_s = static_cast<float>(scalar_input(ctx, 3, 1.0));
  const auto y_zp = static_cast<int32_t>(scalar_input(ctx, 4, 0.0));
  const bool y_signed = y.dtype() == DType::kI8;
  const int32_t lo = y_signed ? -128 : 0, hi = y_signed ? 127 : 255;
  ctx.pool->parallel_for(n, 1, [&](int64_t i0, int64_t i1) {
    thread_local std::vector<int32_t> sums;
    for (int64_t i = i0; i < i1; ++i) {
      uint8_t* yd = static_cast<uint8_t*>(y.raw_data()) + i * c;
      if (x.dtype() == DType::kU8) {
        qgap_image(static_cast<const uint8_t*>(x.raw_data()) + i * hw * c, hw, c, x_s, x_zp, y_s, y_zp, lo, hi, sums, yd);
      } else {
        qgap_image(static_cast<const int8_t*>(x.raw_data()) + i * hw * c, hw, c, x_s, x_zp, y_s, y_zp, lo, hi, sums, yd);
      }
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_qdq_elementwise_kernels(KernelRegistry& r) {
#ifdef FASTSERVE_QDQ_X86
  r.add({.name = "qadd__avx512", .op_type = "QAdd", .domain = "fastserve", .dtype = DType::kUndefined,
         .required_isa = Isa::kAvx512, .priority = 30, .accepts = accepts_qadd, .run = run_qadd<Isa::kAvx512>});
#endif
  r.add({.name = "qadd__portable", .op_type = "QAdd", .domain = "fastserve", .dtype = DType::kUndefined,
         .required_isa = Isa::kScalar, .priority = 10, .accepts = accepts_qadd, .run = run_qadd<Isa::kScalar>});
  r.add({.name = "max_pool_nhwc_8bit__portable", .op_type = "MaxPoolNhwc", .domain = "fastserve",
         .dtype = DType::kUndefined, .priority = 10, .accepts = accepts_max_pool_nhwc,
         .prepare = prepare_max_pool_nhwc, .run = run_max_pool_nhwc});
  r.add({.name = "qglobal_average_pool__portable", .op_type = "QGlobalAveragePool", .domain = "fastserve",
         .dtype = DType::kUndefined, .priority = 10, .accepts = accepts_qgap, .run = run_qgap});
}

}  // namespace fastserve
