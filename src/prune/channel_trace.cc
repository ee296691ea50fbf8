// ChannelTracer: the per-op rules that channel_pruning.cc's header lists,
// applied from a producer's output to every reader.
#include "prune/channel_trace.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "passes/graph_edit.h"
#include "prune/prunable.h"

namespace fastserve::prune {

int64_t attr_int(const Node& n, const char* name, int64_t def) {
  const Attribute* a = n.attr(name);
  return a != nullptr ? a->i : def;
}

namespace {

bool is_channelwise_unary(const std::string& op) {
  // Each output element depends on the same element of the input alone.
  static const std::set<std::string> kOps = {"Relu",        "LeakyRelu", "Sigmoid",    "Tanh",
                                             "HardSigmoid", "HardSwish", "Elu",        "Selu",
                                             "Celu",        "Softplus",  "Softsign",   "Mish",
                                             "Gelu",        "Erf",       "Exp",        "Neg",
                                             "Abs",         "Sqrt",      "Reciprocal", "ThresholdedRelu",
                                             "Identity",    "Dropout",   "Clip"};
  return kOps.count(op) > 0;
}

// Elementwise with numpy broadcasting: channel c of the output reads channel
// c of each input.
bool is_elementwise_binary(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min" ||
         op == "Pow" || op == "PRelu";
}

bool is_channel_pool(const std::string& op) {
  return op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool";
}

// The axis that holds the channels: 1 in [N, C, ...] conv layout, else the
// last (a Gemm's [N, F], a MatMul's [..., F]).
size_t channel_axis(size_t rank, bool conv_layout) { return conv_layout ? 1 : rank - 1; }

}  // namespace

class ChannelTracer::Impl {
 public:
  explicit Impl(const Graph& g)
      : g_(g), consumers_(consumers_of(g)), is_output_(graph_output_flags(g)), uses_(g.use_counts()) {
    from_constant_node_.assign(g.values.size(), false);
    for (const Node& n : g.nodes) {
      if (n.op_type != "Constant" || !n.domain.empty()) continue;
      for (ValueId o : n.outputs) {
        if (o != kNoValue) from_constant_node_[static_cast<size_t>(o)] = true;
      }
      const Attribute* value = n.attr("value");
      if (value != nullptr && value->kind == Attribute::Kind::kTensor && n.outputs.size() == 1 &&
          n.outputs[0] != kNoValue) {
        constant_node_data_[n.outputs[0]] = &value->t;
      }
    }
  }

  // Follows `channels` channels of value `v` (on axis 1 when `conv_layout`,
  // else the last axis of a rank-2 value) to every reader; false with `why`
  // when one of them cannot follow.
  bool trace(ValueId v, const Span& sp, bool conv_layout, ChannelPlan& plan, std::string& why) {
    const Value& val = g_.values[static_cast<size_t>(v)];
    if (!plan.visited.insert({v, sp.offset}).second) return true;
    if (is_output_[static_cast<size_t>(v)]) {
      why = "its channels reach graph output '" + val.name + "'";
      return false;
    }
    // Recursion depth, not a count of values: a stage of ResNet blocks is a
    // long chain, but each step returns.
    struct DepthGuard {
      int& d;
      ~DepthGuard() { --d; }
    } guard{++depth_};
    if (depth_ > 512) {
      why = "the channel chain is too long";
      return false;
    }
    for (int32_t ci : consumers_[static_cast<size_t>(v)]) {
      const Node& n = g_.nodes[static_cast<size_t>(ci)];
      const std::string who = n.op_type + " '" + layer_name(g_, n) + "'";
      if (!n.domain.empty()) {
        why = "its channels reach " + n.domain + "." + who;
        return false;
      }
      if (is_elementwise_binary(n.op_type)) {
        if (!follow_binary(static_cast<size_t>(ci), v, sp, conv_layout, plan, why)) return false;
        continue;
      }
      if (n.op_type == "Concat") {
        if (!follow_concat(n, v, sp, conv_layout, plan, why)) return false;
        continue;
      }
      if (n.op_type == "Pad" && !n.inputs.empty() && n.inputs[0] == v) {
        if (!pads_spare_channels(n, v, conv_layout, why)) return false;
        if (!trace(n.outputs[0], sp, conv_layout, plan, why)) return false;
        continue;
      }
      const bool followable = is_channelwise_unary(n.op_type) || is_channel_pool(n.op_type) ||
                              n.op_type == "BatchNormalization" || n.op_type == "Conv" ||
                              n.op_type == "Flatten" || n.op_type == "Gemm" || n.op_type == "MatMul";
      if (!followable) {
        why = "its channels reach " + who;
        return false;
      }
      if (n.inputs.empty() || n.inputs[0] != v || std::count(n.inputs.begin(), n.inputs.end(), v) != 1) {
        why = "its channels reach " + who + " (not as its only data input)";
        return false;
      }
      if (is_channelwise_unary(n.op_type)) {
        if (n.op_type == "Clip" && !clip_bounds_constant(n)) {
          why = "its channels reach " + who + " with run-time bounds";
          return false;
        }
        if (n.op_type == "Dropout" && n.outputs.size() > 1 && n.outputs[1] != kNoValue &&
            uses_[static_cast<size_t>(n.outputs[1])] > 0) {
          why = "its channels reach " + who + "'s mask output";
          return false;
        }
        if (!trace(n.outputs[0], sp, conv_layout, plan, why)) return false;
        continue;
      }
      if (conv_layout && is_channel_pool(n.op_type)) {
        if (n.outputs.size() > 1 && n.outputs[1] != kNoValue &&
            uses_[static_cast<size_t>(n.outputs[1])] > 0) {
          why = "its channels reach " + who + "'s indices output";
          return false;
        }
        if (!trace(n.outputs[0], sp, conv_layout, plan, why)) return false;
        continue;
      }
      // BatchNormalization normalizes axis 1: the channels in conv layout, and
      // the features of an [N, F] matrix (PyTorch's BatchNorm1d after a Linear).
      const Value& here = g_.values[static_cast<size_t>(v)];
      const bool features_on_axis_1 = !conv_layout && here.shape_known && here.shape.rank() == 2;
      if ((conv_layout || features_on_axis_1) && n.op_type == "BatchNormalization") {
        if (n.inputs.size() < 5 || (n.outputs.size() > 1 && n.outputs[1] != kNoValue)) {
          why = "its channels reach " + who + " in training mode";
          return false;
        }
        for (size_t i = 1; i < 5; ++i) {
          if (!own_vector(n.inputs[i], sp.total, why, who)) return false;
          plan.slices.push_back({n.inputs[i], 0, 1, sp.offset});
        }
        if (plan.bn_scale.empty()) {
          const Attribute* eps_attr = n.attr("epsilon");
          const double eps = eps_attr != nullptr ? eps_attr->f : 1e-5;
          const float* gamma = g_.values[static_cast<size_t>(n.inputs[1])].initializer.data<float>();
          const float* var = g_.values[static_cast<size_t>(n.inputs[4])].initializer.data<float>();
          for (int64_t c = sp.offset; c < sp.offset + sp.count; ++c) {
            plan.bn_scale.push_back(std::fabs(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + eps));
          }
        }
        if (!trace(n.outputs[0], sp, conv_layout, plan, why)) return false;
        continue;
      }
      if (conv_layout && n.op_type == "Conv") {
        if (!follow_conv(static_cast<size_t>(ci), sp, plan, why)) return false;
        continue;
      }
      if (conv_layout && n.op_type == "Flatten") {
        if (!follow_flatten(n, sp, plan, why)) return false;
        continue;
      }
      if (!conv_layout && (n.op_type == "Gemm" || n.op_type == "MatMul")) {
        if (!cut_k_rows(n, sp, 1, plan, why)) return false;
        continue;
      }
      why = "its channels reach " + who;
      return false;
    }
    return true;
  }

  // The tensor (initializer) is read by one node only: editing it cannot
  // change another layer.
  bool sole_use(ValueId id, std::string& why, const std::string& who) const {
    if (uses_[static_cast<size_t>(id)] != 1) {
      why = "'" + g_.values[static_cast<size_t>(id)].name + "' of " + who + " is shared with another node";
      return false;
    }
    return true;
  }

 private:
  bool clip_bounds_constant(const Node& n) const {
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      // PyTorch exports ReLU6's bounds as Constant nodes, not initializers.
      const ValueId b = n.inputs[i];
      if (b != kNoValue && !g_.values[static_cast<size_t>(b)].is_constant() &&
          !from_constant_node_[static_cast<size_t>(b)]) {
        return false;
      }
    }
    return true;
  }

  // The data of a constant: an initializer or a Constant node's tensor.
  const Tensor* constant_data(ValueId id) const {
    if (id == kNoValue) return nullptr;
    const Value& v = g_.values[static_cast<size_t>(id)];
    if (v.is_constant()) return &v.initializer;
    auto it = constant_node_data_.find(id);
    return it != constant_node_data_.end() ? it->second : nullptr;
  }

  // A Pad that adds nothing along the channel axis (PyTorch exports one
  // with zero pads before AveragePool) passes the channels on.
  bool pads_spare_channels(const Node& n, ValueId v, bool conv_layout, std::string& why) const {
    const std::string who = "Pad '" + layer_name(g_, n) + "'";
    const Value& me = g_.values[static_cast<size_t>(v)];
    std::vector<int64_t> pads;
    if (const Attribute* a = n.attr("pads"); a != nullptr) {
      pads = a->ints;  // opset < 11
    } else if (const Tensor* t = n.inputs.size() > 1 ? constant_data(n.inputs[1]) : nullptr;
               t != nullptr && t->dtype() == DType::kI64) {
      pads.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
    }
    const bool axes_given = n.inputs.size() > 3 && n.inputs[3] != kNoValue;
    const size_t rank = me.shape_known ? me.shape.rank() : 0;
    if (rank == 0 || axes_given || pads.size() != 2 * rank) {
      why = "its channels reach " + who + " whose pads are not constant over every axis";
      return false;
    }
    const size_t c = channel_axis(rank, conv_layout);
    if (pads[c] != 0 || pads[rank + c] != 0) {
      why = "its channels reach " + who + ", which pads the channel axis";
      return false;
    }
    return true;
  }

  // A constant 1-D float vector of `channels` entries only this node reads.
  bool own_vector(ValueId id, int64_t channels, std::string& why, const std::string& who) const {
    const bool ok = id != kNoValue && g_.values[static_cast<size_t>(id)].is_constant() &&
                    g_.values[static_cast<size_t>(id)].initializer.rank() == 1 &&
                    g_.values[static_cast<size_t>(id)].initializer.dim(0) == channels;
    if (!ok) {
      why = who + " has a parameter that is not a constant [" + std::to_string(channels) + "] vector";
      return false;
    }
    return sole_use(id, why, who);
  }

  bool follow_conv(size_t ci, const Span& sp, ChannelPlan& plan, std::string& why) {
    const Node& n = g_.nodes[ci];
    const std::string who = "Conv '" + layer_name(g_, n) + "'";
    const Tensor* w = constant_input(g_, n, 1);
    if (w == nullptr || w->dtype() != DType::kF32 || w->rank() < 3) {
      why = "its channels reach " + who + " whose W is not a float constant";
      return false;
    }
    if (!sole_use(n.inputs[1], why, who)) return false;
    const int64_t group = attr_int(n, "group", 1);
    if (group == 1 && w->dim(1) == sp.total) {
      plan.slices.push_back({n.inputs[1], 1, 1, sp.offset});
      return true;
    }
    if (group == sp.total && w->dim(0) == sp.total && w->dim(1) == 1) {
      // Depthwise: filter c reads channel c alone, so it goes with it.
      plan.slices.push_back({n.inputs[1], 0, 1, sp.offset});
      if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
        if (!own_vector(n.inputs[2], sp.total, why, who)) return false;
        plan.slices.push_back({n.inputs[2], 0, 1, sp.offset});
      }
      plan.group_nodes.push_back(ci);
      return trace(n.outputs[0], sp, true, plan, why);
    }
    why = "its channels reach grouped " + who;
    return false;
  }

  // An elementwise binary. With a constant operand (a bias, a scale, Gelu's
  // 0.5) the channels go on through it, and a per-channel constant loses the
  // removed entries. With two run-time operands of one shape (a residual
  // sum, Gelu's x * Phi(x)) they go on too, and the node is recorded: the
  // producers of the other operand must be pruned with the same channels
  // (prune_channels groups them and checks that every operand is covered).
  bool follow_binary(size_t ai, ValueId v, const Span& sp, bool conv_layout, ChannelPlan& plan,
                     std::string& why) {
    const Node& n = g_.nodes[ai];
    const std::string who = n.op_type + " '" + layer_name(g_, n) + "'";
    if (n.inputs.size() != 2 || n.outputs.empty() || n.inputs[0] == kNoValue || n.inputs[1] == kNoValue) {
      why = "its channels reach " + who + " with " + std::to_string(n.inputs.size()) + " inputs";
      return false;
    }
    // In conv layout the channels are axis 1 from the front, so broadcasting
    // must not shift it: both operands have the value's rank (squeeze-and-
    // excitation's [N, C, 1, 1] scale may broadcast over H and W). Features are
    // the last axis, where numpy broadcasting aligns every operand anyway
    // (shape inference may not know a transformer's [batch, seq, F]).
    const Value& me = g_.values[static_cast<size_t>(v)];
    const bool rank_known = me.shape_known && me.shape.rank() >= (conv_layout ? 3u : 1u);
    if (conv_layout && (!rank_known || me.shape[1] != sp.total)) {
      why = "its channels reach " + who + " from a value of unknown shape";
      return false;
    }
    for (size_t i = 0; i < 2; ++i) {
      const ValueId o = n.inputs[i];
      if (o == v) {
        plan.add_inputs.insert({ai, i});
        continue;
      }
      const Value& other = g_.values[static_cast<size_t>(o)];
      if (other.is_constant() || from_constant_node_[static_cast<size_t>(o)]) {
        if (!follow_constant_operand(n, i, rank_known ? me.shape.rank() : 0, sp, conv_layout, plan, why,
                                     who)) {
          return false;
        }
        plan.add_inputs.insert({ai, i});  // covered: the constant is sliced or broadcast
        continue;
      }
      if ((i == 0 && n.op_type == "Pow") || n.op_type == "PRelu") {
        why = "its channels reach " + who + (n.op_type == "Pow" ? " as the exponent" : " as the slope");
        return false;
      }
      if (!sp.whole()) {
        // The other operand would have to match a concatenation of groups.
        why = "its channels reach " + who + " through a Concat";
        return false;
      }
      // The other operand must carry the same channels; prune_channels
      // checks that a group member's trace reached it.
      const bool same = conv_layout ? other.shape_known && other.shape.rank() == me.shape.rank() &&
                                          other.shape[1] == sp.total
                                    : !other.shape_known || other.shape.rank() == 0 ||
                                          other.shape[other.shape.rank() - 1] == sp.total ||
                                          other.shape[other.shape.rank() - 1] < 0;
      if (!same) {
        why = "its channels reach " + who + " whose inputs are not two run-time values of one shape";
        return false;
      }
    }
    return trace(n.outputs[0], sp, conv_layout, plan, why);
  }

  // A Concat along the channel axis: the channels go on at their place in
  // the output (after the channels of the inputs before them).
  bool follow_concat(const Node& n, ValueId v, const Span& sp, bool conv_layout, ChannelPlan& plan,
                     std::string& why) {
    const std::string who = "Concat '" + layer_name(g_, n) + "'";
    const Value& me = g_.values[static_cast<size_t>(v)];
    if (!me.shape_known || me.shape.rank() < (conv_layout ? 3u : 1u)) {
      why = "its channels reach " + who + " from a value of unknown rank";
      return false;
    }
    const int64_t rank = static_cast<int64_t>(me.shape.rank());
    int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis != static_cast<int64_t>(channel_axis(me.shape.rank(), conv_layout))) {
      why = "its channels reach " + who + " along another axis";
      return false;
    }
    std::vector<int64_t> starts;
    int64_t total = 0;
    for (ValueId in : n.inputs) {
      const Value& x = g_.values[static_cast<size_t>(in)];
      if (in == kNoValue || !x.shape_known || static_cast<int64_t>(x.shape.rank()) != rank ||
          x.shape[static_cast<size_t>(axis)] < 0) {
        why = "its channels reach " + who + " whose input '" + x.name + "' has no static channel count" +
              (x.shape_known ? " (" + x.shape.to_string() + ")" : "");
        return false;
      }
      starts.push_back(total);
      total += x.shape[static_cast<size_t>(axis)];
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] != v) continue;
      const Span out{sp.count, starts[i] + sp.offset, total};
      if (!trace(n.outputs[0], out, conv_layout, plan, why)) return false;
    }
    return true;
  }

  // The constant operand of a binary: broadcast over the channel axis (its
  // dim there is 1 or missing), or one entry per channel, which is sliced.
  bool follow_constant_operand(const Node& n, size_t i, size_t rank, const Span& sp, bool conv_layout,
                               ChannelPlan& plan, std::string& why, const std::string& who) {
    const ValueId id = n.inputs[i];
    const Value& c = g_.values[static_cast<size_t>(id)];
    const Shape shape = c.is_constant() ? c.initializer.shape() : c.shape;
    if ((!c.is_constant() && !c.shape_known) || (rank > 0 && shape.rank() > rank)) {
      why = "its channels reach " + who + " with a constant of unknown or larger rank";
      return false;
    }
    // numpy broadcasting aligns the trailing dims (rank 0: the value's rank
    // is unknown, features on its last axis).
    const int64_t axis = rank == 0 ? static_cast<int64_t>(shape.rank()) - 1
                                   : static_cast<int64_t>(channel_axis(rank, conv_layout)) -
                                         static_cast<int64_t>(rank - shape.rank());
    if (axis < 0 || shape[static_cast<size_t>(axis)] == 1) return true;  // the same for every channel
    bool per_channel = shape[static_cast<size_t>(axis)] == sp.total && c.is_constant();
    for (size_t d = 0; d < shape.rank() && per_channel; ++d) {
      if (static_cast<int64_t>(d) != axis && shape[d] != 1) per_channel = false;
    }
    if (!per_channel) {
      why = "its channels reach " + who + " with a constant operand of shape " + shape.to_string();
      return false;
    }
    if (!sole_use(id, why, who)) return false;
    plan.slices.push_back({id, static_cast<int>(axis), 1, sp.offset});
    return true;
  }

  bool follow_flatten(const Node& n, const Span& sp, ChannelPlan& plan, std::string& why) {
    const std::string who = "Flatten '" + layer_name(g_, n) + "'";
    const Value& in = g_.values[static_cast<size_t>(n.inputs[0])];
    if (attr_int(n, "axis", 1) != 1 || !in.shape_known || in.shape.rank() < 2 || in.shape[1] != sp.total) {
      why = "its channels reach " + who + " (want axis 1 of a [N, C, ...] input of known rank)";
      return false;
    }
    int64_t block = 1;
    for (size_t i = 2; i < in.shape.rank(); ++i) {
      if (in.shape[i] < 0) {
        why = "its channels reach " + who + " whose input's spatial dims are not static";
        return false;
      }
      block *= in.shape[i];
    }
    const ValueId out = n.outputs[0];
    if (is_output_[static_cast<size_t>(out)]) {
      why = "its channels reach graph output '" + g_.values[static_cast<size_t>(out)].name + "'";
      return false;
    }
    for (int32_t ci : consumers_[static_cast<size_t>(out)]) {
      const Node& c = g_.nodes[static_cast<size_t>(ci)];
      if (!c.domain.empty() || (c.op_type != "Gemm" && c.op_type != "MatMul") || c.inputs[0] != out) {
        why = "the flattened channels reach " + c.op_type + " '" + layer_name(g_, c) + "'";
        return false;
      }
      if (!cut_k_rows(c, sp, block, plan, why)) return false;
    }
    return true;
  }

  // Gemm / MatMul reading the channels as A's K: B's K rows (block per channel) go.
  bool cut_k_rows(const Node& n, const Span& sp, int64_t block, ChannelPlan& plan, std::string& why) {
    const std::string who = n.op_type + " '" + layer_name(g_, n) + "'";
    const Tensor* b = constant_input(g_, n, 1);
    if (n.inputs[0] == n.inputs[1] || b == nullptr || b->dtype() != DType::kF32 || b->rank() != 2) {
      why = "its channels reach " + who + " whose B is not a float constant matrix";
      return false;
    }
    if (n.op_type == "Gemm" && attr_int(n, "transA", 0) != 0) {
      why = "its channels reach " + who + " with transA";
      return false;
    }
    const bool trans_b = n.op_type == "Gemm" && attr_int(n, "transB", 0) != 0;
    const int axis = trans_b ? 1 : 0;
    if (b->dim(axis) != sp.total * block) {
      why = who + "'s K is " + std::to_string(b->dim(axis)) + ", not " + std::to_string(sp.total * block);
      return false;
    }
    if (!sole_use(n.inputs[1], why, who)) return false;
    plan.slices.push_back({n.inputs[1], axis, block, sp.offset});
    return true;
  }

  const Graph& g_;
  std::vector<std::vector<int32_t>> consumers_;
  std::vector<bool> is_output_;
  std::vector<int32_t> uses_;
  std::vector<bool> from_constant_node_;
  std::map<ValueId, const Tensor*> constant_node_data_;
  int depth_ = 0;
};

ChannelTracer::ChannelTracer(const Graph& g) : impl_(std::make_unique<Impl>(g)) {}
ChannelTracer::~ChannelTracer() = default;

bool ChannelTracer::trace(ValueId v, const Span& sp, bool conv_layout, ChannelPlan& plan, std::string& why) {
  return impl_->trace(v, sp, conv_layout, plan, why);
}

bool ChannelTracer::sole_use(ValueId id, std::string& why, const std::string& who) const {
  return impl_->sole_use(id, why, who);
}

}  // namespace fastserve::prune
