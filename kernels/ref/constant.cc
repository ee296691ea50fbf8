// Reference Constant: the output is the tensor the node's attribute holds
// ('value', or 'value_float(s)' / 'value_int(s)' from opset 12). prepare()
// resolves it once (sharing the attribute's buffer for 'value'); run() copies
// its bytes into the output the runtime allocated. Sparse and string
// constants are rejected as kUnsupported by resolve_constant.
#include <cstring>
#include <memory>

#include "graph/shape_op_params.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ConstantState {
  Tensor value;
};

Status prepare_constant(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(Tensor value, resolve_constant(node));
  ctx.state = std::make_shared<ConstantState>(ConstantState{std::move(value)});
  return ok_status();
}

Status run_constant(const KernelContext& ctx) {
  const Tensor& v = ctx.state_as<ConstantState>().value;
  Tensor& y = *ctx.outputs[0];
  if (y.dtype() != v.dtype() || y.shape() != v.shape()) {
    return ctx.node.error(StatusCode::kInternal, "output " + y.to_string() + " does not match the constant " +
                                                     v.to_string());
  }
  if (v.nbytes() > 0) std::memcpy(y.raw_data(), v.raw_data(), v.nbytes());
  return ok_status();
}

}  // namespace

void register_ref_constant_kernels(KernelRegistry& r) {
  r.add({.name = "constant__ref", .op_type = "Constant", .dtype = DType::kUndefined, .prepare = prepare_constant,
         .run = run_constant});
}

}  // namespace fastserve
