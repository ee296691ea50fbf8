// Reference kernels of the QDQ-import ops (graph/ops_fastserve.def): QConv,
// QAdd, MaxPoolNhwc, QGlobalAveragePool. Plain loops over NHWC tensors: the
// oracle for kernels/cpu/qconv/.
//
// Requantization is written in float, the way the optimized kernels (and
// ONNX Runtime's MLAS) do it, so an optimized kernel matches bit for bit:
//   QConv:  y = sat(nearbyintf(float(acc + B[m]) * (float(x_s * w_s[m]) / y_s)) + y_zp)
//   QAdd:   y = sat(nearbyintf(((a - a_zp) * a_s + (b - b_zp) * b_s) / c_s) + c_zp),
//           the float operations of DequantizeLinear, Add and QuantizeLinear
//           in their order (bit-identical to the unfused chain)
// with Relu a clamp at the output zero point (exact: rounding is monotone
// and rounds 0 to 0). Accumulators are int64.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

const Tensor* optional_input(const KernelContext& ctx, size_t i) {
  return ctx.inputs.size() > i ? ctx.inputs[i] : nullptr;
}

double scalar_or(const Tensor* t, double absent) { return t != nullptr ? t->element_as_double(0) : absent; }

// Per-channel values (one broadcast to all) of an optional [M] or scalar input.
Result<std::vector<double>> per_channel(const NodeView& node, const Tensor* t, int64_t m, const char* what,
                                        double absent) {
  std::vector<double> v(static_cast<size_t>(m), absent);
  if (t == nullptr) return v;
  if (t->numel() == 1) {
    std::fill(v.begin(), v.end(), t->element_as_double(0));
  } else if (t->numel() == m) {
    for (int64_t i = 0; i < m; ++i) v[static_cast<size_t>(i)] = t->element_as_double(i);
  } else {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(what) + " " + t->shape().to_string() + " is not a scalar or [" + std::to_string(m) + "]");
  }
  return v;
}

// The saturation range of an 8-bit output, narrowed to [zp, hi] by Relu.
struct OutRange {
  int32_t lo, hi;
};
OutRange out_range(const Tensor& y, int32_t zp, bool relu) {
  const bool s = y.dtype() == DType::kI8;
  const int32_t lo = s ? -128 : 0, hi = s ? 127 : 255;
  return {relu ? std::max(lo, zp) : lo, hi};
}

void store(Tensor& y, int64_t i, int32_t q) {
  if (y.dtype() == DType::kI8) {
    static_cast<int8_t*>(y.raw_data())[i] = static_cast<int8_t>(q);
  } else {
    static_cast<uint8_t*>(y.raw_data())[i] = static_cast<uint8_t>(q);
  }
}

int32_t requant(float v, int32_t zp, OutRange r) {
  const float q = std::nearbyint(v) + static_cast<float>(zp);
  return static_cast<int32_t>(std::clamp(q, static_cast<float>(r.lo), static_cast<float>(r.hi)));
}

bool relu_of(const NodeView& node) { return node.attr_string("activation", "") == "Relu"; }

Status run_qconv_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[3];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4 || w.rank() != 4) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "x " + x.shape().to_string() + " / w " + w.shape().to_string() + " are not 2-D NHWC / MCHW");
  }
  const int64_t nb = x.dim(0), ih = x.dim(1), iw = x.dim(2), c = x.dim(3), m = w.dim(0), cg = w.dim(1);
  const int64_t group = ctx.node.attr_int("group", 1);
  if (group < 1 || c != cg * group || m % group != 0) {
    return ctx.node.error(StatusCode::kInvalidArgument, "channels " + std::to_string(c) + " do not match W " +
                                                            w.shape().to_string() + " and group " + std::to_string(group));
  }
  const std::vector<int64_t> kernel = {w.dim(2), w.dim(3)};
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(ctx.node, 2, kernel));
  const std::vector<int64_t> in = {ih, iw};
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, attrs, in));
  const auto x_zp = static_cast<int64_t>(scalar_or(optional_input(ctx, 2), 0.0));
  const float x_s = static_cast<float>(ctx.inputs[1]->element_as_double(0));
  const float y_s = static_cast<float>(ctx.inputs[6]->element_as_double(0));
  const auto y_zp = static_cast<int32_t>(scalar_or(optional_input(ctx, 7), 0.0));
  FS_ASSIGN_OR_RETURN(auto w_s, per_channel(ctx.node, ctx.inputs[4], m, "w_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto w_zp, per_channel(ctx.node, optional_input(ctx, 5), m, "w_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto bias, per_channel(ctx.node, optional_input(ctx, 8), m, "B", 0.0));
  const OutRange range = out_range(y, y_zp, relu_of(ctx.node));
  const int64_t oh = g.out[0], ow = g.out[1], kh = g.kernel[0], kw = g.kernel[1], mg = m / group;
  for (int64_t n = 0; n < nb; ++n) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        for (int64_t oc = 0; oc < m; ++oc) {
          const int64_t grp = oc / mg;
          int64_t acc = 0;
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
            if (iy < 0 || iy >= ih) continue;  // padding holds x_zp: (x - x_zp) = 0
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1];
              if (ix < 0 || ix >= iw) continue;
              for (int64_t ci = 0; ci < cg; ++ci) {
                const auto xv = static_cast<int64_t>(x.element_as_double(((n * ih + iy) * iw + ix) * c + grp * cg + ci));
                const auto wv = static_cast<int64_t>(w.element_as_double(((oc * cg + ci) * kh + ky) * kw + kx));
                acc += (xv - x_zp) * (wv - static_cast<int64_t>(w_zp[static_cast<size_t>(oc)]));
              }
            }
          }
          const float s = static_cast<float>(x_s * static_cast<float>(w_s[static_cast<size_t>(oc)])) / y_s;
          const auto total = static_cast<int32_t>(acc + static_cast<int64_t>(bias[static_cast<size_t>(oc)]));
          store(y, ((n * oh + oy) * ow + ox) * m + oc, requant(static_cast<float>(total) * s, y_zp, range));
        }
      }
    }
  }
  return ok_status();
}

Status run_qadd_ref(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[3];
  Tensor& y = *ctx.outputs[0];
  if (a.shape() != b.shape()) {
    return ctx.node.error(StatusCode::kInvalidArgument, "A " + a.shape().to_string() + " and B " +
                                                            b.shape().to_string() + " differ");
  }
  const float a_s = static_cast<float>(ctx.inputs[1]->element_as_double(0));
  const auto a_zp = static_cast<float>(scalar_or(optional_input(ctx, 2), 0.0));
  const float b_s = static_cast<float>(ctx.inputs[4]->element_as_double(0));
  const auto b_zp = static_cast<float>(scalar_or(optional_input(ctx, 5), 0.0));
  const float c_s = static_cast<float>(ctx.inputs[6]->element_as_double(0));
  const auto c_zp = static_cast<int32_t>(scalar_or(optional_input(ctx, 7), 0.0));
  const OutRange range = out_range(y, c_zp, relu_of(ctx.node));
  for (int64_t i = 0; i < a.numel(); ++i) {
    const float v = (static_cast<float>(a.element_as_double(i)) - a_zp) * a_s +
                    (static_cast<float>(b.element_as_double(i)) - b_zp) * b_s;
    store(y, i, requant(v / c_s, c_zp, range));
  }
  return ok_status();
}

Status run_max_pool_nhwc_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4) return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not NHWC");
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(ctx.node, 2));
  const std::vector<int64_t> in = {x.dim(1), x.dim(2)};
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(ctx.node, attrs, in));
  const int64_t nb = x.dim(0), c = x.dim(3), oh = g.out[0], ow = g.out[1];
  const double lowest = x.dtype() == DType::kI8 ? -128.0 : 0.0;
  for (int64_t n = 0; n < nb; ++n) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        for (int64_t ch = 0; ch < c; ++ch) {
          double best = lowest;
          for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
            const int64_t iy = oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
            if (iy < 0 || iy >= g.in[0]) continue;
            for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
              const int64_t ix = ox * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1];
              if (ix < 0 || ix >= g.in[1]) continue;
              best = std::max(best, x.element_as_double(((n * g.in[0] + iy) * g.in[1] + ix) * c + ch));
            }
          }
          store(y, ((n * oh + oy) * ow + ox) * c + ch, static_cast<int32_t>(best));
        }
      }
    }
  }
  return ok_status();
}

// mean = float(sum(x - x_zp)) * x_s / (H * W), then QuantizeLinear's
// float(mean / y_s) rounding.
Status run_qglobal_average_pool_ref(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4) return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not NHWC");
  const int64_t nb = x.dim(0), hw = x.dim(1) * x.dim(2), c = x.dim(3);
  const float x_s = static_cast<float>(ctx.inputs[1]->element_as_double(0));
  const auto x_zp = static_cast<int64_t>(scalar_or(optional_input(ctx, 2), 0.0));
  const float y_s = static_cast<float>(ctx.inputs[3]->element_as_double(0));
  const auto y_zp = static_cast<int32_t>(scalar_or(optional_input(ctx, 4), 0.0));
  const OutRange range = out_range(y, y_zp, false);
  for (int64_t n = 0; n < nb; ++n) {
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t sum = 0;
      for (int64_t p = 0; p < hw; ++p) sum += static_cast<int64_t>(x.element_as_double((n * hw + p) * c + ch)) - x_zp;
      const float mean = static_cast<float>(sum) * x_s / static_cast<float>(hw);
      store(y, n * c + ch, requant(mean / y_s, y_zp, range));
    }
  }
  return ok_status();
}

bool eight_bit(DType t) { return t == DType::kU8 || t == DType::kI8; }
bool qconv_types(const NodeView& n) { return eight_bit(n.input_dtype(0)) && eight_bit(n.input_dtype(3)); }
bool qadd_types(const NodeView& n) { return eight_bit(n.input_dtype(0)) && eight_bit(n.input_dtype(3)); }
bool eight_bit_input(const NodeView& n) { return eight_bit(n.input_dtype(0)); }

}  // namespace

void register_ref_qdq_op_kernels(KernelRegistry& r) {
  r.add({.name = "qconv__ref", .op_type = "QConv", .domain = "fastserve", .dtype = DType::kUndefined,
         .accepts = qconv_types, .run = run_qconv_ref});
  r.add({.name = "qadd__ref", .op_type = "QAdd", .domain = "fastserve", .dtype = DType::kUndefined,
         .accepts = qadd_types, .run = run_qadd_ref});
  r.add({.name = "max_pool_nhwc__ref", .op_type = "MaxPoolNhwc", .domain = "fastserve", .dtype = DType::kUndefined,
         .accepts = eight_bit_input, .run = run_max_pool_nhwc_ref});
  r.add({.name = "qglobal_average_pool__ref", .op_type = "QGlobalAveragePool", .domain = "fastserve",
         .dtype = DType::kUndefined, .accepts = eight_bit_input, .run = run_qglobal_average_pool_ref});
}

}  // namespace fastserve
