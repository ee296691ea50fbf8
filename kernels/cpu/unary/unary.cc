// Optimized f32 activations: Relu, LeakyRelu, Clip, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Erf, Gelu (and fastserve.FusedGelu), one descriptor per op and ISA (scalar =
// auto-vectorized baseline, avx2, avx512; microkernels in unary_ukernels.h).
//
// Layout: dense; the tensor is one flat run split into chunks of at least
// kMinTaskElems for ctx.pool->parallel_for. prepare() parses the attributes
// (alpha, beta) once; Clip's bounds are inputs (opset 11+), read from the
// run's one-element tensors.
#include <limits>
#include <memory>
#include <string>

#include "kernels/cpu/unary/unary_ukernels.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kMinTaskElems = 16384;  // cheap ops: enough work to amortize a task

template <UnaryOp kOp>
Status prepare_unary(const NodeView& node, PrepareContext& ctx) {
  UnaryParams p;
  if constexpr (kOp == UnaryOp::kLeakyRelu) p.alpha = node.attr_float("alpha", 0.01f);
  if constexpr (kOp == UnaryOp::kHardSigmoid) {
    p.alpha = node.attr_float("alpha", 0.2f);
    p.beta = node.attr_float("beta", 0.5f);
  }
  if constexpr (kOp == UnaryOp::kGelu) {
    const std::string approximate = node.attr_string("approximate", "none");
    if (approximate != "none" && approximate != "tanh") {
      return node.error(StatusCode::kInvalidArgument,
                        "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    }
    p.alpha = approximate == "tanh" ? 1.f : 0.f;  // read by run_unary: picks kGeluTanh
  }
  ctx.state = std::make_shared<UnaryParams>(p);
  return ok_status();
}

template <Isa kIsa>
UnaryUkernelFn ukernel(UnaryOp op) {
  const auto i = static_cast<int>(op);
  if constexpr (kIsa == Isa::kAvx512) return kUnaryUkernelsAvx512[i];
  if constexpr (kIsa == Isa::kAvx2) return kUnaryUkernelsAvx2[i];
  return kUnaryUkernelsScalar[i];
}

// Clip bounds default to the f32 lowest / max (not +-inf, as the spec says).
Status clip_bounds(const KernelContext& ctx, UnaryParams& p) {
  p.alpha = std::numeric_limits<float>::lowest();
  p.beta = std::numeric_limits<float>::max();
  for (size_t i = 1; i <= 2 && i < ctx.inputs.size(); ++i) {
    const Tensor* b = ctx.inputs[i];
    if (b == nullptr) continue;
    if (b->numel() != 1 || b->dtype() != DType::kF32) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            i == 1 ? "min must be a float32 scalar" : "max must be a float32 scalar");
    }
    (i == 1 ? p.alpha : p.beta) = b->data<float>()[0];
  }
  return ok_status();
}

template <UnaryOp kOp, Isa kIsa>
Status run_unary(const KernelContext& ctx) {
  UnaryParams p = ctx.state_as<UnaryParams>();
  if constexpr (kOp == UnaryOp::kClip) FS_RETURN_IF_ERROR(clip_bounds(ctx, p));
  const float* x = ctx.inputs[0]->data<float>();
  float* y = ctx.outputs[0]->data<float>();
  UnaryUkernelFn fn = ukernel<kIsa>(kOp);
  if constexpr (kOp == UnaryOp::kGelu) {
    if (p.alpha != 0.f) fn = ukernel<kIsa>(UnaryOp::kGeluTanh);
  }
  ctx.pool->parallel_for(ctx.inputs[0]->numel(), kMinTaskElems,
                         [&](int64_t begin, int64_t end) { fn(x + begin, y + begin, end - begin, p); });
  return ok_status();
}

template <UnaryOp kOp>
void add_variants(KernelRegistry& r, const char* op_type, int since, const char* scalar, const char* avx2,
                  const char* avx512, const char* domain = "") {
  r.add({.name = scalar,
         .op_type = op_type,
         .domain = domain,
         .since_version = since,
         .dtype = DType::kF32,
         .required_isa = Isa::kScalar,
         .priority = 10,
         .prepare = prepare_unary<kOp>,
         .run = run_unary<kOp, Isa::kScalar>});
  r.add({.name = avx2,
         .op_type = op_type,
         .domain = domain,
         .since_version = since,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx2,
         .priority = 20,
         .prepare = prepare_unary<kOp>,
         .run = run_unary<kOp, Isa::kAvx2>});
  r.add({.name = avx512,
         .op_type = op_type,
         .domain = domain,
         .since_version = since,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx512,
         .priority = 30,
         .prepare = prepare_unary<kOp>,
         .run = run_unary<kOp, Isa::kAvx512>});
}

}  // namespace

void register_cpu_unary_kernels(KernelRegistry& r) {
  add_variants<UnaryOp::kRelu>(r, "Relu", 1, "relu_f32__portable", "relu_f32__avx2", "relu_f32__avx512");
  add_variants<UnaryOp::kLeakyRelu>(r, "LeakyRelu", 1, "leaky_relu_f32__portable", "leaky_relu_f32__avx2",
                                    "leaky_relu_f32__avx512");
  // Clip's bounds are inputs from opset 11 on (the attribute form is not supported).
  add_variants<UnaryOp::kClip>(r, "Clip", 11, "clip_f32__portable", "clip_f32__avx2", "clip_f32__avx512");
  add_variants<UnaryOp::kSigmoid>(r, "Sigmoid", 1, "sigmoid_f32__portable", "sigmoid_f32__avx2",
                                  "sigmoid_f32__avx512");
  add_variants<UnaryOp::kTanh>(r, "Tanh", 1, "tanh_f32__portable", "tanh_f32__avx2", "tanh_f32__avx512");
  add_variants<UnaryOp::kHardSigmoid>(r, "HardSigmoid", 1, "hard_sigmoid_f32__portable",
                                      "hard_sigmoid_f32__avx2", "hard_sigmoid_f32__avx512");
  add_variants<UnaryOp::kHardSwish>(r, "HardSwish", 1, "hard_swish_f32__portable", "hard_swish_f32__avx2",
                                    "hard_swish_f32__avx512");
  add_variants<UnaryOp::kErf>(r, "Erf", 9, "erf_f32__portable", "erf_f32__avx2", "erf_f32__avx512");
  add_variants<UnaryOp::kGelu>(r, "Gelu", 20, "gelu_f32__portable", "gelu_f32__avx2", "gelu_f32__avx512");
  // fastserve.FusedGelu: what passes/fuse_gelu.cc makes of a decomposed
  // GELU in a model whose opset predates ONNX's Gelu (20).
  add_variants<UnaryOp::kGelu>(r, "FusedGelu", 1, "fused_gelu_f32__portable", "fused_gelu_f32__avx2",
                               "fused_gelu_f32__avx512", "fastserve");
}

}  // namespace fastserve
