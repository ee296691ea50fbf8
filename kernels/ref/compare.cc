// Reference comparisons and logic with bool output: Equal, Less, Greater,
// LessOrEqual, GreaterOrEqual (f32, f64, f16, bf16 and every integer type;
// Equal also bool; 16-bit floats compare as float, compute_type.h),
// And, Or, Xor (bool, broadcast), Not (bool).
//
// Layout: dense row-major, numpy multidirectional broadcasting by index
// walking (broadcast_ref.h). Comparisons are IEEE: anything compared with
// NaN is false (Equal(NaN, NaN) = false), and -0 == 0.
#include <functional>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// out[i] = Op{}(a, b) with a and b broadcast, compared as compute_t<T>.
template <typename T, typename Op>
Status run_compare(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  bool* py = y.data<bool>();
  for_each_broadcast(y.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    py[i] = Op{}(to_compute(pa[ia]), to_compute(pb[ib]));
  });
  return ok_status();
}

Status run_not(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const bool* px = x.data<bool>();
  bool* py = y.data<bool>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = !px[i];
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <typename T>
void add_comparisons(KernelRegistry& r) {
  using C = compute_t<T>;
  constexpr DType dt = DTypeOf<T>::value;
  // Broadcasting forms: Equal/Less/Greater since 7, the OrEqual ops since 12.
  const auto add = [&](const char* op_type, const char* stem, int since, RunFn run) {
    r.add({.name = ref_kernel_name(stem, dt),
           .op_type = op_type,
           .since_version = since,
           .dtype = dt,
           .accepts = same_input_dtypes,
           .run = run});
  };
  add("Equal", "equal", 7, run_compare<T, std::equal_to<C>>);
  add("Less", "less", 7, run_compare<T, std::less<C>>);
  add("Greater", "greater", 7, run_compare<T, std::greater<C>>);
  add("LessOrEqual", "less_or_equal", 12, run_compare<T, std::less_equal<C>>);
  add("GreaterOrEqual", "greater_or_equal", 12, run_compare<T, std::greater_equal<C>>);
}

// Xor on bool is inequality.
struct LogicalXor {
  bool operator()(bool a, bool b) const { return a != b; }
};

}  // namespace

void register_ref_compare_kernels(KernelRegistry& r) {
  for_each_type<RefNumericTypes>([&]<typename T>() { add_comparisons<T>(r); });
  r.add({.name = "equal_bool__ref",
         .op_type = "Equal",
         .since_version = 7,
         .dtype = DType::kBool,
         .accepts = same_input_dtypes,
         .run = run_compare<bool, std::equal_to<bool>>});
  r.add({.name = "not_bool__ref", .op_type = "Not", .dtype = DType::kBool, .run = run_not});
  r.add({.name = "and_bool__ref",
         .op_type = "And",
         .since_version = 7,
         .dtype = DType::kBool,
         .accepts = same_input_dtypes,
         .run = run_compare<bool, std::logical_and<bool>>});
  r.add({.name = "or_bool__ref",
         .op_type = "Or",
         .since_version = 7,
         .dtype = DType::kBool,
         .accepts = same_input_dtypes,
         .run = run_compare<bool, std::logical_or<bool>>});
  r.add({.name = "xor_bool__ref",
         .op_type = "Xor",
         .since_version = 7,
         .dtype = DType::kBool,
         .accepts = same_input_dtypes,
         .run = run_compare<bool, LogicalXor>});
}

}  // namespace fastserve
