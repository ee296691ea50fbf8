// Shape and dtype inference for the normalization ops (LayerNormalization,
// RMSNormalization, InstanceNormalization, GroupNormalization,
// LpNormalization, MeanVarianceNormalization): Y has X's dtype and shape;
// the checks are on the axis attribute and the per-channel / per-group
// scale and bias lengths. Unknown dims propagate; only definite mismatches
// are errors.
#include <string>

#include "graph/op_schema.h"
#include "graph/shape_utils.h"

namespace fastserve {
namespace {

bool known(int64_t d) { return d != kUnknownDim; }

const Shape* known_shape(const NodeView& node, size_t i) {
  if (!node.has_input(i) || !node.input(i).shape_known) return nullptr;
  return &node.input(i).shape;
}

Status require_input(const NodeView& node, size_t i, const char* what) {
  if (!node.has_input(i)) return node.error(StatusCode::kInvalidArgument, std::string("input ") + what + " is missing");
  return ok_status();
}

// `axis` in [-rank, rank) made non-negative; error naming the attribute otherwise.
Result<int64_t> normalize_axis(const NodeView& node, int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    return node.error(StatusCode::kInvalidArgument,
                      "attribute axis = " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  }
  return axis < 0 ? axis + r : axis;
}

// A 1-D vector input of `expected` values (kUnknownDim: any length).
Status check_vector(const NodeView& node, size_t i, const char* what, int64_t expected, const char* per) {
  const Shape* s = known_shape(node, i);
  if (s == nullptr) return ok_status();
  if (s->rank() != 1) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(what) + " has shape " + s->to_string() + ", expected a 1-D tensor (one value per " +
                          per + ")");
  }
  if (known((*s)[0]) && known(expected) && (*s)[0] != expected) {
    return node.error(StatusCode::kInvalidArgument, std::string(what) + " has " + std::to_string((*s)[0]) +
                                                        " values, expected " + std::to_string(expected) + " (one per " +
                                                        per + ")");
  }
  return ok_status();
}

// Scale / B of LayerNormalization and RMSNormalization must broadcast to X.
Status check_broadcasts_to_x(const NodeView& node, size_t i, const char* what) {
  const Shape* x = known_shape(node, 0);
  const Shape* s = known_shape(node, i);
  if (x == nullptr || s == nullptr) return ok_status();
  Result<Shape> b = broadcast_shapes(*x, *s);
  bool ok = b.ok() && b->rank() == x->rank();
  for (size_t d = 0; ok && d < x->rank(); ++d) {
    if (known((*x)[d]) && known((*b)[d]) && (*b)[d] != (*x)[d]) ok = false;
  }
  if (!ok) {
    return node.error(StatusCode::kInvalidArgument,
                      std::string(what) + " of shape " + s->to_string() + " does not broadcast to X " + x->to_string());
  }
  return ok_status();
}

}  // namespace

Status infer_layer_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "X"));
  FS_RETURN_IF_ERROR(require_input(node, 1, "Scale"));
  FS_RETURN_IF_ERROR(check_broadcasts_to_x(node, 1, "Scale"));
  if (node.has_input(2)) FS_RETURN_IF_ERROR(check_broadcasts_to_x(node, 2, "B"));
  propagate_same(node, outputs, 0, 0);
  // Mean and InvStdDev (LayerNormalization only) are in the stash type, with
  // the normalized dims kept as 1.
  const DType stash = dtype_from_onnx(static_cast<int32_t>(node.attr_int("stash_type", 1)));
  const Shape* x = known_shape(node, 0);
  int64_t axis = 0;
  if (x != nullptr) {
    FS_ASSIGN_OR_RETURN(axis, normalize_axis(node, node.attr_int("axis", -1), x->rank()));
  }
  for (size_t i = 1; i < outputs.size(); ++i) {
    if (!outputs[i].present) continue;
    outputs[i].dtype = stash;
    outputs[i].shape_known = x != nullptr;
    outputs[i].shape = Shape();
    if (x == nullptr) continue;
    std::vector<int64_t> dims(x->dims());
    for (size_t d = static_cast<size_t>(axis); d < dims.size(); ++d) dims[d] = 1;
    outputs[i].shape = Shape(std::move(dims));
  }
  return ok_status();
}

Status infer_rms_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "X"));
  FS_RETURN_IF_ERROR(require_input(node, 1, "scale"));
  FS_RETURN_IF_ERROR(check_broadcasts_to_x(node, 1, "scale"));
  if (const Shape* x = known_shape(node, 0); x != nullptr) {
    FS_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", -1), x->rank()).status());
  }
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

Status infer_instance_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "input"));
  FS_RETURN_IF_ERROR(require_input(node, 1, "scale"));
  FS_RETURN_IF_ERROR(require_input(node, 2, "B"));
  const Shape* x = known_shape(node, 0);
  if (x != nullptr && x->rank() < 3) {
    return node.error(StatusCode::kInvalidArgument,
                      "input has shape " + x->to_string() + ", expected rank >= 3 (N, C, D1, ...)");
  }
  const int64_t channels = x == nullptr ? kUnknownDim : (*x)[1];
  FS_RETURN_IF_ERROR(check_vector(node, 1, "scale", channels, "channel"));
  FS_RETURN_IF_ERROR(check_vector(node, 2, "B", channels, "channel"));
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

Status infer_group_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "X"));
  FS_RETURN_IF_ERROR(require_input(node, 1, "scale"));
  FS_RETURN_IF_ERROR(require_input(node, 2, "bias"));
  if (!node.has_attr("num_groups")) {
    return node.error(StatusCode::kInvalidArgument, "attribute num_groups is required");
  }
  const int64_t groups = node.attr_int("num_groups", 1);
  if (groups <= 0) {
    return node.error(StatusCode::kInvalidArgument, "attribute num_groups = " + std::to_string(groups) +
                                                        " must be positive");
  }
  const Shape* x = known_shape(node, 0);
  if (x != nullptr && x->rank() < 2) {
    return node.error(StatusCode::kInvalidArgument, "X has shape " + x->to_string() + ", expected rank >= 2 (N, C, ...)");
  }
  const int64_t channels = x == nullptr ? kUnknownDim : (*x)[1];
  if (known(channels) && channels % groups != 0) {
    return node.error(StatusCode::kInvalidArgument, "X has " + std::to_string(channels) +
                                                        " channels, not divisible by num_groups = " +
                                                        std::to_string(groups));
  }
  // Opset 18 scales per group; opset 21 per channel.
  const bool per_channel = node.opset() >= 21;
  const int64_t expected = per_channel ? channels : groups;
  const char* per = per_channel ? "channel" : "group";
  FS_RETURN_IF_ERROR(check_vector(node, 1, "scale", expected, per));
  FS_RETURN_IF_ERROR(check_vector(node, 2, "bias", expected, per));
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

Status infer_lp_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "input"));
  const int64_t p = node.attr_int("p", 2);
  if (p != 1 && p != 2) {
    return node.error(StatusCode::kInvalidArgument, "attribute p = " + std::to_string(p) + " must be 1 or 2");
  }
  if (const Shape* x = known_shape(node, 0); x != nullptr) {
    FS_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", -1), x->rank()).status());
  }
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

Status infer_mean_variance_norm(const NodeView& node, std::vector<TensorInfo>& outputs) {
  FS_RETURN_IF_ERROR(require_input(node, 0, "X"));
  if (const Shape* x = known_shape(node, 0); x != nullptr) {
    for (int64_t a : node.attr_ints("axes", {0, 2, 3})) {
      const auto r = static_cast<int64_t>(x->rank());
      if (a < -r || a >= r) {
        return node.error(StatusCode::kInvalidArgument,
                          "attribute axes has " + std::to_string(a) + ", out of range for X " + x->to_string());
      }
    }
  }
  propagate_same(node, outputs, 0, 0);
  return ok_status();
}

}  // namespace fastserve
