// Reference Softmax and LogSoftmax (f32, f64, f16) for ONNX opsets 11-28.
//
// The input is viewed as [outer, axis_len, inner] (see softmax_geometry in
// elementwise_ref.h for the opset 11-12 vs 13+ difference) and each of the
// outer*inner slices of axis_len strided elements is normalized:
//   softmax:    y = exp(x - max) / sum(exp(x - max))
//   logsoftmax: y = (x - max) - log(sum(exp(x - max)))
// Subtracting the max keeps exp from overflowing. f32 / f64: sums and exps in
// double, each output rounded once. f16 evaluates the ops' ONNX function
// bodies (Softmax-13: Exp(X - ReduceMax(X)) / ReduceSum(...); LogSoftmax-13:
// (X - max) - Log(ReduceSum(Exp(X - max)))), whose intermediate tensors are
// f16: each step rounds to f16, the sum accumulates in double. That is also
// how ONNX's reference (numpy float16) computes it, so the node tests'
// outputs reproduce where a single rounding would be an ulp or two away.
// bf16 is not registered: the node tests' bf16 expectations come from
// ml_dtypes summing in bf16 with a rounding per addition, which no wider
// accumulation reproduces within the suite's tolerance (rtol 1e-3 is below one
// bf16 ulp), and an unsupported op is better than a wrong-looking one.
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

SoftmaxAxis softmax_axis(const NodeView& node) {
  const bool coerce_2d = node.opset() < 13;
  return {node.attr_int("axis", coerce_2d ? 1 : -1), coerce_2d};
}

Result<SoftmaxGeometry> softmax_geometry(const SoftmaxAxis& sa, const Shape& shape) {
  const auto rank = static_cast<int64_t>(shape.rank());
  int64_t axis = sa.axis;
  if (axis < -rank || axis >= rank) {
    return invalid_argument("axis " + std::to_string(axis) + " is out of range for rank " +
                            std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  SoftmaxGeometry g;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t dim = shape[static_cast<size_t>(d)];
    if (d < axis) {
      g.outer *= dim;
    } else if (d == axis || sa.coerce_2d) {
      g.axis_len *= dim;
    } else {
      g.inner *= dim;
    }
  }
  return g;
}

namespace {

// The value rounded to T and back (one step of a function body in T).
template <typename T>
double in_type(double v) {
  return static_cast<double>(to_compute(from_compute<T>(v)));
}

// One slice of axis_len elements `stride` apart. 16-bit T follows the
// function body (every intermediate in T); wider T rounds once.
template <bool kLog, typename T>
void softmax_slice(const T* px, T* py, int64_t axis_len, int64_t stride, std::vector<double>& shifted,
                   std::vector<double>& e) {
  constexpr bool kBody = !std::is_same_v<compute_t<T>, T>;
  const auto step = [](double v) { return kBody ? in_type<T>(v) : v; };
  double max = -INFINITY;
  for (int64_t a = 0; a < axis_len; ++a)
    max = std::fmax(max, static_cast<double>(to_compute(px[a * stride])));
  double sum = 0.0;
  for (int64_t a = 0; a < axis_len; ++a) {
    const auto k = static_cast<size_t>(a);
    shifted[k] = step(static_cast<double>(to_compute(px[a * stride])) - max);  // Sub
    e[k] = step(std::exp(shifted[k]));                                         // Exp
    sum += e[k];
  }
  sum = step(sum);                             // ReduceSum
  const double log_sum = step(std::log(sum));  // Log
  for (int64_t a = 0; a < axis_len; ++a) {
    const auto k = static_cast<size_t>(a);
    py[a * stride] = from_compute<T>(kLog ? shifted[k] - log_sum : e[k] / sum);  // Sub / Div
  }
}

template <bool kLog, typename T>
Status run_softmax(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Result<SoftmaxGeometry> geometry = softmax_geometry(softmax_axis(ctx.node), x.shape());
  if (!geometry.ok()) return geometry.status().with_context(ctx.node.describe());
  const SoftmaxGeometry g = geometry.value();
  const T* px = x.data<T>();
  T* py = ctx.outputs[0]->data<T>();
  std::vector<double> shifted(static_cast<size_t>(g.axis_len)), e(shifted.size());
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t base = o * g.axis_len * g.inner + i;
      softmax_slice<kLog, T>(px + base, py + base, g.axis_len, g.inner, shifted, e);
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_softmax_kernels(KernelRegistry& r) {
  for_each_type<TypeList<float, double, Half>>([&]<typename T>() {
    r.add({.name = ref_kernel_name("softmax", DTypeOf<T>::value),
           .op_type = "Softmax",
           .dtype = DTypeOf<T>::value,
           .run = run_softmax<false, T>});
    r.add({.name = ref_kernel_name("log_softmax", DTypeOf<T>::value),
           .op_type = "LogSoftmax",
           .dtype = DTypeOf<T>::value,
           .run = run_softmax<true, T>});
  });
}

}  // namespace fastserve
