// Shape and dtype inference for Resize (opsets 11-19). The output size is
// known when X's dims and the scales or sizes input are (constants, or every
// input at run time); otherwise the rank is X's and only the dims outside
// `axes` are known. The size rules live in graph/resize_geometry.h, shared
// with the kernels.
#include <string>

#include "graph/op_schema.h"
#include "graph/resize_geometry.h"
#include "graph/shape_utils.h"

namespace fastserve {
namespace {

enum class Given { kAbsent, kUnknown, kKnown };

// Whether optional input i is absent (or an empty placeholder), known, or
// present with a value not known yet.
Given given(const NodeView& node, size_t i) {
  if (!node.has_input(i)) return Given::kAbsent;
  if (const Tensor* v = node.input_value(i); v != nullptr) return v->numel() == 0 ? Given::kAbsent : Given::kKnown;
  const TensorInfo& info = node.input(i);
  if (info.shape_known && info.shape.rank() == 1 && info.shape[0] == 0) return Given::kAbsent;
  return Given::kUnknown;
}

}  // namespace

Status infer_resize(const NodeView& node, std::vector<TensorInfo>& outputs) {
  if (!node.has_input(0)) return node.error(StatusCode::kInvalidArgument, "input X is missing");
  FS_ASSIGN_OR_RETURN(const ResizeAttrs attrs, parse_resize_attrs(node));
  const TensorInfo& x = node.input(0);
  outputs[0].dtype = x.dtype;
  outputs[0].shape_known = x.shape_known;
  outputs[0].shape = Shape();
  if (!x.shape_known) return ok_status();
  const size_t rank = x.shape.rank();
  if (rank == 0) return node.error(StatusCode::kInvalidArgument, "X is a scalar; Resize needs rank >= 1");

  const Given scales = given(node, 2), sizes = given(node, 3);
  if (scales == Given::kAbsent && sizes == Given::kAbsent) {
    return node.error(StatusCode::kInvalidArgument, "neither scales nor sizes is given");
  }
  if (scales == Given::kKnown && sizes == Given::kKnown) {
    return node.error(StatusCode::kInvalidArgument, "scales and sizes are both given");
  }
  // Which dims may change: all, or those listed in axes.
  std::vector<bool> resized(rank, attrs.axes.empty());
  for (int64_t a : attrs.axes) {
    const auto r = static_cast<int64_t>(rank);
    if (a < -r || a >= r) {
      return node.error(StatusCode::kInvalidArgument,
                        "attribute axes has " + std::to_string(a) + ", out of range for rank " + std::to_string(r));
    }
    resized[static_cast<size_t>(a < 0 ? a + r : a)] = true;
  }
  std::vector<int64_t> out(x.shape.dims());
  const bool values_known = (scales == Given::kKnown && sizes == Given::kAbsent) ||
                            (sizes == Given::kKnown && scales == Given::kAbsent);
  if (!values_known) {
    for (size_t d = 0; d < rank; ++d) {
      if (resized[d]) out[d] = kUnknownDim;
    }
    outputs[0].shape = Shape(std::move(out));
    return ok_status();
  }
  // Unknown input dims stand in as 1; the output dims that depend on them
  // are unknown again below (sizes with stretch do not depend on them).
  std::vector<int64_t> in(x.shape.dims());
  bool any_unknown = false;
  for (int64_t& d : in) {
    if (d == kUnknownDim) {
      d = 1;
      any_unknown = true;
    }
  }
  const Tensor* roi = given(node, 1) == Given::kKnown ? node.input_value(1) : nullptr;
  FS_ASSIGN_OR_RETURN(
      const ResizeGeometry g,
      resize_geometry(node, attrs, in, roi, scales == Given::kKnown ? node.input_value(2) : nullptr,
                      sizes == Given::kKnown ? node.input_value(3) : nullptr));
  out = g.out_dims;
  const bool sizes_exact = sizes == Given::kKnown && attrs.aspect == ResizeAspect::kStretch;
  for (size_t d = 0; d < rank; ++d) {
    const bool unknown_in = x.shape[d] == kUnknownDim;
    if (unknown_in && !(sizes_exact && resized[d])) out[d] = kUnknownDim;
    // A policy other than stretch couples every resized dim to every input dim.
    if (any_unknown && resized[d] && sizes == Given::kKnown && !sizes_exact) out[d] = kUnknownDim;
  }
  outputs[0].shape = Shape(std::move(out));
  return ok_status();
}

}  // namespace fastserve
