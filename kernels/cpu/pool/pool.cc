// Optimized pooling, FP32, NCHW, portable C++, threaded over the N*C planes:
//   max_pool_f32_2d__portable      MaxPool 1-D/2-D (no Indices output: the
//                                  reference handles that)
//   average_pool_f32_2d__portable  AveragePool 1-D/2-D, count_include_pad
//   global_average_pool_f32__portable, global_max_pool_f32__portable
// and registers max_pool_f32_2x2s2__avx512 and max_pool_f32_3x3s2p1__avx512
// (max_pool_stride2_avx512.cc).
// Strides, dilations, pads, auto_pad and ceil_mode come from
// graph/window_geometry.h. MaxPool and AveragePool are separable: each
// output row first combines its window's input rows into one row, then
// combines columns of that row; window bounds are clipped once per output
// row and per column offset, so the inner loops carry no bounds checks and
// vectorize. The average divisor is separable too: count_h(oy) * count_w(ox).
#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_plan.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct PoolState {
  WindowAttrs attrs;
  bool count_include_pad = false;
};

// Valid taps of one output position along one axis: taps [k_lo, k_hi) land
// inside the input; `counted` is how many land inside [lo, hi) (the input,
// or the explicitly padded input with count_include_pad).
struct AxisWindow {
  int64_t start = 0;  // input coordinate of tap 0
  int64_t k_lo = 0, k_hi = 0;
  int64_t counted = 0;
};

std::vector<AxisWindow> axis_windows(int64_t out, int64_t in, int64_t kernel, int64_t stride,
                                     int64_t dilation, int64_t pad_begin, int64_t pad_end, bool include_pad) {
  std::vector<AxisWindow> v(static_cast<size_t>(out));
  const int64_t lo = include_pad ? -pad_begin : 0;
  const int64_t hi = include_pad ? in + pad_end : in;
  for (int64_t o = 0; o < out; ++o) {
    AxisWindow& a = v[static_cast<size_t>(o)];
    a.start = o * stride - pad_begin;
    a.k_lo = kernel;
    a.k_hi = 0;
    for (int64_t k = 0; k < kernel; ++k) {
      const int64_t pos = a.start + k * dilation;
      if (pos >= 0 && pos < in) {
        a.k_lo = std::min(a.k_lo, k);
        a.k_hi = k + 1;
      }
      if (pos >= lo && pos < hi) ++a.counted;
    }
    if (a.k_hi == 0) a.k_lo = 0;
  }
  return v;
}

bool accepts_pool_2d(const NodeView& node) {
  if (node.num_outputs() > 1 && node.output(1).present) return false;  // Indices: reference only
  const size_t nd = node.attr_ints("kernel_shape").size();
  return nd == 1 || nd == 2;
}

Status prepare_pool(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<PoolState>();
  FS_ASSIGN_OR_RETURN(st->attrs, parse_window_attrs(node, node.attr_ints("kernel_shape").size()));
  st->count_include_pad = node.attr_int("count_include_pad", 0) != 0;
  ctx.state = std::move(st);
  return ok_status();
}

template <bool kMax>
Status run_pool(const KernelContext& ctx) {
  const PoolState& st = ctx.state_as<PoolState>();
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, st.attrs, spatial_dims_of(x)));
  Conv2dPlan p;
  conv2d_plan_spatial(g, p);
  const size_t wd = g.nd() - 1;
  const int64_t pad_bottom = g.nd() == 2 ? g.pad_end[0] : 0;
  const std::vector<AxisWindow> rows =
      axis_windows(p.oh, p.h, p.kh, p.stride_h, p.dilation_h, p.pad_top, pad_bottom, st.count_include_pad);
  const std::vector<AxisWindow> cols = axis_windows(p.ow, p.w, p.kw, p.stride_w, p.dilation_w, p.pad_left,
                                                    g.pad_end[wd], st.count_include_pad);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t planes = x.dim(0) * x.dim(1);
  // For each column offset kj: the output columns [ox_lo, ox_hi) whose tap
  // kj lands inside the input row, and that tap's input offset.
  std::vector<int64_t> ox_lo(static_cast<size_t>(p.kw)), ox_hi(static_cast<size_t>(p.kw)),
      ix_off(static_cast<size_t>(p.kw));
  for (int64_t kj = 0; kj < p.kw; ++kj) {
    const int64_t off = kj * p.dilation_w - p.pad_left;  // ix = ox * stride + off
    ix_off[static_cast<size_t>(kj)] = off;
    ox_lo[static_cast<size_t>(kj)] = off >= 0 ? 0 : std::min(p.ow, (-off + p.stride_w - 1) / p.stride_w);
    ox_hi[static_cast<size_t>(kj)] = p.w - 1 - off < 0 ? 0 : std::min(p.ow, (p.w - 1 - off) / p.stride_w + 1);
  }
  const float init = kMax ? std::numeric_limits<float>::lowest() : 0.f;
  const auto combine = [](float a, float b) { return kMax ? std::max(a, b) : a + b; };
  const int64_t work = std::max<int64_t>(1, p.oh * p.ow * p.kh * p.kw);
  // Separable: for each output row, first combine the window's input rows
  // into one row (contiguous, vectorizes), then combine that row's columns
  // per output column. kh*W + kw*OW operations per output row instead of
  // kh*kw*OW, and neither loop carries a bounds check.
  ctx.pool->parallel_for(planes, std::max<int64_t>(1, 16384 / work), [&](int64_t begin, int64_t end) {
    std::vector<float> rowbuf(static_cast<size_t>(std::max<int64_t>(p.w, 1)));
    float* tmp = rowbuf.data();
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = xd + pl * p.h * p.w;
      float* yp = yd + pl * p.oh * p.ow;
      for (int64_t oy = 0; oy < p.oh; ++oy) {
        const AxisWindow& r = rows[static_cast<size_t>(oy)];
        float* yrow = yp + oy * p.ow;
        if (r.k_hi <= r.k_lo) {
          std::fill(tmp, tmp + p.w, init);
        } else {
          const float* first = xp + (r.start + r.k_lo * p.dilation_h) * p.w;
          std::copy(first, first + p.w, tmp);
          for (int64_t ki = r.k_lo + 1; ki < r.k_hi; ++ki) {
            const float* xrow = xp + (r.start + ki * p.dilation_h) * p.w;
            for (int64_t ix = 0; ix < p.w; ++ix) tmp[ix] = combine(tmp[ix], xrow[ix]);
          }
        }
        std::fill(yrow, yrow + p.ow, init);
        for (int64_t kj = 0; kj < p.kw; ++kj) {
          const int64_t lo = ox_lo[static_cast<size_t>(kj)], hi = ox_hi[static_cast<size_t>(kj)];
          const int64_t off = ix_off[static_cast<size_t>(kj)];
          if (p.stride_w == 1) {
            const float* t = tmp + off;
            for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] = combine(yrow[ox], t[ox]);
          } else if (p.stride_w == 2) {
            const float* t = tmp + off;
            for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] = combine(yrow[ox], t[2 * ox]);
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] = combine(yrow[ox], tmp[ox * p.stride_w + off]);
          }
        }
        if (!kMax) {
          const float rc = static_cast<float>(r.counted);
          for (int64_t ox = 0; ox < p.ow; ++ox) {
            yrow[ox] /= rc * static_cast<float>(cols[static_cast<size_t>(ox)].counted);
          }
        }
      }
    }
  });
  return ok_status();
}

template <bool kMax>
Status run_global_pool(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t planes = x.dim(0) * x.dim(1);
  if (planes == 0) return ok_status();
  const int64_t size = x.numel() / planes;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  ctx.pool->parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)),
                         [&](int64_t begin, int64_t end) {
                           for (int64_t pl = begin; pl < end; ++pl) {
                             const float* xp = xd + pl * size;
                             // Eight partial results let the compiler vectorize.
                             float acc[8];
                             std::fill(acc, acc + 8, kMax ? std::numeric_limits<float>::lowest() : 0.f);
                             int64_t i = 0;
                             for (; i + 8 <= size; i += 8) {
                               for (int l = 0; l < 8; ++l)
                                 acc[l] = kMax ? std::max(acc[l], xp[i + l]) : acc[l] + xp[i + l];
                             }
                             for (; i < size; ++i) acc[0] = kMax ? std::max(acc[0], xp[i]) : acc[0] + xp[i];
                             float r = acc[0];
                             for (int l = 1; l < 8; ++l) r = kMax ? std::max(r, acc[l]) : r + acc[l];
                             yd[pl] = kMax ? r : r / static_cast<float>(size);
                           }
                         });
  return ok_status();
}

// The AVX-512 stride-2 MaxPools (max_pool_stride2_avx512.cc) take 2x2 with
// no padding, or 3x3 with padding 1 on every side; stride 2, no dilation,
// floor mode, no Indices, rank 4.
bool accepts_max_pool_stride2(const NodeView& node, int64_t window, int64_t pad) {
  if (node.num_outputs() > 1 && node.output(1).present) return false;
  if (node.attr_ints("kernel_shape") != std::vector<int64_t>{window, window}) return false;
  if (node.attr_ints("strides") != std::vector<int64_t>{2, 2}) return false;
  const std::vector<int64_t> pads = node.attr_ints("pads");
  if (pad == 0 ? !all_equal(pads, 0) : pads != std::vector<int64_t>{pad, pad, pad, pad}) return false;
  if (!all_equal(node.attr_ints("dilations"), 1)) return false;
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && !(pad == 0 && auto_pad == "VALID")) return false;
  if (node.attr_int("ceil_mode", 0) != 0 || node.attr_int("storage_order", 0) != 0) return false;
  const TensorInfo& x = node.input(0);
  return !x.shape_known || x.shape.rank() == 4;
}

bool accepts_max_pool_2x2(const NodeView& node) { return accepts_max_pool_stride2(node, 2, 0); }
bool accepts_max_pool_3x3p1(const NodeView& node) { return accepts_max_pool_stride2(node, 3, 1); }

}  // namespace

#if defined(__x86_64__) || defined(_M_X64)
// For max_pool_stride2_avx512.cc, which must not build the message itself
// (see there): names the node and both shapes.
Status max_pool_stride2_shape_error(const KernelContext& ctx, const char* what) {
  return ctx.node.error(StatusCode::kInvalidArgument, std::string(what) + ": input " +
                                                          ctx.inputs[0]->shape().to_string() + ", output " +
                                                          ctx.outputs[0]->shape().to_string());
}
Status run_max_pool_2x2_avx512(const KernelContext& ctx);      // max_pool_stride2_avx512.cc
Status run_max_pool_3x3s2p1_avx512(const KernelContext& ctx);  // max_pool_stride2_avx512.cc
#endif

void register_cpu_pool_kernels(KernelRegistry& r) {
#if defined(__x86_64__) || defined(_M_X64)
  // Above the portable kernels (10); accepts() keeps each to its one case.
  r.add(KernelDesc{.name = "max_pool_f32_2x2s2__avx512",
                   .op_type = "MaxPool",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx512,
                   .priority = 20,
                   .accepts = &accepts_max_pool_2x2,
                   .run = &run_max_pool_2x2_avx512});
  r.add(KernelDesc{.name = "max_pool_f32_3x3s2p1__avx512",
                   .op_type = "MaxPool",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx512,
                   .priority = 20,
                   .accepts = &accepts_max_pool_3x3p1,
                   .run = &run_max_pool_3x3s2p1_avx512});
#endif
  r.add(KernelDesc{.name = "max_pool_f32_2d__portable",
                   .op_type = "MaxPool",
                   .dtype = DType::kF32,
                   .priority = 10,
                   .accepts = &accepts_pool_2d,
                   .prepare = &prepare_pool,
                   .run = &run_pool<true>});
  r.add(KernelDesc{.name = "average_pool_f32_2d__portable",
                   .op_type = "AveragePool",
                   .dtype = DType::kF32,
                   .priority = 10,
                   .accepts = &accepts_pool_2d,
                   .prepare = &prepare_pool,
                   .run = &run_pool<false>});
  r.add(KernelDesc{.name = "global_average_pool_f32__portable",
                   .op_type = "GlobalAveragePool",
                   .dtype = DType::kF32,
                   .priority = 10,
                   .run = &run_global_pool<false>});
  r.add(KernelDesc{.name = "global_max_pool_f32__portable",
                   .op_type = "GlobalMaxPool",
                   .dtype = DType::kF32,
                   .priority = 10,
                   .run = &run_global_pool<true>});
}

}  // namespace fastserve
