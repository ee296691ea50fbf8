// The activation a fused op (fastserve.FusedConv, ...) applies after its
// main computation, read from the node's `activation` (string) and
// `activation_params` (floats) attributes. Passes write these attributes when
// they fold an activation node into its producer; kernels read them here, so
// both agree on one spelling.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "fastserve/node_view.h"
#include "fastserve/status.h"

namespace fastserve {

enum class FusedActivationKind : uint8_t {
  kNone, kRelu, kClip, kLeakyRelu, kSigmoid, kTanh, kHardSigmoid, kHardSwish,
  kGelu,      // "Gelu": ONNX Gelu, approximate = "none"
  kGeluTanh,  // "GeluTanh": ONNX Gelu, approximate = "tanh"
};

struct FusedActivation {
  FusedActivationKind kind = FusedActivationKind::kNone;
  float alpha = 0.f;  // Clip: min; LeakyRelu: alpha; HardSigmoid: alpha
  float beta = 0.f;   // Clip: max; HardSigmoid: beta
};

// Parses the node's activation attributes; an unknown name or a wrong
// parameter count is an error naming the node.
Result<FusedActivation> parse_fused_activation(const NodeView& node);

// The ONNX op type of an activation ("" for kNone) and the number of
// activation_params it takes.
const char* fused_activation_name(FusedActivationKind kind);
int fused_activation_param_count(FusedActivationKind kind);

// f(x) for one value, following the ONNX definitions of the ops.
inline float apply_fused_activation(const FusedActivation& a, float x) {
  switch (a.kind) {
    case FusedActivationKind::kNone: return x;
    case FusedActivationKind::kRelu: return x > 0.f ? x : 0.f;
    case FusedActivationKind::kClip: return std::min(std::max(x, a.alpha), a.beta);
    case FusedActivationKind::kLeakyRelu: return x >= 0.f ? x : a.alpha * x;
    case FusedActivationKind::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case FusedActivationKind::kTanh: return std::tanh(x);
    case FusedActivationKind::kHardSigmoid: return std::max(0.f, std::min(1.f, a.alpha * x + a.beta));
    case FusedActivationKind::kHardSwish: return x * std::max(0.f, std::min(1.f, x / 6.f + 0.5f));
    case FusedActivationKind::kGelu:
      if (std::isinf(x)) return x > 0.f ? x : 0.f;
      return 0.5f * x * (1.f + std::erf(x * 0.70710678f));
    case FusedActivationKind::kGeluTanh:
      if (std::isinf(x)) return x > 0.f ? x : 0.f;
      return 0.5f * x * (1.f + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

// Applies the activation to n contiguous values in place (plain loop; CPU
// kernels with a vector path use their own).
void apply_fused_activation(const FusedActivation& a, float* data, int64_t n);

}  // namespace fastserve
