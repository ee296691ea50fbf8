// fuse_block_quant_matmul: weight-only 4-bit block quantization
//   DequantizeLinear(B int4/uint4, scales, zero_point; axis, block_size) -> MatMul(A, .) / Gemm(A, .)
// becomes one fastserve.BlockQuantMatMul (graph/ops_fastserve.def), whose
// kernel keeps B in nibbles and unpacks them in registers: the weights stay
// an eighth of their float size in memory, and a batch-1 product (memory
// bound) reads an eighth of the bytes.
//
// It runs right after fuse_qdq, while the level-2 rounds still leave
// DequantizeLinear unfolded (PassContext::keep_dequantize); the
// fold_constants after it turns the DequantizeLinear nodes neither fused
// into float weights.
// Matched when: B is a constant int4 / uint4 matrix, the scales (and the
// optional zero point) constants of the blocked shape, block_size >= 1 and
// the blocks run along the reduction axis (axis 0 of MatMul's [K, N] B;
// for Gemm, axis 0 of [K, N] or axis 1 of [N, K] with transB); the
// DequantizeLinear output is read by that one node only, as its B. Gemm
// needs transA = 0, alpha = beta = 1 and a float32 [N] C (or none); A must
// have rank >= 2.
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "passes/fuser.h"
#include "passes/match_activation.h"
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

int64_t int_attr_or(const Node& n, const char* name, int64_t def) {
  const Attribute* a = n.attr(name);
  return a == nullptr ? def : a->i;
}

float float_attr_or(const Node& n, const char* name, float def) {
  const Attribute* a = n.attr(name);
  return a == nullptr ? def : a->f;
}

class BlockQuantMatMulFuser : public Fuser {
 public:
  using Fuser::Fuser;

 private:
  void try_fuse(size_t i) override {
    const Node& dq = g_.nodes[i];
    if (!is_default_domain(dq) || dq.op_type != "DequantizeLinear" || dq.outputs.size() != 1) return;
    const Tensor* w = constant_input(g_, dq, 0);
    const Tensor* s = constant_input(g_, dq, 1);
    if (w == nullptr || s == nullptr || w->rank() != 2 || s->rank() != 2 || s->dtype() != DType::kF32) return;
    if (w->dtype() != DType::kI4 && w->dtype() != DType::kU4) return;
    const bool has_zp = dq.inputs.size() > 2 && dq.inputs[2] != kNoValue;
    const Tensor* zp = has_zp ? constant_input(g_, dq, 2) : nullptr;
    if (has_zp && (zp == nullptr || zp->dtype() != w->dtype() || zp->shape() != s->shape())) return;
    const int64_t block = int_attr_or(dq, "block_size", 0);
    int64_t axis = int_attr_or(dq, "axis", 1);
    if (axis < 0) axis += 2;
    if (block < 1 || (axis != 0 && axis != 1)) return;
    // Blocked shape: the K dim shrinks to ceil(K / block), the other stays.
    const int64_t kdim = w->dim(static_cast<size_t>(axis)), other = w->dim(static_cast<size_t>(1 - axis));
    if (s->dim(static_cast<size_t>(axis)) != (kdim + block - 1) / block || s->dim(static_cast<size_t>(1 - axis)) != other) {
      return;
    }
    const int32_t r = reader_of(dq.outputs[0]);
    if (r < 0) return;
    const Node& mm = g_.nodes[static_cast<size_t>(r)];
    if (!is_default_domain(mm) || mm.inputs.size() < 2 || mm.inputs[1] != dq.outputs[0] || mm.inputs[0] == dq.outputs[0]) {
      return;
    }
    const Value& a = value(mm.inputs[0]);
    if (a.dtype != DType::kF32 || !a.shape_known || a.shape.rank() < 2) return;
    bool trans_b = false;
    ValueId bias = kNoValue;
    if (mm.op_type == "MatMul") {
      if (axis != 0) return;
    } else if (mm.op_type == "Gemm") {
      if (int_attr_or(mm, "transA", 0) != 0 || float_attr_or(mm, "alpha", 1.f) != 1.f) return;
      trans_b = int_attr_or(mm, "transB", 0) != 0;
      if (axis != (trans_b ? 1 : 0)) return;
      if (mm.inputs.size() > 2 && mm.inputs[2] != kNoValue) {
        const Tensor* c = constant_input(g_, mm, 2);
        if (c == nullptr || c->dtype() != DType::kF32 || c->rank() != 1 || c->dim(0) != other ||
            float_attr_or(mm, "beta", 1.f) != 1.f) {
          return;
        }
        bias = mm.inputs[2];
      }
    } else {
      return;
    }
    Node fused;
    fused.name = mm.name;
    fused.op_type = "BlockQuantMatMul";
    fused.domain = std::string(kFastServeDomain);
    fused.inputs = {mm.inputs[0], dq.inputs[0], dq.inputs[1], has_zp ? dq.inputs[2] : kNoValue};
    if (bias != kNoValue) fused.inputs.push_back(bias);
    fused.outputs = {mm.outputs[0]};
    fused.attributes = {int_attr("block_size", block), int_attr("trans_b", trans_b ? 1 : 0)};
    install({op_key(dq), op_key(mm)}, {i, static_cast<size_t>(r)}, static_cast<size_t>(r), std::move(fused));
  }
};

}  // namespace

Status fuse_block_quant_matmul(Model& model, PassContext& ctx) { return BlockQuantMatMulFuser(model, ctx).run(); }

}  // namespace fastserve
