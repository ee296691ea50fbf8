// Reference Reduce* kernels, ONNX opsets 11+: every op on f32, f64, f16 and
// bf16; ReduceSum, ReduceMean, ReduceProd also on i32, i64, u32, u64;
// ReduceMax, ReduceMin on those, i8, u8 and (opset 20) bool.
//
// Axes: attribute before opset 18 (ReduceSum: 13), optional input 1 from
// then on; negative axes count from the back; no axes reduces everything
// unless noop_with_empty_axes (input form only) empties the set, in which
// case each output element "reduces" its one input element (so ReduceL1
// gives |x|, ReduceSumSquare x*x, as the ONNX reference does). keepdims only
// changes the output's shape, not its data order, so the kernel walks input
// elements and folds each into the output element it maps to (index with
// the reduced dims dropped).
//
// Floats accumulate in double (16-bit floats round once, at the store);
// integers in int64 / uint64 with wrapping sums and products (no UB); bool
// Max / Min are any / all. An empty reduction gives the operation's identity:
// 0 for sums and norms, 1 for products, -inf / +inf for float Max / Min (the
// lowest / highest value for integers, false / true for bool), log(0) = -inf for LogSum and LogSumExp, and
// NaN (0/0) for an f32 Mean (0 for integers). Max / Min propagate NaN as
// numpy does. The integer mean truncates toward zero (as ORT's).
// Being the oracle, it keeps its accumulators in a vector (optimized kernels
// do not allocate in run()).
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
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

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Where each input element lands: output strides over the input's dims (0 on
// reduced dims) and the number of input elements per output element.
struct ReduceMap {
  std::vector<int64_t> out_stride;
  int64_t count = 1;
};

Result<ReduceMap> reduce_map(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const size_t rank = x.rank();
  FS_ASSIGN_OR_RETURN(const std::vector<bool> mask, reduce_axis_mask(ctx.node, rank));
  ReduceMap m;
  m.out_stride.assign(rank, 0);
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    if (mask[d]) {
      m.count *= x.dim(d);
    } else {
      m.out_stride[d] = stride;
      stride *= x.dim(d);
    }
  }
  FS_CHECK(stride == ctx.outputs[0]->numel());
  return m;
}

// Calls fold(output index, input element) for every input element.
template <typename T, typename Fold>
void for_each_input(const Tensor& x, const ReduceMap& m, Fold fold) {
  const size_t rank = x.rank();
  const T* px = x.data<T>();
  std::vector<int64_t> idx(rank, 0);
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o += idx[d] * m.out_stride[d];
    fold(static_cast<size_t>(o), px[i]);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < x.dim(d)) break;
      idx[d] = 0;
    }
  }
}

template <typename Acc>
Acc wrapping_add(Acc a, Acc b) {
  if constexpr (std::is_integral_v<Acc>) {
    return static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return a + b;
  }
}

template <typename Acc>
Acc wrapping_mul(Acc a, Acc b) {
  if constexpr (std::is_integral_v<Acc>) {
    return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return a * b;
  }
}

template <typename Acc>
bool is_nan(Acc a) {
  if constexpr (std::is_floating_point_v<Acc>) return std::isnan(a);
  return false;
}

// The accumulator of element type T: double for floats, int64 / uint64 for
// signed / unsigned integers (bool counts as unsigned).
template <typename T>
using ReduceAcc = std::conditional_t<kIsFloatStorage<T>, double,
                                     std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

// Starting value of the accumulator: the operation's identity.
template <ReduceOp Op, typename T, typename Acc>
Acc reduce_identity() {
  if constexpr (Op == ReduceOp::kProd) {
    return Acc{1};
  } else if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kLogSumExp) {
    if constexpr (kIsFloatStorage<T>) {
      return -std::numeric_limits<Acc>::infinity();
    } else {
      return static_cast<Acc>(std::numeric_limits<T>::lowest());
    }
  } else if constexpr (Op == ReduceOp::kMin) {
    if constexpr (kIsFloatStorage<T>) {
      return std::numeric_limits<Acc>::infinity();
    } else {
      return static_cast<Acc>(std::numeric_limits<T>::max());
    }
  } else {
    return Acc{0};
  }
}

template <ReduceOp Op, typename T>
Status run_reduce(const KernelContext& ctx) {
  using Acc = ReduceAcc<T>;
  const Tensor& x = *ctx.inputs[0];
  FS_ASSIGN_OR_RETURN(const ReduceMap m, reduce_map(ctx));
  const size_t out_n = static_cast<size_t>(ctx.outputs[0]->numel());
  std::vector<Acc> acc(out_n, reduce_identity<Op, T, Acc>());
  for_each_input<T>(x, m, [&](size_t o, T v) {
    const auto a = static_cast<Acc>(to_compute(v));
    Acc& s = acc[o];
    if constexpr (Op == ReduceOp::kSum || Op == ReduceOp::kMean || Op == ReduceOp::kLogSum) {
      s = wrapping_add(s, a);
    } else if constexpr (Op == ReduceOp::kProd) {
      s = wrapping_mul(s, a);
    } else if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kLogSumExp) {
      if (a > s || is_nan(a)) s = a;  // once NaN, no comparison replaces it
    } else if constexpr (Op == ReduceOp::kMin) {
      if (a < s || is_nan(a)) s = a;
    } else if constexpr (Op == ReduceOp::kL1) {
      s += std::abs(a);
    } else {
      static_assert(Op == ReduceOp::kL2 || Op == ReduceOp::kSumSquare);
      s += a * a;
    }
  });

  if constexpr (Op == ReduceOp::kLogSumExp) {
    // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max, so exp
    // cannot overflow. An infinite or NaN max is the answer itself
    // (-inf: every term is exp(-inf) = 0; +inf, NaN: they dominate).
    std::vector<Acc> sum(out_n, Acc{0});
    for_each_input<T>(x, m, [&](size_t o, T v) {
      if (std::isfinite(acc[o])) sum[o] += std::exp(static_cast<Acc>(to_compute(v)) - acc[o]);
    });
    for (size_t o = 0; o < out_n; ++o) {
      if (std::isfinite(acc[o])) acc[o] += std::log(sum[o]);
    }
  }

  T* py = ctx.outputs[0]->data<T>();
  for (size_t o = 0; o < out_n; ++o) {
    Acc r = acc[o];
    if constexpr (Op == ReduceOp::kMean) {
      if constexpr (kIsFloatStorage<T>) {
        r /= static_cast<Acc>(m.count);
      } else {
        r = m.count == 0 ? Acc{0} : static_cast<Acc>(r / static_cast<Acc>(m.count));
      }
    } else if constexpr (Op == ReduceOp::kL2) {
      r = std::sqrt(r);
    } else if constexpr (Op == ReduceOp::kLogSum) {
      r = std::log(r);
    }
    py[o] = from_compute<T>(r);
  }
  return ok_status();
}

template <ReduceOp Op, typename List>
void add_reduce(KernelRegistry& r, const char* op_type, const char* stem) {
  for_each_type<List>([&]<typename T>() {
    r.add({.name = ref_kernel_name(stem, DTypeOf<T>::value),
           .op_type = op_type,
           .dtype = DTypeOf<T>::value,
           .run = run_reduce<Op, T>});
  });
}

// ReduceSum / Mean / Prod's integer types; Max / Min add the 8-bit ones and bool.
using SumIntTypes = TypeList<int32_t, int64_t, uint32_t, uint64_t>;
using MaxMinTypes = TypeList<int8_t, uint8_t, int32_t, int64_t, uint32_t, uint64_t, bool>;

}  // namespace

void register_ref_reduce_kernels(KernelRegistry& r) {
  add_reduce<ReduceOp::kMean, RefFloatTypes>(r, "ReduceMean", "reduce_mean");
  add_reduce<ReduceOp::kMean, SumIntTypes>(r, "ReduceMean", "reduce_mean");
  add_reduce<ReduceOp::kSum, RefFloatTypes>(r, "ReduceSum", "reduce_sum");
  add_reduce<ReduceOp::kSum, SumIntTypes>(r, "ReduceSum", "reduce_sum");
  add_reduce<ReduceOp::kProd, RefFloatTypes>(r, "ReduceProd", "reduce_prod");
  add_reduce<ReduceOp::kProd, SumIntTypes>(r, "ReduceProd", "reduce_prod");
  add_reduce<ReduceOp::kMax, RefFloatTypes>(r, "ReduceMax", "reduce_max");
  add_reduce<ReduceOp::kMax, MaxMinTypes>(r, "ReduceMax", "reduce_max");
  add_reduce<ReduceOp::kMin, RefFloatTypes>(r, "ReduceMin", "reduce_min");
  add_reduce<ReduceOp::kMin, MaxMinTypes>(r, "ReduceMin", "reduce_min");
  add_reduce<ReduceOp::kL1, RefFloatTypes>(r, "ReduceL1", "reduce_l1");
  add_reduce<ReduceOp::kL2, RefFloatTypes>(r, "ReduceL2", "reduce_l2");
  add_reduce<ReduceOp::kSumSquare, RefFloatTypes>(r, "ReduceSumSquare", "reduce_sum_square");
  add_reduce<ReduceOp::kLogSum, RefFloatTypes>(r, "ReduceLogSum", "reduce_log_sum");
  add_reduce<ReduceOp::kLogSumExp, RefFloatTypes>(r, "ReduceLogSumExp", "reduce_log_sum_exp");
}

}  // namespace fastserve
