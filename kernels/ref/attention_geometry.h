// fastserve.Attention's run-time geometry (graph/ops_fastserve.def), shared by
// the reference (kernels/ref/attention.cc) and the CPU kernel
// (kernels/cpu/attention/attention.cc): sizes, the element strides of Q, K,
// V and Y for either layout, and the masks' strides over [B, H, Sq, Sk]
// (0 for a broadcast dim), so both kernels index the same way.
#pragma once

#include <cfloat>
#include <cstdint>
#include <string>

#include "fastserve/node_view.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct AttentionAttrs {
  float scale = 1.f;
  float fill = -FLT_MAX;
  bool causal = false;
  bool bshd = false;  // layout "bshd"; else "bhsd"
};

inline AttentionAttrs attention_attrs(const NodeView& node) {
  AttentionAttrs a;
  a.scale = node.attr_float("scale", 1.f);
  a.fill = node.attr_float("fill", -FLT_MAX);
  a.causal = node.attr_int("causal", 0) != 0;
  a.bshd = node.attr_string("layout", "bhsd") == "bshd";
  return a;
}

// Element strides of one rank-4 operand: batch, head, sequence position.
struct AttentionStrides {
  int64_t b = 0, h = 0, s = 0;
};

struct MaskStrides {
  int64_t b = 0, h = 0, q = 0, k = 0;
};

struct AttentionGeometry {
  int64_t batch = 0, heads = 0, sq = 0, sk = 0, d = 0, dv = 0;
  AttentionStrides q, k, v, y;
  MaskStrides add, keep;
  // Keys of query row i that causal keeps: j <= i + causal_offset.
  int64_t causal_offset = 0;
};

namespace attention_detail {

inline AttentionStrides operand_strides(const Shape& s, bool bshd) {
  // Contiguous [B, H, S, X] or [B, S, H, X].
  if (bshd) return {s[1] * s[2] * s[3], s[3], s[2] * s[3]};
  return {s[1] * s[2] * s[3], s[2] * s[3], s[3]};
}

// Strides of a mask right-aligned against [batch, heads, sq, sk]; false when
// a dim is neither 1 nor the target's.
inline bool mask_strides(const Shape& m, const int64_t (&target)[4], MaskStrides& out) {
  if (m.rank() > 4) return false;
  int64_t st[4] = {0, 0, 0, 0};
  int64_t stride = 1;
  for (int j = static_cast<int>(m.rank()) - 1; j >= 0; --j) {
    const int t = j + 4 - static_cast<int>(m.rank());
    const int64_t d = m[static_cast<size_t>(j)];
    if (d != 1 && d != target[t]) return false;
    st[t] = d == 1 ? 0 : stride;
    stride *= d;
  }
  out = {st[0], st[1], st[2], st[3]};
  return true;
}

}  // namespace attention_detail

// Checks the run-time shapes (Q, K, V rank 4 agreeing on B, H, Sk, D; masks
// broadcastable) and computes the geometry. Errors name the node.
inline Result<AttentionGeometry> attention_geometry(const NodeView& node, const AttentionAttrs& a, const Tensor& q,
                                                    const Tensor& k, const Tensor& v, const Tensor* add,
                                                    const Tensor* keep) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
    return node.error(StatusCode::kInvalidArgument, "Q, K, V must have rank 4, got " + q.shape().to_string() + ", " +
                                                        k.shape().to_string() + ", " + v.shape().to_string());
  }
  const int sd = a.bshd ? 1 : 2, hd = a.bshd ? 2 : 1;
  AttentionGeometry g;
  g.batch = q.dim(0);
  g.heads = q.dim(hd);
  g.sq = q.dim(sd);
  g.d = q.dim(3);
  g.sk = k.dim(sd);
  g.dv = v.dim(3);
  if (k.dim(0) != g.batch || v.dim(0) != g.batch || k.dim(hd) != g.heads || v.dim(hd) != g.heads ||
      v.dim(sd) != g.sk || k.dim(3) != g.d) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("Q ") + q.shape().to_string() + ", K " + k.shape().to_string() + ", V " +
                          v.shape().to_string() + " do not agree for layout " + (a.bshd ? "bshd" : "bhsd"));
  }
  g.q = attention_detail::operand_strides(q.shape(), a.bshd);
  g.k = attention_detail::operand_strides(k.shape(), a.bshd);
  g.v = attention_detail::operand_strides(v.shape(), a.bshd);
  g.y = a.bshd ? AttentionStrides{g.sq * g.heads * g.dv, g.dv, g.heads * g.dv}
               : AttentionStrides{g.heads * g.sq * g.dv, g.sq * g.dv, g.dv};
  const int64_t target[4] = {g.batch, g.heads, g.sq, g.sk};
  if (add != nullptr && !attention_detail::mask_strides(add->shape(), target, g.add)) {
    return node.error(StatusCode::kInvalidArgument, "additive_mask " + add->shape().to_string() +
                                                        " does not broadcast to the scores " +
                                                        Shape{g.batch, g.heads, g.sq, g.sk}.to_string());
  }
  if (keep != nullptr && !attention_detail::mask_strides(keep->shape(), target, g.keep)) {
    return node.error(StatusCode::kInvalidArgument, "keep_mask " + keep->shape().to_string() +
                                                        " does not broadcast to the scores " +
                                                        Shape{g.batch, g.heads, g.sq, g.sk}.to_string());
  }
  g.causal_offset = g.sk - g.sq;
  return g;
}

}  // namespace fastserve
