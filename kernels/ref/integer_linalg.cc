// Reference MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv:
// int32 accumulation of (a - a_zero_point) * (b - b_zero_point) in plain
// loops (int64 accumulators: no overflow for any shape a test builds), and
// for the QLinear ops the requantization
//   y = saturate(round_half_even(acc * (a_scale * b_scale / y_scale)) + y_zero_point)
// with the scale ratio in the scales' type (float32 or float16, rounded as
// ONNX's reference rounds it) and the product in double.
//
// Zero points and scales: scalars, or per row of A / per column of B
// (MatMulInteger, QLinearMatMul: 1-D [M] / [N]), per output channel of W
// (ConvInteger, QLinearConv: 1-D [M]). The oracle for the int8 kernels.
#include <cmath>
#include <string>
#include <vector>

#include "graph/shape_utils.h"
#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

// Values of an optional per-tensor or 1-D parameter, `n` entries wanted
// (1 broadcast to all); `what` names it in errors.
Result<std::vector<double>> per_index_values(const NodeView& node, const Tensor* t, int64_t n, const char* what,
                                             double absent) {
  std::vector<double> v(static_cast<size_t>(n), absent);
  if (t == nullptr) return v;
  if (t->numel() == 1) {
    std::fill(v.begin(), v.end(), t->element_as_double(0));
    return v;
  }
  if (t->rank() != 1 || t->numel() != n) {
    return node.error(StatusCode::kInvalidArgument, std::string(what) + " is " + t->shape().to_string() +
                                                        ", want a scalar or [" + std::to_string(n) + "]");
  }
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = t->element_as_double(i);
  return v;
}

const Tensor* optional_input(const KernelContext& ctx, size_t i) {
  return ctx.inputs.size() > i ? ctx.inputs[i] : nullptr;
}

// float16 arithmetic as numpy does it: each result rounded to half.
float round_like(DType t, float v) { return t == DType::kF16 ? half_to_float(float_to_half(v)) : v; }

// a_scale[m] * b_scale[n] / y_scale in the scales' type.
float scale_ratio(DType t, double a, double b, double y) {
  const float ab = round_like(t, static_cast<float>(a) * static_cast<float>(b));
  return round_like(t, ab / static_cast<float>(y));
}

// Saturating store of a requantized value into an 8-bit output.
void store_requantized(Tensor& y, int64_t i, double r, double zero_point) {
  const bool is_signed = y.dtype() == DType::kI8;
  const double lo = is_signed ? -128.0 : 0.0, hi = is_signed ? 127.0 : 255.0;
  const double q = std::clamp(std::nearbyint(r) + zero_point, lo, hi);
  if (is_signed) {
    static_cast<int8_t*>(y.raw_data())[i] = static_cast<int8_t>(q);
  } else {
    static_cast<uint8_t*>(y.raw_data())[i] = static_cast<uint8_t>(q);
  }
}

// Batched (A - a_zp[m]) x (B - b_zp[n]) with numpy matmul shapes; calls
// emit(flat output index, m, n, acc).
template <typename Emit>
Status integer_matmul(const NodeView& node, const Tensor& a, const Tensor& b, const std::vector<double>& a_zp,
                      const std::vector<double>& b_zp, const Shape& y_shape, Emit&& emit) {
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  const int64_t m = a_vec ? 1 : a.dim(a.rank() - 2), k = a.dim(a.rank() - 1);
  const int64_t n = b_vec ? 1 : b.dim(b.rank() - 1);
  if ((b_vec ? b.dim(0) : b.dim(b.rank() - 2)) != k) {
    return node.error(StatusCode::kInvalidArgument, "inner dims differ: A " + a.shape().to_string() + ", B " +
                                                        b.shape().to_string());
  }
  const Shape a_batch(std::vector<int64_t>(a.shape().dims().begin(), a.shape().dims().end() - (a_vec ? 1 : 2)));
  const Shape b_batch(std::vector<int64_t>(b.shape().dims().begin(), b.shape().dims().end() - (b_vec ? 1 : 2)));
  FS_ASSIGN_OR_RETURN(const Shape out_batch, broadcast_shapes(a_batch, b_batch));
  const std::vector<int64_t> sa = broadcast_strides(a_batch, out_batch), sb = broadcast_strides(b_batch, out_batch);
  const int64_t batches = out_batch.numel();
  (void)y_shape;
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t rem = bi, ao = 0, bo = 0;
    for (size_t d = out_batch.rank(); d-- > 0;) {
      const int64_t idx = rem % out_batch[d];
      rem /= out_batch[d];
      ao += idx * sa[d];
      bo += idx * sb[d];
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        int64_t acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          const auto av = static_cast<int64_t>(a.element_as_double((ao * m + i) * k + p) - a_zp[static_cast<size_t>(i)]);
          const auto bv = static_cast<int64_t>(b.element_as_double((bo * k + p) * n + j) - b_zp[static_cast<size_t>(j)]);
          acc += av * bv;
        }
        emit((bi * m + i) * n + j, i, j, acc);
      }
    }
  }
  return ok_status();
}

Status run_matmul_integer(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  const int64_t m = a.rank() == 1 ? 1 : a.dim(a.rank() - 2), n = b.rank() == 1 ? 1 : b.dim(b.rank() - 1);
  FS_ASSIGN_OR_RETURN(auto a_zp, per_index_values(ctx.node, optional_input(ctx, 2), m, "a_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto b_zp, per_index_values(ctx.node, optional_input(ctx, 3), n, "b_zero_point", 0.0));
  int32_t* y = ctx.outputs[0]->data<int32_t>();
  return integer_matmul(ctx.node, a, b, a_zp, b_zp, ctx.outputs[0]->shape(),
                        [&](int64_t i, int64_t, int64_t, int64_t acc) { y[i] = static_cast<int32_t>(acc); });
}

// fastserve.MatMulIntegerToFloat: MatMulInteger, then float(acc) * scale[n]
// (+ bias[n]), in float as the unfused Cast / Mul / Add compute it.
Status run_matmul_integer_to_float(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  const int64_t m = a.rank() == 1 ? 1 : a.dim(a.rank() - 2), n = b.rank() == 1 ? 1 : b.dim(b.rank() - 1);
  FS_ASSIGN_OR_RETURN(auto a_zp, per_index_values(ctx.node, optional_input(ctx, 2), m, "a_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto b_zp, per_index_values(ctx.node, optional_input(ctx, 3), n, "b_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto scale, per_index_values(ctx.node, optional_input(ctx, 4), n, "scale", 1.0));
  const Tensor* bias_t = optional_input(ctx, 5);
  FS_ASSIGN_OR_RETURN(auto bias, per_index_values(ctx.node, bias_t, n, "bias", 0.0));
  float* y = ctx.outputs[0]->data<float>();
  return integer_matmul(ctx.node, a, b, a_zp, b_zp, ctx.outputs[0]->shape(),
                        [&](int64_t i, int64_t, int64_t j, int64_t acc) {
                          const float v = static_cast<float>(static_cast<int32_t>(acc)) *
                                          static_cast<float>(scale[static_cast<size_t>(j)]);
                          y[i] = bias_t != nullptr ? v + static_cast<float>(bias[static_cast<size_t>(j)]) : v;
                        });
}

Status run_qlinear_matmul(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[3];
  Tensor& y = *ctx.outputs[0];
  const int64_t m = a.rank() == 1 ? 1 : a.dim(a.rank() - 2), n = b.rank() == 1 ? 1 : b.dim(b.rank() - 1);
  FS_ASSIGN_OR_RETURN(auto a_scale, per_index_values(ctx.node, ctx.inputs[1], m, "a_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto a_zp, per_index_values(ctx.node, optional_input(ctx, 2), m, "a_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto b_scale, per_index_values(ctx.node, ctx.inputs[4], n, "b_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto b_zp, per_index_values(ctx.node, optional_input(ctx, 5), n, "b_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto y_scale, per_index_values(ctx.node, ctx.inputs[6], 1, "y_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto y_zp, per_index_values(ctx.node, optional_input(ctx, 7), 1, "y_zero_point", 0.0));
  const DType st = ctx.inputs[1]->dtype();
  return integer_matmul(ctx.node, a, b, a_zp, b_zp, y.shape(), [&](int64_t i, int64_t r, int64_t c, int64_t acc) {
    const float s = scale_ratio(st, a_scale[static_cast<size_t>(r)], b_scale[static_cast<size_t>(c)], y_scale[0]);
    store_requantized(y, i, static_cast<double>(acc) * static_cast<double>(s), y_zp[0]);
  });
}

// Conv of (x - x_zp) and (w - w_zp[m]) with int64 accumulators; emit(flat
// output index, output channel, acc).
template <typename Emit>
Status integer_conv(const NodeView& node, const Tensor& x, const Tensor& w, double x_zp, const std::vector<double>& w_zp,
                    Emit&& emit) {
  if (x.rank() < 3 || w.rank() != x.rank()) {
    return node.error(StatusCode::kInvalidArgument, "X " + x.shape().to_string() + " and W " + w.shape().to_string() +
                                                        " are not [N, C, spatial...] and [M, C/group, kernel...]");
  }
  const size_t nd = w.rank() - 2;
  const std::vector<int64_t> kernel(w.shape().dims().begin() + 2, w.shape().dims().end());
  const std::vector<int64_t> in(x.shape().dims().begin() + 2, x.shape().dims().end());
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(node, nd, kernel));
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, attrs, in));
  const int64_t group = node.attr_int("group", 1);
  const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
  const int64_t cg = channels / group, mg = out_channels / group;
  std::vector<int64_t> x_stride(nd, 1), w_stride(nd, 1);
  int64_t x_plane = 1, w_plane = 1;
  for (size_t i = nd; i-- > 0;) {
    x_stride[i] = x_plane;
    x_plane *= g.in[i];
    w_stride[i] = w_plane;
    w_plane *= g.kernel[i];
  }
  int64_t yi = 0;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t oc = 0; oc < out_channels; ++oc) {
      const int64_t grp = oc / mg;
      std::vector<int64_t> o(nd, 0);
      do {
        int64_t acc = 0;
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t x_base = (b * channels + grp * cg + c) * x_plane, w_base = (oc * cg + c) * w_plane;
          std::vector<int64_t> kk(nd, 0);
          do {
            int64_t xoff = 0, woff = 0;
            bool inside = true;
            for (size_t i = 0; i < nd && inside; ++i) {
              const int64_t pos = o[i] * g.stride[i] - g.pad_begin[i] + kk[i] * g.dilation[i];
              inside = pos >= 0 && pos < g.in[i];
              xoff += pos * x_stride[i];
              woff += kk[i] * w_stride[i];
            }
            // Padding is x_zero_point: (x - x_zp) is 0 there.
            if (!inside) continue;
            const auto xv = static_cast<int64_t>(x.element_as_double(x_base + xoff) - x_zp);
            const auto wv = static_cast<int64_t>(w.element_as_double(w_base + woff) - w_zp[static_cast<size_t>(oc)]);
            acc += xv * wv;
          } while (ref_next_index(kk, g.kernel));
        }
        emit(yi++, oc, acc);
      } while (ref_next_index(o, g.out));
    }
  }
  return ok_status();
}

Status run_conv_integer(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  FS_ASSIGN_OR_RETURN(auto x_zp, per_index_values(ctx.node, optional_input(ctx, 2), 1, "x_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto w_zp, per_index_values(ctx.node, optional_input(ctx, 3), w.dim(0), "w_zero_point", 0.0));
  int32_t* y = ctx.outputs[0]->data<int32_t>();
  return integer_conv(ctx.node, x, w, x_zp[0], w_zp,
                      [&](int64_t i, int64_t, int64_t acc) { y[i] = static_cast<int32_t>(acc); });
}

Status run_qlinear_conv(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[3];
  Tensor& y = *ctx.outputs[0];
  const int64_t m = w.dim(0);
  FS_ASSIGN_OR_RETURN(auto x_scale, per_index_values(ctx.node, ctx.inputs[1], 1, "x_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto x_zp, per_index_values(ctx.node, optional_input(ctx, 2), 1, "x_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto w_scale, per_index_values(ctx.node, ctx.inputs[4], m, "w_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto w_zp, per_index_values(ctx.node, optional_input(ctx, 5), m, "w_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto y_scale, per_index_values(ctx.node, ctx.inputs[6], 1, "y_scale", 1.0));
  FS_ASSIGN_OR_RETURN(auto y_zp, per_index_values(ctx.node, optional_input(ctx, 7), 1, "y_zero_point", 0.0));
  FS_ASSIGN_OR_RETURN(auto bias, per_index_values(ctx.node, optional_input(ctx, 8), m, "B", 0.0));
  const DType st = ctx.inputs[1]->dtype();
  return integer_conv(ctx.node, x, w, x_zp[0], w_zp, [&](int64_t i, int64_t oc, int64_t acc) {
    const float s = scale_ratio(st, x_scale[0], w_scale[static_cast<size_t>(oc)], y_scale[0]);
    const double total = static_cast<double>(acc) + bias[static_cast<size_t>(oc)];
    store_requantized(y, i, total * static_cast<double>(s), y_zp[0]);
  });
}

bool eight_bit(DType t) { return t == DType::kU8 || t == DType::kI8; }
bool matmul_integer_types(const NodeView& n) { return eight_bit(n.input_dtype(0)) && eight_bit(n.input_dtype(1)); }
bool qlinear_types(const NodeView& n) { return eight_bit(n.input_dtype(0)) && eight_bit(n.input_dtype(3)); }

}  // namespace

void register_ref_integer_linalg_kernels(KernelRegistry& r) {
  r.add({.name = "matmul_integer__ref", .op_type = "MatMulInteger", .since_version = 10, .dtype = DType::kUndefined,
         .accepts = matmul_integer_types, .run = run_matmul_integer});
  r.add({.name = "matmul_integer_to_float__ref", .op_type = "MatMulIntegerToFloat", .domain = "fastserve",
         .dtype = DType::kUndefined, .accepts = matmul_integer_types, .run = run_matmul_integer_to_float});
  r.add({.name = "qlinear_matmul__ref", .op_type = "QLinearMatMul", .since_version = 10, .dtype = DType::kUndefined,
         .accepts = qlinear_types, .run = run_qlinear_matmul});
  r.add({.name = "conv_integer__ref", .op_type = "ConvInteger", .since_version = 10, .dtype = DType::kUndefined,
         .accepts = matmul_integer_types, .run = run_conv_integer});
  r.add({.name = "qlinear_conv__ref", .op_type = "QLinearConv", .since_version = 10, .dtype = DType::kUndefined,
         .accepts = qlinear_types, .run = run_qlinear_conv});
}

}  // namespace fastserve
