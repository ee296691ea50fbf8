// Reference ReduceMean (f32, i32, i64), ONNX opsets 11-28.
//
// Axes: attribute before opset 18, optional input 1 from 18 on; negative axes
// count from the back; no axes reduces everything unless noop_with_empty_axes
// (18+) makes the op a copy. keepdims only changes the output's shape, not its
// data order, so the kernel walks input elements and accumulates each into
// the output element it maps to (index with reduced dims dropped).
// f32 accumulates in double; integers accumulate in int64 and the mean
// truncates toward zero (as ORT's integer ReduceMean). An empty reduction
// gives NaN for f32 (0/0) and 0 for integers. Being the oracle, it keeps
// its accumulators in a vector (optimized kernels do not allocate in run()).
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

bool axes_from_input(const NodeView& node) {
  if (node.op_type() == "ReduceSum") return node.opset() >= 13;
  return node.opset() >= 18;
}

}  // namespace

bool reduce_axes_known(const NodeView& node) {
  return !axes_from_input(node) || !node.has_input(1) || node.input_value(1) != nullptr;
}

Result<std::vector<bool>> reduce_axis_mask(const NodeView& node, size_t rank) {
  std::vector<int64_t> axes;
  bool noop_if_empty = false;
  if (axes_from_input(node)) {
    noop_if_empty = node.attr_int("noop_with_empty_axes", 0) != 0;
    if (node.has_input(1)) {
      const Tensor* v = node.input_value(1);
      if (v == nullptr) return node.error(StatusCode::kInternal, "axes input value is not known");
      Result<std::vector<int64_t>> vals = v->to_int64_vector();
      if (!vals.ok()) return node.error(StatusCode::kInvalidArgument, "axes: " + vals.status().message());
      axes = std::move(vals).value();
    }
  } else {
    axes = node.attr_ints("axes");
  }
  std::vector<bool> mask(rank, axes.empty() && !noop_if_empty);
  const auto r = static_cast<int64_t>(rank);
  for (int64_t a : axes) {
    if (a < -r || a >= r) {
      return node.error(StatusCode::kInvalidArgument,
                        "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
    }
    const auto n = static_cast<size_t>(a < 0 ? a + r : a);
    if (mask[n])
      return node.error(StatusCode::kInvalidArgument, "axis " + std::to_string(a) + " is repeated");
    mask[n] = true;
  }
  return mask;
}

namespace {

template <typename T, typename Acc>
Status run_reduce_mean(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const size_t rank = x.rank();
  FS_ASSIGN_OR_RETURN(const std::vector<bool> mask, reduce_axis_mask(ctx.node, rank));

  // Output strides over the input's dims: 0 on reduced dims.
  std::vector<int64_t> out_stride(rank, 0);
  int64_t stride = 1, count = 1;
  for (size_t d = rank; d-- > 0;) {
    if (mask[d]) {
      count *= x.dim(d);
    } else {
      out_stride[d] = stride;
      stride *= x.dim(d);
    }
  }
  FS_CHECK(stride == y.numel());

  std::vector<Acc> acc(static_cast<size_t>(y.numel()), Acc{0});
  const T* px = x.data<T>();
  std::vector<int64_t> idx(rank, 0);
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o += idx[d] * out_stride[d];
    Acc& a = acc[static_cast<size_t>(o)];
    if constexpr (std::is_integral_v<Acc>) {
      a = static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(px[i]));  // wraps, no UB
    } else {
      a += static_cast<Acc>(px[i]);
    }
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < x.dim(d)) break;
      idx[d] = 0;
    }
  }
  T* py = y.data<T>();
  for (size_t o = 0; o < acc.size(); ++o) {
    if constexpr (std::is_floating_point_v<T>) {
      py[o] = static_cast<T>(acc[o] / static_cast<Acc>(count));
    } else {
      py[o] = count == 0 ? T{0} : static_cast<T>(acc[o] / count);
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_reduce_kernels(KernelRegistry& r) {
  r.add({.name = "reduce_mean_f32__ref",
         .op_type = "ReduceMean",
         .dtype = DType::kF32,
         .run = run_reduce_mean<float, double>});
  r.add({.name = "reduce_mean_i32__ref",
         .op_type = "ReduceMean",
         .dtype = DType::kI32,
         .run = run_reduce_mean<int32_t, int64_t>});
  r.add({.name = "reduce_mean_i64__ref",
         .op_type = "ReduceMean",
         .dtype = DType::kI64,
         .run = run_reduce_mean<int64_t, int64_t>});
}

}  // namespace fastserve
