// Shape and dtype inference for the convolution, pooling, normalization and
// linear-algebra ops (Conv, ConvTranspose, MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, LpPool, GlobalLpPool, BatchNormalization,
// Gemm, MatMul).
//
// At compile time dims may be unknown: they propagate as kUnknownDim, and
// only definite mismatches (two known dims that disagree) are errors.
#include <string>

#include "graph/fused_activation.h"
#include "graph/op_schema.h"
#include "graph/shape_utils.h"
#include "graph/window_geometry.h"

namespace fastserve {
namespace {

bool known(int64_t d) { return d != kUnknownDim; }

std::string str(int64_t d) { return known(d) ? std::to_string(d) : std::string("?"); }

// Dims of input i, or nullptr when absent or of unknown rank.
const Shape* known_shape(const NodeView& node, size_t i) {
  if (!node.has_input(i) || !node.input(i).shape_known) return nullptr;
  return &node.input(i).shape;
}

void set_output(std::vector<TensorInfo>& outputs, size_t i, DType dtype, Shape shape) {
  if (i >= outputs.size()) return;
  outputs[i].dtype = dtype;
  outputs[i].shape_known = true;
  outputs[i].shape = std::move(shape);
}

void set_unknown_output(std::vector<TensorInfo>& outputs, size_t i, DType dtype) {
  if (i >= outputs.size()) return;
  outputs[i].dtype = dtype;
  outputs[i].shape_known = false;
  outputs[i].shape = Shape();
}

Status check_rank(const NodeView& node, size_t input, const char* what, size_t rank) {
  const Shape* s = known_shape(node, input);
  if (s != nullptr && s->rank() != rank) {
    return node.error(StatusCode::kInvalidArgument, std::string(what) + " has shape " + s->to_string() +
                                                        " (rank " + std::to_string(s->rank()) + "), expected rank " +
                                                        std::to_string(rank));
  }
  return ok_status();
}

// A per-channel vector input (bias, BatchNorm statistics) must be [channels].
Status check_channel_vector(const NodeView& node, size_t input, const char* what, int64_t channels) {
  const Shape* s = known_shape(node, input);
  if (s == nullptr) return ok_status();
  if (s->rank() != 1) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(what) + " has shape " + s->to_string() + ", expected a 1-D tensor of " + str(channels));
  }
  if (known((*s)[0]) && known(channels) && (*s)[0] != channels) {
    return node.error(StatusCode::kInvalidArgument, std::string(what) + " has " + std::to_string((*s)[0]) +
                                                        " values, expected " + std::to_string(channels) + " (channels)");
  }
  return ok_status();
}

// Input spatial dims (kUnknownDim when X's shape is unknown).
std::vector<int64_t> spatial_dims(const NodeView& node, size_t nd) {
  const Shape* x = known_shape(node, 0);
  if (x == nullptr) return std::vector<int64_t>(nd, kUnknownDim);
  return std::vector<int64_t>(x->dims().begin() + 2, x->dims().end());
}

int64_t dim_or_unknown(const Shape* s, size_t i) { return s == nullptr ? kUnknownDim : (*s)[i]; }

// Shared by Conv and ConvTranspose: rank checks, group, kernel_shape vs W.
struct ConvCommon {
  size_t nd = 0;
  int64_t group = 1;
  WindowAttrs attrs;
};

Result<ConvCommon> conv_common(const NodeView& node) {
  ConvCommon c;
  const int64_t nd = window_spatial_rank(node, /*weights_input=*/true);
  if (nd == -1) return c;  // rank unknown: caller leaves the output unknown
  if (nd < 1) return node.error(StatusCode::kInvalidArgument, "needs at least 1 spatial dim (X and W of rank >= 3)");
  c.nd = static_cast<size_t>(nd);
  FS_RETURN_IF_ERROR(check_rank(node, 0, "X", c.nd + 2));
  FS_RETURN_IF_ERROR(check_rank(node, 1, "W", c.nd + 2));
  c.group = node.attr_int("group", 1);
  if (c.group < 1) return node.error(StatusCode::kInvalidArgument, "group " + std::to_string(c.group) + " < 1");
  const Shape* w = known_shape(node, 1);
  std::vector<int64_t> w_kernel(c.nd, kUnknownDim);
  if (w != nullptr) w_kernel.assign(w->dims().begin() + 2, w->dims().end());
  FS_ASSIGN_OR_RETURN(c.attrs, parse_window_attrs(node, c.nd, w_kernel));
  for (size_t i = 0; i < c.nd; ++i) {
    if (known(w_kernel[i]) && known(c.attrs.kernel[i]) && w_kernel[i] != c.attrs.kernel[i]) {
      return node.error(StatusCode::kInvalidArgument, "kernel_shape dim " + std::to_string(i) + " is " +
                                                          std::to_string(c.attrs.kernel[i]) + " but W has shape " +
                                                          w->to_string());
    }
  }
  return c;
}

}  // namespace

Status infer_conv(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  FS_ASSIGN_OR_RETURN(ConvCommon c, conv_common(node));
  if (c.nd == 0) {
    set_unknown_output(outputs, 0, dtype);
    return ok_status();
  }
  const Shape* x = known_shape(node, 0);
  const Shape* w = known_shape(node, 1);
  const int64_t channels = dim_or_unknown(x, 1);
  const int64_t w_channels = dim_or_unknown(w, 1);
  const int64_t m = dim_or_unknown(w, 0);
  if (known(channels) && known(w_channels) && channels != w_channels * c.group) {
    return node.error(StatusCode::kInvalidArgument,
                      "X has " + std::to_string(channels) + " channels but W " + w->to_string() + " with group " +
                          std::to_string(c.group) + " expects " + std::to_string(w_channels * c.group));
  }
  if (known(m) && m % c.group != 0) {
    return node.error(StatusCode::kInvalidArgument, "W has " + std::to_string(m) +
                                                        " output channels, not a multiple of group " +
                                                        std::to_string(c.group));
  }
  if (node.has_input(2)) FS_RETURN_IF_ERROR(check_channel_vector(node, 2, "B", m));
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, c.attrs, spatial_dims(node, c.nd)));
  std::vector<int64_t> dims = {dim_or_unknown(x, 0), m};
  dims.insert(dims.end(), g.out.begin(), g.out.end());
  set_output(outputs, 0, dtype, Shape(std::move(dims)));
  return ok_status();
}

// fastserve.FusedConv: Conv's output, plus a residual Z (input 3) of that
// shape and a valid activation.
Status infer_fused_conv(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(infer_conv(node, outputs));
  FS_RETURN_IF_ERROR(parse_fused_activation(node).status());
  if (!node.has_input(3) || outputs.empty()) return ok_status();
  const TensorInfo& z = node.input(3);
  if (z.dtype != DType::kUndefined && z.dtype != node.input_dtype(0)) {
    return node.error(StatusCode::kInvalidArgument, "Z has dtype " + std::string(dtype_name(z.dtype)) +
                                                        ", X has " + std::string(dtype_name(node.input_dtype(0))));
  }
  const TensorInfo& y = outputs[0];
  if (!z.shape_known || !y.shape_known) return ok_status();
  bool mismatch = z.shape.rank() != y.shape.rank();
  for (size_t i = 0; !mismatch && i < z.shape.rank(); ++i) {
    mismatch = known(z.shape[i]) && known(y.shape[i]) && z.shape[i] != y.shape[i];
  }
  if (mismatch) {
    return node.error(StatusCode::kInvalidArgument,
                      "Z has shape " + z.shape.to_string() + " but the convolution gives " + y.shape.to_string());
  }
  return ok_status();
}

Status infer_conv_transpose(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  FS_ASSIGN_OR_RETURN(ConvCommon c, conv_common(node));
  if (c.nd == 0) {
    set_unknown_output(outputs, 0, dtype);
    return ok_status();
  }
  const Shape* x = known_shape(node, 0);
  const Shape* w = known_shape(node, 1);
  const int64_t channels = dim_or_unknown(x, 1);
  const int64_t w_in = dim_or_unknown(w, 0);
  const int64_t w_out = dim_or_unknown(w, 1);
  if (known(channels) && known(w_in) && channels != w_in) {
    return node.error(StatusCode::kInvalidArgument, "X has " + std::to_string(channels) + " channels but W " +
                                                        w->to_string() + " expects " + std::to_string(w_in));
  }
  if (known(w_in) && w_in % c.group != 0) {
    return node.error(StatusCode::kInvalidArgument, "W has " + std::to_string(w_in) +
                                                        " input channels, not a multiple of group " +
                                                        std::to_string(c.group));
  }
  const int64_t m = known(w_out) ? w_out * c.group : kUnknownDim;
  if (node.has_input(2)) FS_RETURN_IF_ERROR(check_channel_vector(node, 2, "B", m));
  FS_ASSIGN_OR_RETURN(WindowGeometry g, conv_transpose_geometry(node, c.attrs, spatial_dims(node, c.nd)));
  std::vector<int64_t> dims = {dim_or_unknown(x, 0), m};
  dims.insert(dims.end(), g.out.begin(), g.out.end());
  set_output(outputs, 0, dtype, Shape(std::move(dims)));
  return ok_status();
}

Status infer_pool(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  if (!node.has_attr("kernel_shape")) {
    return node.error(StatusCode::kInvalidArgument, "kernel_shape attribute is required");
  }
  const size_t nd = node.attr_ints("kernel_shape").size();
  if (nd < 1) return node.error(StatusCode::kInvalidArgument, "kernel_shape is empty");
  FS_RETURN_IF_ERROR(check_rank(node, 0, "X", nd + 2));
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(node, nd));
  const int64_t storage_order = node.attr_int("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) {
    return node.error(StatusCode::kInvalidArgument, "storage_order must be 0 or 1, got " + std::to_string(storage_order));
  }
  FS_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, attrs, spatial_dims(node, nd)));
  const Shape* x = known_shape(node, 0);
  std::vector<int64_t> dims = {dim_or_unknown(x, 0), dim_or_unknown(x, 1)};
  dims.insert(dims.end(), g.out.begin(), g.out.end());
  set_output(outputs, 0, dtype, Shape(dims));
  // MaxPool's optional Indices output: int64, same shape as Y.
  if (outputs.size() > 1 && outputs[1].present) set_output(outputs, 1, DType::kI64, Shape(dims));
  return ok_status();
}

Status infer_global_pool(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  const Shape* x = known_shape(node, 0);
  if (x == nullptr) {
    set_unknown_output(outputs, 0, dtype);
    return ok_status();
  }
  if (x->rank() < 3) {
    return node.error(StatusCode::kInvalidArgument, "X has shape " + x->to_string() + ", expected rank >= 3 (N, C, spatial...)");
  }
  std::vector<int64_t> dims(x->rank(), 1);
  dims[0] = (*x)[0];
  dims[1] = (*x)[1];
  set_output(outputs, 0, dtype, Shape(std::move(dims)));
  return ok_status();
}

Status infer_batchnorm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  const Shape* x = known_shape(node, 0);
  if (x != nullptr && x->rank() < 2) {
    return node.error(StatusCode::kInvalidArgument, "X has shape " + x->to_string() + ", expected rank >= 2 (N, C, ...)");
  }
  const int64_t channels = dim_or_unknown(x, 1);
  static const char* const kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i < 5; ++i) {
    if (!node.has_input(i)) {
      return node.error(StatusCode::kInvalidArgument, std::string("input ") + kNames[i] + " is missing");
    }
    FS_RETURN_IF_ERROR(check_channel_vector(node, i, kNames[i], channels));
  }
  propagate_same(node, outputs, 0, 0);
  // Training-mode outputs (running / saved statistics) are per channel.
  for (size_t i = 1; i < outputs.size(); ++i) {
    if (outputs[i].present) set_output(outputs, i, dtype, Shape{channels});
  }
  return ok_status();
}

Status infer_gemm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  FS_RETURN_IF_ERROR(check_rank(node, 0, "A", 2));
  FS_RETURN_IF_ERROR(check_rank(node, 1, "B", 2));
  const bool trans_a = node.attr_int("transA", 0) != 0;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const Shape* a = known_shape(node, 0);
  const Shape* b = known_shape(node, 1);
  const int64_t m = dim_or_unknown(a, trans_a ? 1 : 0);
  const int64_t ka = dim_or_unknown(a, trans_a ? 0 : 1);
  const int64_t kb = dim_or_unknown(b, trans_b ? 1 : 0);
  const int64_t n = dim_or_unknown(b, trans_b ? 0 : 1);
  if (known(ka) && known(kb) && ka != kb) {
    return node.error(StatusCode::kInvalidArgument,
                      "inner dims differ: A " + a->to_string() + (trans_a ? " (transA)" : "") + " gives K=" +
                          std::to_string(ka) + ", B " + b->to_string() + (trans_b ? " (transB)" : "") +
                          " gives K=" + std::to_string(kb));
  }
  if (const Shape* c = known_shape(node, 2); c != nullptr) {
    // C broadcasts one way to [M, N]: right-aligned, each dim 1 or equal.
    if (c->rank() > 2) {
      return node.error(StatusCode::kInvalidArgument, "C has shape " + c->to_string() + ", expected rank <= 2");
    }
    const int64_t target[2] = {m, n};
    for (size_t i = 0; i < c->rank(); ++i) {
      const int64_t cd = (*c)[c->rank() - 1 - i];
      const int64_t td = target[1 - i];
      if (known(cd) && known(td) && cd != 1 && cd != td) {
        return node.error(StatusCode::kInvalidArgument, "C with shape " + c->to_string() +
                                                            " does not broadcast to [" + str(m) + "," + str(n) + "]");
      }
    }
  }
  set_output(outputs, 0, dtype, Shape{m, n});
  return ok_status();
}

Status infer_matmul(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const DType dtype = node.input_dtype(0);
  const Shape* a = known_shape(node, 0);
  const Shape* b = known_shape(node, 1);
  if ((a != nullptr && a->rank() == 0) || (b != nullptr && b->rank() == 0)) {
    return node.error(StatusCode::kInvalidArgument, "MatMul operands must have rank >= 1");
  }
  if (a == nullptr || b == nullptr) {
    set_unknown_output(outputs, 0, dtype);
    return ok_status();
  }
  // numpy.matmul: a 1-D A is [1, K] and a 1-D B is [K, 1]; the added dim is
  // removed from the result.
  const bool a_vec = a->rank() == 1;
  const bool b_vec = b->rank() == 1;
  const int64_t ka = (*a)[a->rank() - 1];
  const int64_t m = a_vec ? 1 : (*a)[a->rank() - 2];
  const int64_t kb = b_vec ? (*b)[0] : (*b)[b->rank() - 2];
  const int64_t n = b_vec ? 1 : (*b)[b->rank() - 1];
  if (known(ka) && known(kb) && ka != kb) {
    return node.error(StatusCode::kInvalidArgument, "inner dims differ: A " + a->to_string() + " has K=" +
                                                        std::to_string(ka) + ", B " + b->to_string() + " has K=" +
                                                        std::to_string(kb));
  }
  const Shape a_batch(std::vector<int64_t>(a->dims().begin(), a->dims().end() - (a_vec ? 1 : 2)));
  const Shape b_batch(std::vector<int64_t>(b->dims().begin(), b->dims().end() - (b_vec ? 1 : 2)));
  Result<Shape> batch = broadcast_shapes(a_batch, b_batch);
  if (!batch.ok()) {
    return node.error(StatusCode::kInvalidArgument, "batch dims of A " + a->to_string() + " and B " + b->to_string() +
                                                        " do not broadcast: " + batch.status().message());
  }
  std::vector<int64_t> dims = batch->dims();
  if (!a_vec) dims.push_back(m);
  if (!b_vec) dims.push_back(n);
  set_output(outputs, 0, dtype, Shape(std::move(dims)));
  return ok_status();
}

}  // namespace fastserve

namespace fastserve {

// fastserve.FusedMatMul: MatMul's shape; the bias, when given and known,
// must be 1-D with B's last dim.
Status infer_fused_matmul(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(infer_matmul(node, outputs));
  if (!node.has_input(2) || !node.input(2).shape_known) return ok_status();
  const Shape& bias = node.input(2).shape;
  const Shape* b = known_shape(node, 1);
  const int64_t n = b == nullptr ? kUnknownDim : (b->rank() == 1 ? 1 : (*b)[b->rank() - 1]);
  if (bias.rank() != 1 || (known(n) && known(bias[0]) && bias[0] != n)) {
    return node.error(StatusCode::kInvalidArgument,
                      "bias " + bias.to_string() + " must be 1-D with B's last dim" +
                          (known(n) ? " (" + std::to_string(n) + ")" : std::string()));
  }
  return ok_status();
}

}  // namespace fastserve
