// Reference Reduce* kernels, ONNX opsets 11+: ReduceSum, ReduceMean,
// ReduceMax, ReduceMin, ReduceProd (f32, i32, i64), ReduceL1, ReduceL2,
// ReduceSumSquare, ReduceLogSum, ReduceLogSumExp (f32).
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
// f32 accumulates in double; integers in int64 with wrapping sums and
// products (no UB). An empty reduction gives the operation's identity: 0 for
// sums and norms, 1 for products, -inf / +inf for f32 Max / Min (the lowest /
// highest value for integers), log(0) = -inf for LogSum and LogSumExp, and
// NaN (0/0) for an f32 Mean (0 for integers). Max / Min propagate NaN as
// numpy does. The integer mean truncates toward zero (as ORT's).
// Being the oracle, it keeps its accumulators in a vector (optimized kernels
// do not allocate in run()).
#include <cmath>
#include <limits>
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

// Starting value of the accumulator: the operation's identity.
template <ReduceOp Op, typename T, typename Acc>
Acc reduce_identity() {
  if constexpr (Op == ReduceOp::kProd) return Acc{1};
  if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kLogSumExp) {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<Acc>::infinity();
    return static_cast<Acc>(std::numeric_limits<T>::lowest());
  }
  if constexpr (Op == ReduceOp::kMin) {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<Acc>::infinity();
    return static_cast<Acc>(std::numeric_limits<T>::max());
  }
  return Acc{0};
}

template <ReduceOp Op, typename T, typename Acc>
Status run_reduce(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  FS_ASSIGN_OR_RETURN(const ReduceMap m, reduce_map(ctx));
  const size_t out_n = static_cast<size_t>(ctx.outputs[0]->numel());
  std::vector<Acc> acc(out_n, reduce_identity<Op, T, Acc>());
  for_each_input<T>(x, m, [&](size_t o, T v) {
    const auto a = static_cast<Acc>(v);
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
      if (std::isfinite(acc[o])) sum[o] += std::exp(static_cast<Acc>(v) - acc[o]);
    });
    for (size_t o = 0; o < out_n; ++o) {
      if (std::isfinite(acc[o])) acc[o] += std::log(sum[o]);
    }
  }

  T* py = ctx.outputs[0]->data<T>();
  for (size_t o = 0; o < out_n; ++o) {
    Acc r = acc[o];
    if constexpr (Op == ReduceOp::kMean) {
      if constexpr (std::is_floating_point_v<T>) {
        r /= static_cast<Acc>(m.count);
      } else {
        r = m.count == 0 ? Acc{0} : r / m.count;
      }
    } else if constexpr (Op == ReduceOp::kL2) {
      r = std::sqrt(r);
    } else if constexpr (Op == ReduceOp::kLogSum) {
      r = std::log(r);
    }
    py[o] = static_cast<T>(r);
  }
  return ok_status();
}

template <ReduceOp Op>
void add_float(KernelRegistry& r, const char* name, const char* op_type) {
  r.add({.name = name, .op_type = op_type, .dtype = DType::kF32, .run = run_reduce<Op, float, double>});
}

template <ReduceOp Op>
void add_int(KernelRegistry& r, const char* name_i32, const char* name_i64, const char* op_type) {
  r.add({.name = name_i32, .op_type = op_type, .dtype = DType::kI32, .run = run_reduce<Op, int32_t, int64_t>});
  r.add({.name = name_i64, .op_type = op_type, .dtype = DType::kI64, .run = run_reduce<Op, int64_t, int64_t>});
}

}  // namespace

void register_ref_reduce_kernels(KernelRegistry& r) {
  add_float<ReduceOp::kMean>(r, "reduce_mean_f32__ref", "ReduceMean");
  add_int<ReduceOp::kMean>(r, "reduce_mean_i32__ref", "reduce_mean_i64__ref", "ReduceMean");
  add_float<ReduceOp::kSum>(r, "reduce_sum_f32__ref", "ReduceSum");
  add_int<ReduceOp::kSum>(r, "reduce_sum_i32__ref", "reduce_sum_i64__ref", "ReduceSum");
  add_float<ReduceOp::kMax>(r, "reduce_max_f32__ref", "ReduceMax");
  add_int<ReduceOp::kMax>(r, "reduce_max_i32__ref", "reduce_max_i64__ref", "ReduceMax");
  add_float<ReduceOp::kMin>(r, "reduce_min_f32__ref", "ReduceMin");
  add_int<ReduceOp::kMin>(r, "reduce_min_i32__ref", "reduce_min_i64__ref", "ReduceMin");
  add_float<ReduceOp::kProd>(r, "reduce_prod_f32__ref", "ReduceProd");
  add_int<ReduceOp::kProd>(r, "reduce_prod_i32__ref", "reduce_prod_i64__ref", "ReduceProd");
  add_float<ReduceOp::kL1>(r, "reduce_l1_f32__ref", "ReduceL1");
  add_float<ReduceOp::kL2>(r, "reduce_l2_f32__ref", "ReduceL2");
  add_float<ReduceOp::kSumSquare>(r, "reduce_sum_square_f32__ref", "ReduceSumSquare");
  add_float<ReduceOp::kLogSum>(r, "reduce_log_sum_f32__ref", "ReduceLogSum");
  add_float<ReduceOp::kLogSumExp>(r, "reduce_log_sum_exp_f32__ref", "ReduceLogSumExp");
}

}  // namespace fastserve
