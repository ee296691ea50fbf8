// Reference kernels for the elementwise family: Add/Sub/Mul/Div/Pow,
// activations, Softmax/LogSoftmax, Cast, Reduce*, ArgMax/ArgMin,
// Identity, Dropout.
//
// They are plain loops (priority 0): the test oracle and the last resort.
// This header also holds the few pieces of ONNX interpretation that the
// optimized CPU kernels (kernels/cpu/{binary,unary,softmax,reduce}) must read
// exactly as the reference does: softmax geometry per opset, reduce axes per
// opset, and the saturating float -> integer conversion that Cast and Pow use.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

class KernelRegistry;

// One registration function per file; register_ref_elementwise_kernels
// (register_elementwise_kernels.cc) calls them all.
void register_ref_binary_kernels(KernelRegistry& r);  // binary.cc: Add Sub Mul Div Pow
void register_ref_unary_kernels(
    KernelRegistry& r);  // unary.cc: Relu LeakyRelu Clip Sigmoid Tanh HardSigmoid HardSwish
void register_ref_softmax_kernels(KernelRegistry& r);   // softmax.cc: Softmax LogSoftmax
void register_ref_cast_kernels(KernelRegistry& r);      // cast.cc: Cast CastLike
void register_ref_reduce_kernels(KernelRegistry& r);    // reduce.cc: ReduceSum Mean Max Min Prod L1 L2 ...
void register_ref_argmax_kernels(KernelRegistry& r);    // argmax.cc: ArgMax ArgMin
void register_ref_identity_kernels(KernelRegistry& r);  // identity.cc: Identity
void register_ref_dropout_kernels(KernelRegistry& r);   // dropout.cc: Dropout (inference and training)
// math_unary.cc: Sqrt Reciprocal Exp Log Neg Abs Erf Floor Ceil Round Sign and trigonometric/hyperbolic
void register_ref_math_unary_kernels(KernelRegistry& r);
// activation.cc: Elu Selu Celu ThresholdedRelu Softplus Softsign Mish Gelu Shrink PRelu IsNaN IsInf
void register_ref_activation_kernels(KernelRegistry& r);
// compare.cc: Equal Less Greater LessOrEqual GreaterOrEqual Not And Or Xor
void register_ref_compare_kernels(KernelRegistry& r);
void register_ref_where_kernels(KernelRegistry& r);     // where.cc: Where
void register_ref_mod_kernels(KernelRegistry& r);       // mod.cc: Mod
void register_ref_bitshift_kernels(KernelRegistry& r);  // bitshift.cc: BitShift
void register_ref_variadic_kernels(KernelRegistry& r);  // variadic.cc: Sum Mean Max Min

// Softmax / LogSoftmax see the input as [outer, axis_len, inner] and normalize
// over axis_len for each (outer, inner) pair.
//   opset 11-12: axis defaults to 1 and the input is coerced to 2-D at axis:
//                [prod(d[:axis]), prod(d[axis:])], so inner == 1.
//   opset 13+:   axis defaults to -1 and only d[axis] is normalized:
//                [prod(d[:axis]), d[axis], prod(d[axis+1:])].
struct SoftmaxGeometry {
  int64_t outer = 1;
  int64_t axis_len = 1;
  int64_t inner = 1;
};
// The node's axis attribute (with its per-opset default) and form.
struct SoftmaxAxis {
  int64_t axis = -1;
  bool coerce_2d = false;  // opset < 13
};
SoftmaxAxis softmax_axis(const NodeView& node);
// kInvalidArgument when the axis is out of range for the shape's rank.
Result<SoftmaxGeometry> softmax_geometry(const SoftmaxAxis& axis, const Shape& shape);

// Reduce* axes as a per-dim mask (true = reduced). Axes come from the `axes`
// attribute before opset 18 and from optional input 1 from 18 on (ReduceSum:
// 13). No axes means every axis, unless noop_with_empty_axes (input form only)
// makes the op an identity, which gives an all-false mask.
// `node` must have the axes input's value when it is an input (run time, or a
// constant at compile time).
Result<std::vector<bool>> reduce_axis_mask(const NodeView& node, size_t rank);
// Whether reduce_axis_mask can be computed from this view (false when the
// axes are a runtime input whose value the view does not carry).
bool reduce_axes_known(const NodeView& node);

// float -> integer with C++ truncation toward zero for in-range values. The
// cases where static_cast would be undefined behaviour are defined here:
// NaN -> 0, values beyond the type's range saturate to its min/max. (ONNX
// leaves these implementation-defined; ORT's x86 build gives wrapped values.)
template <typename I>
I saturating_float_to_int(double v) {
  static_assert(std::is_integral_v<I> && !std::is_same_v<I, bool>);
  if (std::isnan(v)) return 0;
  // The bounds are exact powers of two, so the comparisons are exact in double.
  constexpr double kUpper = static_cast<double>(std::numeric_limits<I>::max()) + 1.0;
  constexpr double kLower = static_cast<double>(std::numeric_limits<I>::min());
  if (v >= kUpper) return std::numeric_limits<I>::max();
  // min - 1 is exact for types narrower than 64 bits; for 64-bit types it
  // rounds to min itself, and returning min for v == min is still right.
  if (v <= kLower - 1.0) return std::numeric_limits<I>::min();
  return static_cast<I>(v);  // truncates toward zero; in range here
}

}  // namespace fastserve
