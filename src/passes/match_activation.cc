// Activation matching for the fusion passes (see match_activation.h).
#include "passes/match_activation.h"

#include <cmath>
#include <limits>

#include "passes/graph_edit.h"

namespace fastserve {

bool is_default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

namespace {

float float_attr(const Node& n, const char* name, float def) {
  const Attribute* a = n.attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kFloat ? a->f : def;
}

// Clip's bounds: attributes before opset 11, optional constant scalar inputs
// after. Nullopt when a bound is not a known float32 scalar.
std::optional<ActivationAttrs> clip_attrs(const Model& model, const Node& n) {
  float lo = std::numeric_limits<float>::lowest();
  float hi = std::numeric_limits<float>::max();
  if (model.opset() < 11) {
    lo = float_attr(n, "min", lo);
    hi = float_attr(n, "max", hi);
  } else {
    for (size_t i = 1; i < 3 && i < n.inputs.size(); ++i) {
      if (n.inputs[i] == kNoValue) continue;
      const Tensor* t = constant_input(model.graph, n, i);
      if (t == nullptr || t->dtype() != DType::kF32 || t->numel() != 1) return std::nullopt;
      (i == 1 ? lo : hi) = t->data<float>()[0];
    }
  }
  // min > max (ONNX then outputs max everywhere) is not a FusedConv Clip; NaN never is.
  if (std::isnan(lo) || std::isnan(hi) || lo > hi) return std::nullopt;
  return ActivationAttrs{"Clip", {lo, hi}};
}

std::optional<ActivationAttrs> match_plain_activation(const Model& model, const Node& n) {
  if (!is_default_domain(n) || n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
  const std::string& op = n.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") return ActivationAttrs{op, {}};
  if (op == "LeakyRelu") return ActivationAttrs{op, {float_attr(n, "alpha", 0.01f)}};
  if (op == "HardSigmoid") return ActivationAttrs{op, {float_attr(n, "alpha", 0.2f), float_attr(n, "beta", 0.5f)}};
  if (op == "Clip") return clip_attrs(model, n);
  return std::nullopt;
}

}  // namespace

std::optional<ActivationAttrs> match_fused_activation(const Model& model, const Node& n, bool allow_gelu) {
  const bool gelu = (n.op_type == "Gelu" && is_default_domain(n)) || (n.op_type == "FusedGelu" && n.domain == "fastserve");
  if (allow_gelu && gelu && n.inputs.size() == 1 && n.outputs.size() == 1) {
    const Attribute* a = n.attr("approximate");
    const std::string approx = a != nullptr && a->kind == Attribute::Kind::kString ? a->s : "none";
    if (approx == "none") return ActivationAttrs{"Gelu", {}};
    if (approx == "tanh") return ActivationAttrs{"GeluTanh", {}};
    return std::nullopt;
  }
  return match_plain_activation(model, n);
}

void add_activation_attributes(Node& fused, const ActivationAttrs& act) {
  Attribute a;
  a.name = "activation";
  a.kind = Attribute::Kind::kString;
  a.s = act.name;
  fused.attributes.push_back(std::move(a));
  if (!act.params.empty()) {
    Attribute p;
    p.name = "activation_params";
    p.kind = Attribute::Kind::kFloats;
    p.floats = act.params;
    fused.attributes.push_back(std::move(p));
  }
}

}  // namespace fastserve
