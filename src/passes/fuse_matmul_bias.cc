// fuse_matmul_bias: MatMul [-> Add bias] [-> activation] becomes one
// fastserve.FusedMatMul (graph/ops_fastserve.def): Y = act(A B + bias).
//
// Matched from each float32 MatMul whose B has rank 2 (a linear layer; the
// batched products of attention stay MatMul):
//   * Add: the MatMul's output is read by an Add alone, whose other operand
//     (either order) is a float32 constant holding one value per column: shape
//     [N], or [1, ..., 1, N] of rank no higher than the output's (so the Add
//     does not broadcast the output to a new shape). It becomes the bias,
//     reshaped to [N].
//   * then an activation that output alone feeds: those FusedConv takes
//     (passes/match_activation.h) and Gelu (ONNX Gelu or fastserve.FusedGelu,
//     made by fuse_gelu, which runs first).
// What it saves: the bias Add and the activation each were a pass over the
// output; the GEMM now adds the bias (and Relu/Clip) while the tile is in
// registers, and any other activation runs on each GEMM's output right after
// it. The fused node takes the place and name of the last node it replaces.
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

class MatMulFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  // The bias constant when `add` adds one value per column to `cur`, else null.
  const Tensor* bias_operand(const Node& add, ValueId cur, int64_t n) const {
    if (!is_default_domain(add) || add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) {
      return nullptr;
    }
    const size_t other = add.inputs[0] == cur ? 1 : (add.inputs[1] == cur ? 0 : 2);
    if (other == 2 || add.inputs[other] == cur) return nullptr;
    const Tensor* t = constant_input(g_, add, other);
    if (t == nullptr || t->dtype() != DType::kF32 || t->rank() < 1 || t->numel() != n) return nullptr;
    if (t->rank() > value(cur).shape.rank() || t->dim(static_cast<int>(t->rank()) - 1) != n) return nullptr;
    return t;
  }

  void try_fuse(size_t i) override {
    const Node& mm = g_.nodes[i];
    if (!is_default_domain(mm) || mm.op_type != "MatMul" || mm.inputs.size() != 2 || mm.outputs.size() != 1) return;
    const Value& a = value(mm.inputs[0]);
    const Value& b = value(mm.inputs[1]);
    const Value& y = value(mm.outputs[0]);
    if (a.dtype != DType::kF32 || b.dtype != DType::kF32 || !b.shape_known || b.shape.rank() != 2 ||
        b.shape[1] == kUnknownDim || !y.shape_known || y.shape.rank() < 1) {
      return;
    }
    const int64_t n = b.shape[1];
    std::vector<size_t> chain = {i};
    std::vector<std::string> ops = {op_key(mm)};
    ValueId cur = mm.outputs[0];
    const Tensor* bias = nullptr;
    int32_t r = reader_of(cur);
    if (r >= 0) {
      bias = bias_operand(g_.nodes[static_cast<size_t>(r)], cur, n);
      if (bias != nullptr) {
        chain.push_back(static_cast<size_t>(r));
        ops.push_back(op_key(g_.nodes[static_cast<size_t>(r)]));
        cur = g_.nodes[static_cast<size_t>(r)].outputs[0];
        r = reader_of(cur);
      }
    }
    std::optional<ActivationAttrs> act;
    if (r >= 0 && g_.nodes[static_cast<size_t>(r)].inputs[0] == cur) {
      act = match_fused_activation(model_, g_.nodes[static_cast<size_t>(r)], /*allow_gelu=*/true);
      if (act) {
        chain.push_back(static_cast<size_t>(r));
        ops.push_back(op_key(g_.nodes[static_cast<size_t>(r)]));
        cur = g_.nodes[static_cast<size_t>(r)].outputs[0];
      }
    }
    if (chain.size() == 1) return;

    const size_t last = chain.back();
    Node fused;
    fused.name = g_.nodes[last].name.empty() ? mm.name : g_.nodes[last].name;
    fused.op_type = "FusedMatMul";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = {mm.inputs[0], mm.inputs[1]};
    if (bias != nullptr) {
      const Node& add = g_.nodes[chain[1]];
      const ValueId bias_id = add.inputs[0] == mm.outputs[0] ? add.inputs[1] : add.inputs[0];
      if (bias->rank() == 1) {
        fused.inputs.push_back(bias_id);
      } else {  // [1, ..., 1, N]: a view of the same data as [N]
        Tensor flat = bias->reshaped(Shape{n});
        fused.inputs.push_back(add_initializer(g_, value(bias_id).name + "_1d", std::move(flat)));
      }
    }
    fused.outputs = {cur};
    if (act) add_activation_attributes(fused, *act);
    install(std::move(ops), chain, last, std::move(fused));
  }
};

}  // namespace

Status fuse_matmul_bias(Model& model, PassContext& ctx) { return MatMulFuser(model, ctx).run(); }

}  // namespace fastserve
