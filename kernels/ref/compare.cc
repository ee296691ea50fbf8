// Reference comparisons and logic with bool output: Equal, Less, Greater,
// LessOrEqual, GreaterOrEqual (f32, f64 and every integer type; Equal also
// bool),
// And, Or, Xor (bool, broadcast), Not (bool).
//
// Layout: dense row-major, numpy multidirectional broadcasting by index
// walking (broadcast_ref.h). Comparisons are IEEE: anything compared with
// NaN is false (Equal(NaN, NaN) = false), and -0 == 0.
#include <functional>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// out[i] = Op{}(a, b) with a and b broadcast.
template <typename T, typename Op>
Status run_compare(const KernelContext& ctx) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  bool* py = y.data<bool>();
  for_each_broadcast(y.shape(), a.shape(), b.shape(),
                     [&](int64_t i, int64_t ia, int64_t ib) { py[i] = Op{}(pa[ia], pb[ib]); });
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
void add_comparisons(KernelRegistry& r, const char* eq, const char* lt, const char* gt, const char* le,
                     const char* ge) {
  constexpr DType dt = DTypeOf<T>::value;
  // Broadcasting forms: Equal/Less/Greater since 7, the OrEqual ops since 12.
  r.add({.name = eq,
         .op_type = "Equal",
         .since_version = 7,
         .dtype = dt,
         .accepts = same_input_dtypes,
         .run = run_compare<T, std::equal_to<T>>});
  r.add({.name = lt,
         .op_type = "Less",
         .since_version = 7,
         .dtype = dt,
         .accepts = same_input_dtypes,
         .run = run_compare<T, std::less<T>>});
  r.add({.name = gt,
         .op_type = "Greater",
         .since_version = 7,
         .dtype = dt,
         .accepts = same_input_dtypes,
         .run = run_compare<T, std::greater<T>>});
  r.add({.name = le,
         .op_type = "LessOrEqual",
         .since_version = 12,
         .dtype = dt,
         .accepts = same_input_dtypes,
         .run = run_compare<T, std::less_equal<T>>});
  r.add({.name = ge,
         .op_type = "GreaterOrEqual",
         .since_version = 12,
         .dtype = dt,
         .accepts = same_input_dtypes,
         .run = run_compare<T, std::greater_equal<T>>});
}

// Xor on bool is inequality.
struct LogicalXor {
  bool operator()(bool a, bool b) const { return a != b; }
};

}  // namespace

void register_ref_compare_kernels(KernelRegistry& r) {
  add_comparisons<float>(r, "equal_f32__ref", "less_f32__ref", "greater_f32__ref", "less_or_equal_f32__ref",
                         "greater_or_equal_f32__ref");
  add_comparisons<double>(r, "equal_f64__ref", "less_f64__ref", "greater_f64__ref", "less_or_equal_f64__ref",
                          "greater_or_equal_f64__ref");
  add_comparisons<int8_t>(r, "equal_i8__ref", "less_i8__ref", "greater_i8__ref", "less_or_equal_i8__ref",
                          "greater_or_equal_i8__ref");
  add_comparisons<uint8_t>(r, "equal_u8__ref", "less_u8__ref", "greater_u8__ref", "less_or_equal_u8__ref",
                           "greater_or_equal_u8__ref");
  add_comparisons<int32_t>(r, "equal_i32__ref", "less_i32__ref", "greater_i32__ref", "less_or_equal_i32__ref",
                           "greater_or_equal_i32__ref");
  add_comparisons<int64_t>(r, "equal_i64__ref", "less_i64__ref", "greater_i64__ref", "less_or_equal_i64__ref",
                           "greater_or_equal_i64__ref");
  add_comparisons<int16_t>(r, "equal_i16__ref", "less_i16__ref", "greater_i16__ref", "less_or_equal_i16__ref",
                           "greater_or_equal_i16__ref");
  add_comparisons<uint16_t>(r, "equal_u16__ref", "less_u16__ref", "greater_u16__ref",
                            "less_or_equal_u16__ref", "greater_or_equal_u16__ref");
  add_comparisons<uint32_t>(r, "equal_u32__ref", "less_u32__ref", "greater_u32__ref",
                            "less_or_equal_u32__ref", "greater_or_equal_u32__ref");
  add_comparisons<uint64_t>(r, "equal_u64__ref", "less_u64__ref", "greater_u64__ref",
                            "less_or_equal_u64__ref", "greater_or_equal_u64__ref");
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
