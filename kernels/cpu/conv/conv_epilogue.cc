// Parsing of the conv epilogue (see conv_epilogue.h).
#include "kernels/cpu/conv/conv_epilogue.h"

#include <string>

#include "graph/fused_activation.h"

namespace fastserve {
namespace {

const UnaryUkernelFn* unary_table(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  if (isa >= Isa::kAvx512) return kUnaryUkernelsAvx512;
  if (isa >= Isa::kAvx2) return kUnaryUkernelsAvx2;
#else
  (void)isa;
#endif
  return kUnaryUkernelsScalar;
}

}  // namespace

Result<ConvActivation> parse_conv_activation(const NodeView& node, Isa isa) {
  ConvActivation out;
  if (node.op_type() != "FusedConv" && node.op_type() != "FusedMatMul" && node.op_type() != "FusedAdd") return out;
  FS_ASSIGN_OR_RETURN(FusedActivation a, parse_fused_activation(node));
  UnaryOp op = UnaryOp::kRelu;
  out.params.alpha = a.alpha;
  out.params.beta = a.beta;
  switch (a.kind) {
    case FusedActivationKind::kNone: return out;
    case FusedActivationKind::kRelu:
      out.gemm = GemmActivation::kRelu;
      op = UnaryOp::kRelu;
      break;
    case FusedActivationKind::kClip:
      out.gemm = GemmActivation::kClamp;
      out.clamp_min = a.alpha;
      out.clamp_max = a.beta;
      op = UnaryOp::kClip;
      break;
    case FusedActivationKind::kLeakyRelu: op = UnaryOp::kLeakyRelu; break;
    case FusedActivationKind::kSigmoid: op = UnaryOp::kSigmoid; break;
    case FusedActivationKind::kTanh: op = UnaryOp::kTanh; break;
    case FusedActivationKind::kHardSigmoid: op = UnaryOp::kHardSigmoid; break;
    case FusedActivationKind::kHardSwish: op = UnaryOp::kHardSwish; break;
    case FusedActivationKind::kGelu: op = UnaryOp::kGelu; break;
    case FusedActivationKind::kGeluTanh: op = UnaryOp::kGeluTanh; break;
  }
  out.gemm_fused = out.gemm != GemmActivation::kNone;
  out.row = unary_table(isa)[static_cast<int>(op)];
  return out;
}

Result<const float*> conv_residual(const KernelContext& ctx) {
  if (ctx.inputs.size() < 4 || ctx.inputs[3] == nullptr) return static_cast<const float*>(nullptr);
  const Tensor& z = *ctx.inputs[3];
  const Tensor& y = *ctx.outputs[0];
  if (z.dtype() != DType::kF32 || z.shape() != y.shape()) {
    return ctx.node.error(StatusCode::kInvalidArgument, "Z is " + z.to_string() + ", Y " + y.to_string());
  }
  return z.data<float>();
}

}  // namespace fastserve
