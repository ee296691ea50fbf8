// einsum_{f32,f64,bf16,i32,i64}__ref: reference Einsum (opset 12), correctness first.
//
// One nested loop over every label of the equation (output labels outer,
// summed labels inner): for each assignment of label values, the product of
// the inputs' elements at those labels is added to the output element. An
// input's stride for a label is the sum of its strides over the dims carrying
// that label (so "ii" walks the diagonal), and 0 on a broadcast size-1
// ellipsis dim. Sums in double (floating types; bf16 rounds once, at the
// store) or int64 (integers).
#include <string>
#include <type_traits>

#include "graph/einsum_equation.h"
#include "graph/shape_utils.h"
#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

// Element loads and stores in the accumulator type.
template <typename T, typename Acc>
Acc load(T v) {
  if constexpr (std::is_same_v<T, BFloat16>) {
    return static_cast<Acc>(bf16_to_float(v.bits));
  } else {
    return static_cast<Acc>(v);
  }
}
template <typename T, typename Acc>
T store(Acc v) {
  if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16{float_to_bf16(static_cast<float>(v))};
  } else {
    return static_cast<T>(v);
  }
}

template <typename T>
Status run_einsum(const KernelContext& ctx) {
  using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
  const size_t n = ctx.inputs.size();
  std::vector<size_t> ranks;
  std::vector<Shape> shapes;
  for (size_t i = 0; i < n; ++i) {
    if (ctx.inputs[i] == nullptr || ctx.inputs[i]->dtype() != ctx.inputs[0]->dtype()) {
      return ctx.node.error(StatusCode::kInvalidArgument, "input " + std::to_string(i) + " is missing or of another type");
    }
    ranks.push_back(ctx.inputs[i]->rank());
    shapes.push_back(ctx.inputs[i]->shape());
  }
  const std::string equation = ctx.node.attr_string("equation", "");
  Result<EinsumPlan> parsed = parse_einsum(equation, ranks);
  if (!parsed.ok()) return ctx.node.error(StatusCode::kInvalidArgument, "equation: " + parsed.status().message());
  const EinsumPlan& plan = *parsed;
  FS_ASSIGN_OR_RETURN(const std::vector<int64_t> size, einsum_label_sizes(plan, shapes));

  // The loop order: output labels, then the labels that are summed over.
  const auto num_labels = static_cast<size_t>(plan.num_labels);
  std::vector<bool> in_output(num_labels, false), used(num_labels, false);
  std::vector<int> order(plan.output.begin(), plan.output.end());
  for (int l : plan.output) in_output[static_cast<size_t>(l)] = true;
  for (const std::vector<int>& labels : plan.inputs) {
    for (int l : labels) used[static_cast<size_t>(l)] = true;
  }
  for (size_t l = 0; l < num_labels; ++l) {
    if (used[l] && !in_output[l]) order.push_back(static_cast<int>(l));
  }
  std::vector<int64_t> dims;
  for (int l : order) dims.push_back(size[static_cast<size_t>(l)]);
  // strides[i][k]: input i's step when the k-th loop label advances.
  std::vector<std::vector<int64_t>> strides(n, std::vector<int64_t>(order.size(), 0));
  for (size_t i = 0; i < n; ++i) {
    const std::vector<int64_t> s = contiguous_strides(shapes[i]);
    for (size_t d = 0; d < plan.inputs[i].size(); ++d) {
      if (shapes[i][d] == 1 && size[static_cast<size_t>(plan.inputs[i][d])] != 1) continue;  // broadcast
      for (size_t k = 0; k < order.size(); ++k) {
        if (order[k] == plan.inputs[i][d]) strides[i][k] += s[d];
      }
    }
  }
  Tensor& y = *ctx.outputs[0];
  T* py = y.data<T>();
  const int64_t out_count = y.numel();
  int64_t inner = 1;  // iterations of the summed labels per output element
  for (size_t k = plan.output.size(); k < order.size(); ++k) inner *= dims[k];
  for (int64_t o = 0; o < out_count; ++o) py[o] = store<T, Acc>(0);
  if (out_count == 0 || inner == 0) return ok_status();

  std::vector<int64_t> idx(order.size(), 0);
  std::vector<const T*> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = ctx.inputs[i]->data<T>();
  int64_t done = 0;
  Acc acc = 0;
  do {
    Acc prod = 1;
    for (size_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (size_t k = 0; k < order.size(); ++k) off += idx[k] * strides[i][k];
      prod *= load<T, Acc>(data[i][off]);
    }
    acc += prod;
    // Row-major over `order`: the summed labels are innermost, so every
    // `inner` iterations complete one output element, in output order.
    if (++done % inner == 0) {
      py[done / inner - 1] = store<T, Acc>(acc);
      acc = 0;
    }
  } while (ref_next_index(idx, dims));
  return ok_status();
}

}  // namespace

void register_ref_einsum_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "einsum_f32__ref", .op_type = "Einsum", .since_version = 12, .dtype = DType::kF32,
                   .run = &run_einsum<float>});
  r.add(KernelDesc{.name = "einsum_f64__ref", .op_type = "Einsum", .since_version = 12, .dtype = DType::kF64,
                   .run = &run_einsum<double>});
  r.add(KernelDesc{.name = "einsum_bf16__ref", .op_type = "Einsum", .since_version = 12, .dtype = DType::kBF16,
                   .run = &run_einsum<BFloat16>});
  r.add(KernelDesc{.name = "einsum_i32__ref", .op_type = "Einsum", .since_version = 12, .dtype = DType::kI32,
                   .run = &run_einsum<int32_t>});
  r.add(KernelDesc{.name = "einsum_i64__ref", .op_type = "Einsum", .since_version = 12, .dtype = DType::kI64,
                   .run = &run_einsum<int64_t>});
}

}  // namespace fastserve
