// Shape and dtype inference for fastserve.Attention (graph/ops_fastserve.def):
// Y is [B, H, Sq, Dv] ("bhsd") or [B, Sq, H, Dv] ("bshd"), float32. Q, K, V
// must agree on B and H, K and V on Sk, Q and K on D; each mask must be
// broadcastable to [B, H, Sq, Sk] without widening it. Unknown dims pass.
#include <array>
#include <string>

#include "graph/op_schema.h"

namespace fastserve {
namespace {

bool known(int64_t d) { return d != kUnknownDim; }

// Dim positions of (B, H, S, D) in a tensor of the layout.
struct LayoutDims {
  int b, h, s, d;
};

// The four dims of mask input i right-aligned against [B, H, Sq, Sk] (1 where
// absent); an error when a known dim is neither 1 nor the target's.
Status check_mask(const NodeView& node, size_t i, const char* what, const std::array<int64_t, 4>& target) {
  if (!node.has_input(i) || !node.input(i).shape_known) return ok_status();
  const Shape& m = node.input(i).shape;
  if (m.rank() > 4) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(what) + " " + m.to_string() + " has rank > 4 (scores are [B, H, Sq, Sk])");
  }
  const size_t off = 4 - m.rank();
  for (size_t j = 0; j < m.rank(); ++j) {
    const int64_t d = m[j], t = target[off + j];
    if (known(d) && d != 1 && known(t) && d != t) {
      return node.error(StatusCode::kInvalidArgument, std::string(what) + " " + m.to_string() +
                                                          " does not broadcast to the scores [B, H, Sq, Sk] (dim " +
                                                          std::to_string(off + j) + " is " + std::to_string(t) + ")");
    }
  }
  return ok_status();
}

// a and b must agree where both are known.
Status same_dim(const NodeView& node, int64_t a, int64_t b, const std::string& what) {
  if (known(a) && known(b) && a != b) {
    return node.error(StatusCode::kInvalidArgument,
                      what + " differ: " + std::to_string(a) + " vs " + std::to_string(b));
  }
  return ok_status();
}

}  // namespace

Status infer_attention(const NodeView& node, std::vector<TensorInfo>& outputs) {
  const std::string layout = node.attr_string("layout", "bhsd");
  if (layout != "bhsd" && layout != "bshd") {
    return node.error(StatusCode::kInvalidArgument, "layout \"" + layout + "\" is not \"bhsd\" or \"bshd\"");
  }
  const int64_t causal = node.attr_int("causal", 0);
  if (causal != 0 && causal != 1) {
    return node.error(StatusCode::kInvalidArgument, "causal must be 0 or 1, got " + std::to_string(causal));
  }
  for (size_t i = 0; i < 3; ++i) {
    if (!node.has_input(i)) return node.error(StatusCode::kInvalidArgument, "Q, K and V are required");
    if (node.input_dtype(i) != DType::kF32) {
      return node.error(StatusCode::kInvalidArgument,
                        std::string("QKV").substr(i, 1) + " must be float32, got " +
                            dtype_name(node.input_dtype(i)));
    }
  }
  if (node.has_input(3) && node.input_dtype(3) != DType::kF32) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("additive_mask must be float32, got ") + dtype_name(node.input_dtype(3)));
  }
  if (node.has_input(4) && node.input_dtype(4) != DType::kBool) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string("keep_mask must be bool, got ") + dtype_name(node.input_dtype(4)));
  }
  if (outputs.empty()) return ok_status();
  outputs[0].dtype = DType::kF32;
  const TensorInfo& q = node.input(0);
  const TensorInfo& k = node.input(1);
  const TensorInfo& v = node.input(2);
  for (const TensorInfo* t : {&q, &k, &v}) {
    if (t->shape_known && t->shape.rank() != 4) {
      return node.error(StatusCode::kInvalidArgument, "Q, K and V must have rank 4, got " + t->shape.to_string());
    }
  }
  if (!q.shape_known || !k.shape_known || !v.shape_known) {
    outputs[0].shape_known = false;
    outputs[0].shape = Shape();
    return ok_status();
  }
  const LayoutDims l = layout == "bhsd" ? LayoutDims{0, 1, 2, 3} : LayoutDims{0, 2, 1, 3};
  const Shape& qs = q.shape;
  const Shape& ks = k.shape;
  const Shape& vs = v.shape;
  FS_RETURN_IF_ERROR(same_dim(node, qs[l.b], ks[l.b], "batch of Q and K"));
  FS_RETURN_IF_ERROR(same_dim(node, qs[l.b], vs[l.b], "batch of Q and V"));
  FS_RETURN_IF_ERROR(same_dim(node, qs[l.h], ks[l.h], "heads of Q and K"));
  FS_RETURN_IF_ERROR(same_dim(node, qs[l.h], vs[l.h], "heads of Q and V"));
  FS_RETURN_IF_ERROR(same_dim(node, ks[l.s], vs[l.s], "key lengths of K and V"));
  FS_RETURN_IF_ERROR(same_dim(node, qs[l.d], ks[l.d], "head sizes of Q and K"));
  auto pick = [](int64_t a, int64_t b) { return known(a) ? a : b; };
  const int64_t b = pick(qs[l.b], pick(ks[l.b], vs[l.b]));
  const int64_t h = pick(qs[l.h], pick(ks[l.h], vs[l.h]));
  const int64_t sq = qs[l.s];
  const int64_t sk = pick(ks[l.s], vs[l.s]);
  const std::array<int64_t, 4> scores = {b, h, sq, sk};
  FS_RETURN_IF_ERROR(check_mask(node, 3, "additive_mask", scores));
  FS_RETURN_IF_ERROR(check_mask(node, 4, "keep_mask", scores));
  outputs[0].shape_known = true;
  outputs[0].shape = layout == "bhsd" ? Shape{b, h, sq, vs[3]} : Shape{b, sq, h, vs[3]};
  return ok_status();
}

}  // namespace fastserve
