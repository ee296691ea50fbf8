// fold_batchnorm: a BatchNormalization (inference) right after a Conv is
// folded into the Conv's weights and bias.
//
// BatchNormalization (ONNX operator spec, training_mode = 0) computes per
// channel m: y = (x - mean[m]) / sqrt(var[m] + epsilon) * scale[m] + B[m].
// With s[m] = scale[m] / sqrt(var[m] + epsilon) and x = Conv(X, W) + b:
//   y = Conv(X, W') + b',  W'[m, ...] = W[m, ...] * s[m],
//                          b'[m] = (b[m] - mean[m]) * s[m] + B[m]
// (computed in double, stored as float). W' and b' are new initializers; the
// old ones become unused (eliminate_dead_code drops them, unless another
// node still reads them).
//
// Applies when: the producer is a Conv, or a fastserve.FusedConv with no
// residual and no activation (those happen after the convolution); W and the
// Conv's bias are float32 constants; the BN's scale, B, mean and var are
// float32 constants with one value per output channel; the Conv's output is
// read by the BN alone; and nothing reads the BN's training outputs. The Conv
// then writes the BN's output value, so a graph output keeps its name.
#include <cmath>
#include <vector>

#include "graph/op_schema.h"
#include "passes/graph_edit.h"
#include "passes/pass_manager.h"

namespace fastserve {
namespace {

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool is_f32_constant(const Tensor* t) { return t != nullptr && t->dtype() == DType::kF32; }

// A Conv the BN can be folded into: a plain convolution whose weights are constants.
bool foldable_conv(const Graph& g, const Node& n) {
  const bool conv = default_domain(n) && n.op_type == "Conv";
  const bool fused = n.domain == kFastServeDomain && n.op_type == "FusedConv" &&
                     (n.inputs.size() < 4 || n.inputs[3] == kNoValue) &&
                     (n.attr("activation") == nullptr || n.attr("activation")->s.empty());
  if (!(conv || fused) || n.outputs.size() != 1 || n.inputs.size() < 2) return false;
  const Tensor* w = constant_input(g, n, 1);
  if (!is_f32_constant(w) || w->rank() < 3) return false;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* b = constant_input(g, n, 2);
    if (!is_f32_constant(b) || b->numel() != w->dim(0)) return false;
  }
  return true;
}

// The BN's four parameters, each float32 with `channels` values.
bool batchnorm_params(const Graph& g, const Node& bn, int64_t channels, const Tensor* params[4]) {
  if (bn.inputs.size() != 5) return false;
  for (size_t i = 0; i < 4; ++i) {
    params[i] = constant_input(g, bn, i + 1);
    if (!is_f32_constant(params[i]) || params[i]->rank() != 1 || params[i]->numel() != channels) return false;
  }
  return true;
}

bool foldable_batchnorm(const Node& bn, const std::vector<int32_t>& uses) {
  if (!default_domain(bn) || bn.op_type != "BatchNormalization" || bn.outputs.empty()) return false;
  const Attribute* training = bn.attr("training_mode");
  if (training != nullptr && training->i != 0) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k) {  // running mean / var (training only)
    if (bn.outputs[k] != kNoValue && uses[static_cast<size_t>(bn.outputs[k])] > 0) return false;
  }
  return true;
}

// W' and b' for the conv `n` and BN parameters {scale, B, mean, var}.
void folded_weights(const Graph& g, const Node& n, const Tensor* params[4], float epsilon, Tensor& w_out,
                    Tensor& b_out) {
  const Tensor& w = *constant_input(g, n, 1);
  const Tensor* b = constant_input(g, n, 2);
  const int64_t channels = w.dim(0);
  const int64_t per_channel = w.numel() / channels;
  const float* scale = params[0]->data<float>();
  const float* beta = params[1]->data<float>();
  const float* mean = params[2]->data<float>();
  const float* var = params[3]->data<float>();
  w_out = Tensor::empty(DType::kF32, w.shape());
  b_out = Tensor::empty(DType::kF32, Shape{channels});
  const float* wd = w.data<float>();
  float* wo = w_out.data<float>();
  float* bo = b_out.data<float>();
  for (int64_t m = 0; m < channels; ++m) {
    const double s = static_cast<double>(scale[m]) / std::sqrt(static_cast<double>(var[m]) + epsilon);
    for (int64_t i = m * per_channel; i < (m + 1) * per_channel; ++i) {
      wo[i] = static_cast<float>(static_cast<double>(wd[i]) * s);
    }
    const double bias = b != nullptr ? static_cast<double>(b->data<float>()[m]) : 0.0;
    bo[m] = static_cast<float>((bias - mean[m]) * s + beta[m]);
  }
}

}  // namespace

Status fold_batchnorm(Model& model, PassContext& ctx) {
  Graph& g = model.graph;
  const std::vector<int32_t> uses = g.use_counts();
  const std::vector<std::vector<int32_t>> consumers = consumers_of(g);
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> removed(g.nodes.size(), false);
  bool any = false;

  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (!foldable_conv(g, g.nodes[n])) continue;
    const ValueId conv_out = g.nodes[n].outputs[0];
    if (g.values[static_cast<size_t>(conv_out)].dtype != DType::kF32) continue;
    const int32_t reader = sole_consumer(consumers, is_output, conv_out);
    if (reader < 0) continue;
    const Node& bn = g.nodes[static_cast<size_t>(reader)];
    if (!foldable_batchnorm(bn, uses) || bn.inputs[0] != conv_out) continue;
    const Tensor* params[4];
    if (!batchnorm_params(g, bn, constant_input(g, g.nodes[n], 1)->dim(0), params)) continue;
    const Attribute* eps = bn.attr("epsilon");
    Tensor w, b;
    folded_weights(g, g.nodes[n], params, eps != nullptr ? eps->f : 1e-5f, w, b);

    const std::string w_name = g.values[static_cast<size_t>(g.nodes[n].inputs[1])].name;
    const ValueId bn_out = bn.outputs[0];
    const std::string bn_key = op_key(bn);
    removed[static_cast<size_t>(reader)] = true;
    // add_initializer may reallocate g.values; take no Value references across it.
    const ValueId w_id = add_initializer(g, w_name + "_bnfolded", std::move(w));
    const ValueId b_id = add_initializer(g, w_name + "_bnfolded_bias", std::move(b));
    Node& conv = g.nodes[n];
    if (conv.inputs.size() < 3) conv.inputs.resize(3, kNoValue);
    conv.inputs[1] = w_id;
    conv.inputs[2] = b_id;
    conv.outputs[0] = bn_out;
    g.values[static_cast<size_t>(conv_out)].producer = -1;
    g.values[static_cast<size_t>(bn_out)].producer = static_cast<int32_t>(n);
    any = true;
    ctx.note_rewrite({op_key(conv), bn_key});
  }
  if (any) remove_nodes(g, removed);
  return ok_status();
}

}  // namespace fastserve
