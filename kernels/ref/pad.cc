// Reference Pad, opset 11+ (any dtype). Output dim k has size
// d + begin[k] + end[k]; output coordinate o maps to input coordinate
// i = o - begin[k]. Inside [0, d) the element is copied. Outside:
//   constant: the constant_value input (0 when omitted),
//   edge:     i clamped to [0, d-1],
//   reflect:  mirrored about the first/last element without repeating it,
//             periodically for pads larger than d - 1 (numpy's "reflect",
//             which the ONNX reference implementation calls),
//   wrap:     i mod d (opset 19): periodic, the spec's "torus". numpy's
//             "wrap" agrees while each pad is at most d; for wider pads it
//             pads one side after the other and stops being periodic.
// Negative pads crop: the mapping above then never leaves [0, d).
// pads and axes (opset 18) come from inputs via resolve_pads.
#include <cstring>
#include <memory>
#include <vector>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct PadState {
  PadMode mode;
};

Status prepare_pad(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(PadMode mode, resolve_pad_mode(node));
  ctx.state = std::make_shared<PadState>(PadState{mode});
  return ok_status();
}

// Maps an input coordinate outside [0, d) back inside for the copying modes.
int64_t map_outside(int64_t i, int64_t d, PadMode mode) {
  switch (mode) {
    case PadMode::kEdge:
      return i < 0 ? 0 : d - 1;
    case PadMode::kWrap:
      return ((i % d) + d) % d;
    case PadMode::kReflect: {
      if (d == 1) return 0;
      const int64_t period = 2 * (d - 1);
      const int64_t m = ((i % period) + period) % period;
      return m < d ? m : period - m;
    }
    case PadMode::kConstant:
      break;
  }
  FS_CHECK_MSG(false, "constant mode has no mapping");
  return 0;
}

Status run_pad(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const PadMode mode = ctx.state_as<PadState>().mode;
  const size_t rank = x.rank();
  FS_ASSIGN_OR_RETURN(PadAmounts pads, resolve_pads(ctx.node, static_cast<int64_t>(rank)));
  const size_t es = dtype_size(x.dtype());

  // The fill value's bytes: constant_value (same dtype as the data) or zeros.
  std::vector<uint8_t> fill(es, 0);
  if (ctx.inputs.size() > 2 && ctx.inputs[2] != nullptr && ctx.inputs[2]->numel() > 0) {
    const Tensor& cv = *ctx.inputs[2];
    if (cv.dtype() != x.dtype()) {
      return ctx.node.error(StatusCode::kInvalidArgument, std::string("constant_value is ") +
                                                              dtype_name(cv.dtype()) + " but the data is " +
                                                              dtype_name(x.dtype()));
    }
    std::memcpy(fill.data(), cv.raw_data(), es);
  }
  for (size_t k = 0; k < rank; ++k) {
    if (y.dim(k) != x.dim(k) + pads.begin[k] + pads.end[k]) {
      return ctx.node.error(StatusCode::kInternal, "output " + y.to_string() + " does not match the pads");
    }
    if (mode != PadMode::kConstant && x.dim(k) == 0 && y.dim(k) > 0) {
      return ctx.node.error(StatusCode::kInvalidArgument, "cannot pad an empty dim outside constant mode");
    }
  }

  const std::vector<int64_t> in_strides = row_major_strides(x.shape());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  std::vector<int64_t> idx(rank, 0);
  for (int64_t n = 0; n < y.numel(); ++n) {
    int64_t off = 0;
    bool use_fill = false;
    for (size_t k = 0; k < rank; ++k) {
      int64_t i = idx[k] - pads.begin[k];
      if (i < 0 || i >= x.dim(k)) {
        if (mode == PadMode::kConstant) {
          use_fill = true;
          break;
        }
        i = map_outside(i, x.dim(k), mode);
      }
      off += i * in_strides[k];
    }
    std::memcpy(dst + static_cast<size_t>(n) * es, use_fill ? fill.data() : src + static_cast<size_t>(off) * es, es);
    next_index(idx, y.shape());
  }
  return ok_status();
}

}  // namespace

void register_ref_pad_kernels(KernelRegistry& r) {
  r.add({.name = "pad__ref", .op_type = "Pad", .since_version = 11, .dtype = DType::kUndefined,
         .prepare = prepare_pad, .run = run_pad});
}

}  // namespace fastserve
