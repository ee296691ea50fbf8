// Matching of the activation nodes the fusion passes fold into their
// producer (fastserve.FusedConv, fastserve.FusedMatMul), as the
// `activation` / `activation_params` attributes graph/fused_activation.h
// reads back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve {

// The fastserve opset version the fusion passes write.
inline constexpr int64_t kFusedOpsetVersion = 1;

bool is_default_domain(const Node& n);

struct ActivationAttrs {
  std::string name;
  std::vector<float> params;
};

// The activation attributes for node n, or nullopt when it is not an
// activation a fused op applies: Relu, Clip (constant bounds), LeakyRelu,
// Sigmoid, Tanh, HardSigmoid, HardSwish; with `allow_gelu`, also ONNX Gelu
// and fastserve.FusedGelu ("Gelu" / "GeluTanh").
std::optional<ActivationAttrs> match_fused_activation(const Model& model, const Node& n, bool allow_gelu = false);

// Appends the activation attributes to a fused node.
void add_activation_attributes(Node& fused, const ActivationAttrs& act);

}  // namespace fastserve
