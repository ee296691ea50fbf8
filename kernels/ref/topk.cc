// Reference TopK (opset 11+; f32, f64, f16, bf16 and every integer type;
// 16-bit floats compare as float, compute_type.h): the K (input 1) largest
// (largest=1, the default) or smallest elements along `axis` (default -1),
// as values and int64 indices. Equal values keep the lower index first (the
// ONNX spec's rule). The output is always sorted; sorted=0 leaves the order
// unspecified, so sorted is a valid answer. NaN orders above every number
// (numpy's sort order, which the ONNX reference uses).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/shape_op_params.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/shape_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// a strictly before b in ascending order, NaN last.
template <typename T>
bool less_nan_last(T a, T b) {  // T: a compute type
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

template <typename T>
Status run_topk(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const auto rank = static_cast<int64_t>(x.rank());
  FS_ASSIGN_OR_RETURN(const int64_t axis, resolve_node_axis(ctx.node, ctx.node.attr_int("axis", -1), rank, "attribute 'axis'"));
  const bool largest = ctx.node.attr_int("largest", 1) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= x.dim(static_cast<size_t>(k));
  for (int64_t k = axis + 1; k < rank; ++k) inner *= x.dim(static_cast<size_t>(k));
  const int64_t d = x.dim(static_cast<size_t>(axis));
  const int64_t k = ctx.inputs[1]->element_as_int64(0);
  FS_CHECK(k >= 0 && k <= d);
  const T* px = x.data<T>();
  T* pv = ctx.outputs[0]->data<T>();
  int64_t* pi = ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr ? ctx.outputs[1]->data<int64_t>() : nullptr;
  std::vector<int64_t> order(static_cast<size_t>(d));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* col = px + o * d * inner + i;
      std::iota(order.begin(), order.end(), int64_t{0});
      // Stable: equal values keep ascending index order.
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        const compute_t<T> va = to_compute(col[a * inner]), vb = to_compute(col[b * inner]);
        return largest ? less_nan_last(vb, va) : less_nan_last(va, vb);
      });
      for (int64_t j = 0; j < k; ++j) {
        const int64_t off = (o * k + j) * inner + i;
        pv[off] = col[order[static_cast<size_t>(j)] * inner];
        if (pi != nullptr) pi[off] = order[static_cast<size_t>(j)];
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_topk_kernels(KernelRegistry& r) {
  for_each_type<RefNumericTypes>([&]<typename T>() {
    r.add({.name = ref_kernel_name("topk", DTypeOf<T>::value),
           .op_type = "TopK",
           .since_version = 11,
           .dtype = DTypeOf<T>::value,
           .run = run_topk<T>});
  });
}

}  // namespace fastserve
