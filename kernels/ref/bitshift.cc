// Reference BitShift (opset 11) on u8, u16, u32, u64 with numpy
// multidirectional broadcasting: X << Y or X >> Y by the `direction`
// attribute ("LEFT" or "RIGHT", required).
//
// Shifting by the type's width or more is undefined in C++; here it gives 0,
// as every bit is shifted out (numpy's result).
#include <memory>
#include <string>

#include "kernels/ref/broadcast_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ShiftAttrs {
  bool left = true;
};

Status prepare_bitshift(const NodeView& node, PrepareContext& ctx) {
  const std::string direction = node.attr_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return node.error(StatusCode::kInvalidArgument,
                      "attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
  }
  ctx.state = std::make_shared<ShiftAttrs>(ShiftAttrs{direction == "LEFT"});
  return ok_status();
}

template <typename T>
Status run_bitshift(const KernelContext& ctx) {
  const bool left = ctx.state_as<ShiftAttrs>().left;
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  constexpr auto kBits = static_cast<T>(sizeof(T) * 8);
  for_each_broadcast(y.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    const T s = pb[ib];
    if (s >= kBits) {
      py[i] = 0;
    } else {
      py[i] = static_cast<T>(left ? pa[ia] << s : pa[ia] >> s);
    }
  });
  return ok_status();
}

bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

template <typename T>
void add_bitshift(KernelRegistry& r, const char* name) {
  r.add({.name = name,
         .op_type = "BitShift",
         .since_version = 11,
         .dtype = DTypeOf<T>::value,
         .accepts = same_input_dtypes,
         .prepare = prepare_bitshift,
         .run = run_bitshift<T>});
}

}  // namespace

void register_ref_bitshift_kernels(KernelRegistry& r) {
  add_bitshift<uint8_t>(r, "bitshift_u8__ref");
  add_bitshift<uint16_t>(r, "bitshift_u16__ref");
  add_bitshift<uint32_t>(r, "bitshift_u32__ref");
  add_bitshift<uint64_t>(r, "bitshift_u64__ref");
}

}  // namespace fastserve
