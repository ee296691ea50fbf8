// Reference ArgMax / ArgMin (f32, i32, i64 input; int64 output), opsets 11+.
//
// The input is viewed as [outer, d, inner] around `axis` (default 0,
// negative counts from the back); each (outer, inner) pair gets the index
// along d of its largest (ArgMax) / smallest (ArgMin) element. Ties go to
// the first index, or the last with select_last_index (opset 12+). NaN
// counts as the extreme value, as numpy's argmax/argmin (the ONNX reference)
// treat it: the first NaN wins (the last with select_last_index).
// keepdims only changes the output shape. A reduction over an empty axis
// has no answer and is an error naming the node.
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>

#include "graph/shape_op_params.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ArgState {
  int64_t axis;
  bool select_last;
};

Status prepare_arg(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<ArgState>(
      ArgState{node.attr_int("axis", 0), node.opset() >= 12 && node.attr_int("select_last_index", 0) != 0});
  return ok_status();
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

template <typename T, bool kMax>
Status run_arg(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const ArgState& st = ctx.state_as<ArgState>();
  const auto rank = static_cast<int64_t>(x.rank());
  // A scalar behaves as a one-element vector (axis 0 or -1).
  FS_ASSIGN_OR_RETURN(const int64_t axis, resolve_node_axis(ctx.node, st.axis, rank == 0 ? 1 : rank, "axis"));
  int64_t outer = 1, inner = 1, d = 1;
  for (int64_t k = 0; k < rank; ++k) {
    const int64_t n = x.dim(static_cast<size_t>(k));
    if (k < axis) outer *= n;
    else if (k > axis) inner *= n;
    else d = n;
  }
  if (d == 0 && outer * inner > 0) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "cannot take the arg extreme over axis " + std::to_string(axis) + " of size 0");
  }
  const T* px = x.data<T>();
  int64_t* py = ctx.outputs[0]->data<int64_t>();
  FS_CHECK(ctx.outputs[0]->numel() == outer * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = px + o * d * inner + i;
      int64_t best = 0;
      for (int64_t j = 1; j < d; ++j) {
        const T v = p[j * inner], b = p[best * inner];
        bool take;
        if (is_nan(b)) {
          take = st.select_last && is_nan(v);
        } else if (is_nan(v)) {
          take = true;
        } else {
          take = kMax ? (v > b || (st.select_last && v == b)) : (v < b || (st.select_last && v == b));
        }
        if (take) best = j;
      }
      py[o * inner + i] = best;
    }
  }
  return ok_status();
}

template <bool kMax>
void add_arg(KernelRegistry& r, const char* op, const char* f32, const char* i32, const char* i64) {
  r.add({.name = f32, .op_type = op, .dtype = DType::kF32, .prepare = prepare_arg, .run = run_arg<float, kMax>});
  r.add({.name = i32, .op_type = op, .dtype = DType::kI32, .prepare = prepare_arg, .run = run_arg<int32_t, kMax>});
  r.add({.name = i64, .op_type = op, .dtype = DType::kI64, .prepare = prepare_arg, .run = run_arg<int64_t, kMax>});
}

}  // namespace

void register_ref_argmax_kernels(KernelRegistry& r) {
  add_arg<true>(r, "ArgMax", "argmax_f32__ref", "argmax_i32__ref", "argmax_i64__ref");
  add_arg<false>(r, "ArgMin", "argmin_f32__ref", "argmin_i32__ref", "argmin_i64__ref");
}

}  // namespace fastserve
