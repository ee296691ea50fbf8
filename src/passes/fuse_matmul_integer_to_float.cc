// fuse_matmul_integer_to_float: the dynamic-quantization tail
//   MatMulInteger(A, B, a_zp, b_zp) -> Cast(to float) -> Mul(., scale) [-> Add(., bias)]
// becomes one fastserve.MatMulIntegerToFloat (graph/ops_fastserve.def), the
// pattern ONNX Runtime's quantize_dynamic writes for every MatMul (scale =
// Mul(a_scale, b_scale), a_scale from DynamicQuantizeLinear).
//
// Matched when: B is a constant of rank 2 (the INT8 kernels pack it);
// MatMulInteger's output is read by the Cast alone, whose `to` is float;
// the Cast's by the Mul alone, whose other operand is float32 with one value
// or one per column ([N] or [1, ..., N]) and not the Cast's own output; the
// optional Add's other operand a float32 constant [N]. The fused kernel does
// the same float operations in the same order (float(acc) * scale, + bias),
// so results are bit-identical. What it saves: the int32 tensor and three
// passes over it.
#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/fuser.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

class IntegerToFloatFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  // reader_of as a node (and its index), or null.
  const Node* reader(ValueId id, size_t* index) const {
    const int32_t r = reader_of(id);
    if (r < 0) return nullptr;
    *index = static_cast<size_t>(r);
    return &g_.nodes[static_cast<size_t>(r)];
  }

  // The operand of binary node `n` that is not `cur` (kNoValue when both are).
  static ValueId other_operand(const Node& n, ValueId cur) {
    if (n.inputs.size() != 2) return kNoValue;
    if (n.inputs[0] == cur && n.inputs[1] != cur) return n.inputs[1];
    if (n.inputs[1] == cur && n.inputs[0] != cur) return n.inputs[0];
    return kNoValue;
  }

  // Float32 with one value, or one per column of N (rank <= 2, leading 1s).
  bool per_column_or_scalar(ValueId id, int64_t n) const {
    const Value& v = value(id);
    if (v.dtype != DType::kF32 || !v.shape_known) return false;
    const int64_t count = v.shape.numel();
    if (count == 1) return true;
    return v.shape.is_static() && count == n && v.shape[v.shape.rank() - 1] == n;
  }

  void try_fuse(size_t i) override {
    const Node& mm = g_.nodes[i];
    if (!is_default_domain(mm) || mm.op_type != "MatMulInteger" || mm.outputs.size() != 1) return;
    const Tensor* b = constant_input(g_, mm, 1);
    if (b == nullptr || b->rank() != 2) return;
    const int64_t n = b->dim(1);
    size_t cast_i = 0, mul_i = 0, add_i = 0;
    const Node* cast = reader(mm.outputs[0], &cast_i);
    if (cast == nullptr || !is_default_domain(*cast) || cast->op_type != "Cast" || cast->outputs.size() != 1) return;
    const Attribute* to = cast->attr("to");
    if (to == nullptr || dtype_from_onnx(static_cast<int32_t>(to->i)) != DType::kF32) return;
    const Node* mul = reader(cast->outputs[0], &mul_i);
    if (mul == nullptr || !is_default_domain(*mul) || mul->op_type != "Mul" || mul->outputs.size() != 1) return;
    const ValueId scale = other_operand(*mul, cast->outputs[0]);
    if (scale == kNoValue || !per_column_or_scalar(scale, n)) return;
    std::vector<size_t> chain = {i, cast_i, mul_i};
    ValueId out = mul->outputs[0];
    ValueId bias = kNoValue;
    if (const Node* add = reader(out, &add_i);
        add != nullptr && is_default_domain(*add) && add->op_type == "Add" && add->outputs.size() == 1) {
      const ValueId other = other_operand(*add, out);
      const Tensor* t = other == kNoValue ? nullptr : constant_input(g_, *add, add->inputs[0] == other ? 0 : 1);
      if (t != nullptr && t->dtype() == DType::kF32 && t->rank() == 1 && t->dim(0) == n) {
        bias = other;
        chain.push_back(add_i);
        out = add->outputs[0];
      }
    }
    Node fused;
    fused.name = g_.nodes[chain.back()].name.empty() ? mm.name : g_.nodes[chain.back()].name;
    fused.op_type = "MatMulIntegerToFloat";
    fused.domain = std::string(kFastServeDomain);
    for (size_t k = 0; k < 4; ++k) fused.inputs.push_back(k < mm.inputs.size() ? mm.inputs[k] : kNoValue);
    fused.inputs.push_back(scale);
    if (bias != kNoValue) fused.inputs.push_back(bias);
    fused.outputs = {out};
    std::vector<std::string> ops;
    for (size_t c : chain) ops.push_back(op_key(g_.nodes[c]));
    install(std::move(ops), chain, chain.back(), std::move(fused));
  }
};

}  // namespace

Status fuse_matmul_integer_to_float(Model& model, PassContext& ctx) { return IntegerToFloatFuser(model, ctx).run(); }

}  // namespace fastserve
