// Parsing and naming of fused activations (see fused_activation.h).
#include "graph/fused_activation.h"

#include <array>
#include <string_view>
#include <vector>

namespace fastserve {
namespace {

struct ActivationName {
  FusedActivationKind kind;
  const char* name;
  int params;
};

constexpr std::array<ActivationName, 9> kActivations = {{
    {FusedActivationKind::kRelu, "Relu", 0},
    {FusedActivationKind::kClip, "Clip", 2},
    {FusedActivationKind::kLeakyRelu, "LeakyRelu", 1},
    {FusedActivationKind::kSigmoid, "Sigmoid", 0},
    {FusedActivationKind::kTanh, "Tanh", 0},
    {FusedActivationKind::kHardSigmoid, "HardSigmoid", 2},
    {FusedActivationKind::kHardSwish, "HardSwish", 0},
    {FusedActivationKind::kGelu, "Gelu", 0},
    {FusedActivationKind::kGeluTanh, "GeluTanh", 0},
}};

}  // namespace

const char* fused_activation_name(FusedActivationKind kind) {
  for (const ActivationName& a : kActivations) {
    if (a.kind == kind) return a.name;
  }
  return "";
}

int fused_activation_param_count(FusedActivationKind kind) {
  for (const ActivationName& a : kActivations) {
    if (a.kind == kind) return a.params;
  }
  return 0;
}

Result<FusedActivation> parse_fused_activation(const NodeView& node) {
  FusedActivation out;
  const std::string name = node.attr_string("activation", "");
  if (name.empty()) return out;
  const ActivationName* found = nullptr;
  for (const ActivationName& a : kActivations) {
    if (name == a.name) found = &a;
  }
  if (found == nullptr) {
    return node.error(StatusCode::kInvalidArgument, "unknown fused activation '" + name + "'");
  }
  const std::vector<float> params = node.attr_floats("activation_params");
  if (static_cast<int>(params.size()) != found->params) {
    return node.error(StatusCode::kInvalidArgument, "fused activation " + name + " takes " +
                                                        std::to_string(found->params) + " activation_params, got " +
                                                        std::to_string(params.size()));
  }
  out.kind = found->kind;
  if (!params.empty()) out.alpha = params[0];
  if (params.size() > 1) out.beta = params[1];
  if (out.kind == FusedActivationKind::kClip && out.alpha > out.beta) {
    return node.error(StatusCode::kInvalidArgument, "fused Clip has min " + std::to_string(out.alpha) +
                                                        " > max " + std::to_string(out.beta));
  }
  return out;
}

void apply_fused_activation(const FusedActivation& a, float* data, int64_t n) {
  if (a.kind == FusedActivationKind::kNone) return;
  for (int64_t i = 0; i < n; ++i) data[i] = apply_fused_activation(a, data[i]);
}

}  // namespace fastserve
