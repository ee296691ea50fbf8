// Channel (filter) pruning (Li et al., "Pruning Filters for Efficient
// ConvNets", ICLR 2017): a layer's output channels of smallest L1 norm are
// removed (the norm of the filter as it runs: scaled by the
// BatchNormalization that follows, if any), and so is everything that only existed to serve them, so the
// model is physically smaller and runs faster on the dense kernels.
//
// Producers: a group-1 Conv (filters W[m]), a Gemm or a MatMul with a 2-D
// constant B (output features, the last axis of [..., F]). From the
// producer's output the channels are followed through every reader:
//   * elementwise unary ops pass them on: Relu, LeakyRelu, Clip (constant
//     bounds), Sigmoid, Tanh, Gelu, Erf, Exp, Sqrt, ... , Identity, Dropout;
//     and for conv outputs MaxPool / AveragePool / GlobalAveragePool /
//     GlobalMaxPool and BatchNormalization (its scale, bias, mean and var
//     lose the same entries);
//   * an elementwise binary (Add, Sub, Mul, Div, Max, Min, Pow) with a
//     constant operand: broadcast over the channels, or one entry per
//     channel (a bias, a layer scale), which loses the same entries;
//   * a depthwise Conv (group == C == M) follows its input channels: its
//     filters, bias and `group` shrink and the channels go on through it;
//   * a group-1 Conv loses the matching input channels of its W;
//   * Flatten (axis 1) of a static [N, C, ...] into Gemm / MatMul: the
//     consumer loses the block of K rows of each removed channel (H*W rows
//     per channel);
//   * a Gemm / MatMul reading pruned features loses the matching K rows;
//   * an elementwise binary of two run-time values (a residual sum, GELU's
//     x * Phi(x)): every producer whose channels reach it joins one channel
//     group that shares a single kept set (ranked by the sum of the
//     members' normalized filter norms), and the channels go on through it.
//     The group is pruned only when every operand of every such node in it
//     comes from a member: Add(x, conv(x)) with x a graph input, or one
//     branch from an op that cannot follow, keeps all of the group.
// Anything else that reads the channels (Concat, Reshape, Shape, a
// normalization over them, a graph output, a grouped conv) leaves the
// producer unpruned, with the reason in the report. On ResNet the groups
// are each stage's block-output convs with the stem or the downsample conv
// feeding the stage; in a transformer the FFN's hidden features prune (the
// residual stream reaches LayerNormalization and stays).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>

#include "passes/graph_edit.h"
#include "prune/channel_trace.h"
#include "prune/methods.h"

namespace fastserve::prune {
namespace {

// t without the removed channels: along `axis`, keeps blocks keep[i] of `block` indices.
Tensor keep_along(const Tensor& t, int axis, const std::vector<int64_t>& keep, int64_t block) {
  std::vector<int64_t> dims = t.shape().dims();
  const int64_t dim = dims[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  dims[static_cast<size_t>(axis)] = static_cast<int64_t>(keep.size()) * block;
  Tensor out = Tensor::empty(t.dtype(), Shape(dims));
  const size_t elem = dtype_size(t.dtype());
  const size_t run = static_cast<size_t>(block * inner) * elem;
  const auto* src = static_cast<const unsigned char*>(t.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c : keep) {
      std::memcpy(dst, src + static_cast<size_t>((o * dim + c * block) * inner) * elem, run);
      dst += run;
    }
  }
  return out;
}

// Per output channel of the producer, the L1 norm of its weights.
std::vector<double> channel_l1(const Tensor& w, int axis, int64_t channels) {
  std::vector<double> norms(static_cast<size_t>(channels), 0.0);
  const float* d = w.data<float>();
  const int64_t inner = axis == 0 ? w.numel() / channels : 1;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const int64_t c = axis == 0 ? i / inner : i % channels;
    norms[static_cast<size_t>(c)] += std::fabs(d[i]);
  }
  return norms;
}

// Lets shape inference derive the new channel counts: intermediate values
// forget their static dims (rank and dim names stay).
Status reinfer_shapes(Model& model) {
  Graph& g = model.graph;
  const std::vector<bool> is_output = graph_output_flags(g), is_input = graph_input_flags(g);
  for (size_t i = 0; i < g.values.size(); ++i) {
    Value& v = g.values[i];
    if (v.is_constant() || is_output[i] || is_input[i] || !v.shape_known) continue;
    for (size_t d = 0; d < v.shape.rank(); ++d) v.shape[d] = kUnknownDim;
  }
  return infer_graph_shapes(model);
}

// Per channel, the sum over the group's producers of their filter norms,
// each producer's divided by its mean so that a wide-valued layer does not
// decide alone. One producer: its norms as they are.
std::vector<double> group_norms(const std::vector<std::vector<double>>& members) {
  if (members.size() == 1) return members[0];
  std::vector<double> sum(members[0].size(), 0.0);
  for (const std::vector<double>& m : members) {
    double mean = 0;
    for (double x : m) mean += x;
    mean /= static_cast<double>(m.size());
    for (size_t c = 0; c < m.size(); ++c) sum[c] += mean > 0 ? m[c] / mean : 0.0;
  }
  return sum;
}

int find_root(std::vector<int>& parent, int i) {
  while (parent[static_cast<size_t>(i)] != i)
    i = parent[static_cast<size_t>(i)] = parent[static_cast<size_t>(parent[static_cast<size_t>(i)])];
  return i;
}

}  // namespace

Status prune_channels(Model& model, const std::vector<PrunableLayer>& layers, const PruneOptions& options,
                      PruneReport& report) {
  Graph& g = model.graph;
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));
  // One per producer whose channels could all be followed.
  struct Job {
    const PrunableLayer* layer;
    ChannelPlan plan;
    std::vector<double> norms;  // per channel, BN-scaled L1
    int64_t channels;
  };
  std::vector<Job> jobs;
  ChannelTracer tracer(g);
  for (const PrunableLayer& l : layers) {
    const Node& n = g.nodes[l.node];
    const Tensor& w = g.values[static_cast<size_t>(l.weight)].initializer;
    std::string why;
    ChannelPlan plan;
    int axis = 0;  // the producer's output-channel axis of W
    bool conv_layout = true;
    const std::string who = n.op_type + " '" + l.name + "'";
    if (n.op_type == "Conv") {
      if (attr_int(n, "group", 1) != 1) why = "grouped conv: its filters are tied to its input channels";
    } else if (n.op_type == "Gemm") {
      conv_layout = false;
      axis = attr_int(n, "transB", 0) != 0 ? 0 : 1;
      if (w.rank() != 2) why = "B is not a matrix";
    } else {  // MatMul
      conv_layout = false;
      axis = 1;
      if (w.rank() != 2) why = "B is not a matrix";
    }
    if (why.empty()) tracer.sole_use(l.weight, why, who);  // sets why when shared
    const int64_t channels = why.empty() ? w.dim(axis) : 0;
    if (why.empty()) plan.slices.push_back({l.weight, axis, 1});
    if (why.empty() && n.op_type != "MatMul" && n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
      const Value& b = g.values[static_cast<size_t>(n.inputs[2])];
      const Shape& bs = b.initializer.shape();
      const bool vector = b.is_constant() && b.initializer.numel() == channels &&
                          (bs.rank() == 1 || (bs.rank() == 2 && bs[0] == 1));
      if (!vector) {
        why = "its bias is not a constant [" + std::to_string(channels) + "] vector";
      } else if (tracer.sole_use(n.inputs[2], why, who)) {
        plan.slices.push_back({n.inputs[2], static_cast<int>(bs.rank()) - 1, 1});
      }
    }
    // Gemm's [N, F] and MatMul's [..., F] (B is a constant matrix) have the
    // features last whatever shape inference knows of A.
    if (why.empty() && !n.outputs.empty())
      tracer.trace(n.outputs[0], Span{channels, 0, channels}, conv_layout, plan, why);
    if (!why.empty()) {
      report.kept.push_back(l.name + ": " + why);
      continue;
    }
    std::vector<double> norms = channel_l1(w, axis, channels);
    for (size_t c = 0; c < plan.bn_scale.size(); ++c) norms[c] *= plan.bn_scale[c];
    jobs.push_back(Job{&l, std::move(plan), std::move(norms), channels});
  }

  // Producers that reach one elementwise binary (a residual Add) share
  // their channels: union them.
  std::vector<int> parent(jobs.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::map<size_t, int> add_owner;  // Add node -> a job that reaches it
  for (size_t j = 0; j < jobs.size(); ++j) {
    for (const auto& [add, input] : jobs[j].plan.add_inputs) {
      auto [it, fresh] = add_owner.emplace(add, static_cast<int>(j));
      if (!fresh)
        parent[static_cast<size_t>(find_root(parent, static_cast<int>(j)))] = find_root(parent, it->second);
    }
  }
  std::map<int, std::vector<size_t>> groups;  // root -> members, in layer order
  for (size_t j = 0; j < jobs.size(); ++j) groups[find_root(parent, static_cast<int>(j))].push_back(j);

  size_t pruned_groups = 0;
  std::map<std::pair<ValueId, int>, std::vector<bool>> removed;  // (tensor, axis) -> indices that go
  std::set<size_t> depthwise;                                    // nodes whose `group` follows
  for (const auto& [root, members] : groups) {
    const Job& first = jobs[members.front()];
    // Every operand of every binary in the group must come from a member (or
    // be a constant it slices), or the removed channels would still arrive
    // through the other operand.
    std::set<std::pair<size_t, size_t>> covered;
    for (size_t j : members) covered.insert(jobs[j].plan.add_inputs.begin(), jobs[j].plan.add_inputs.end());
    std::string why;
    for (const auto& [add, input] : covered) {
      for (size_t i = 0; i < 2 && why.empty(); ++i) {
        if (covered.count({add, i}) > 0) continue;
        const Node& n = g.nodes[add];
        why = "its channels meet '" + g.values[static_cast<size_t>(n.inputs[i])].name + "' at " + n.op_type +
              " '" + layer_name(g, n) + "', which comes from no prunable producer";
      }
      if (!why.empty()) break;
    }
    if (!why.empty()) {
      for (size_t j : members) report.kept.push_back(jobs[j].layer->name + ": " + why);
      continue;
    }
    // One fraction for the group: the first member's own --per-layer value
    // if any has one, else the default.
    double s = options.sparsity;
    for (size_t j : members) {
      if (options.per_layer.count(jobs[j].layer->name) > 0) {
        s = layer_sparsity(options, jobs[j].layer->name);
        break;
      }
    }
    const int64_t channels = first.channels;
    const int64_t remove = std::min<int64_t>(channels - 1, static_cast<int64_t>(std::floor(s * channels)));
    std::vector<std::vector<double>> member_norms;
    for (size_t j : members) member_norms.push_back(jobs[j].norms);
    const std::vector<double> norms = group_norms(member_norms);
    std::vector<int64_t> order(static_cast<size_t>(channels));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return norms[static_cast<size_t>(a)] > norms[static_cast<size_t>(b)];
    });
    std::vector<int64_t> keep(order.begin(), order.begin() + (channels - remove));
    std::sort(keep.begin(), keep.end());
    // Mark what goes, in each tensor's original coordinates; the cuts happen
    // once per tensor and axis below, so the members' paths that meet after
    // an Add, the readers of a Concat fed by several groups and a conv that
    // is both a producer (axis 0) and a reader (axis 1) all compose.
    std::vector<bool> removed_channel(static_cast<size_t>(channels), true);
    for (int64_t c : keep) removed_channel[static_cast<size_t>(c)] = false;
    for (size_t j : members) {
      for (const SliceEdit& e : jobs[j].plan.slices) {
        const Tensor& t = g.values[static_cast<size_t>(e.tensor)].initializer;
        std::vector<bool>& marks = removed[{e.tensor, e.axis}];
        marks.resize(static_cast<size_t>(t.dim(static_cast<size_t>(e.axis))), false);
        for (int64_t c = 0; c < channels; ++c) {
          if (!removed_channel[static_cast<size_t>(c)]) continue;
          const int64_t first_index = (e.offset + c) * e.block;
          std::fill(marks.begin() + first_index, marks.begin() + first_index + e.block, true);
        }
      }
      depthwise.insert(jobs[j].plan.group_nodes.begin(), jobs[j].plan.group_nodes.end());
    }
    for (size_t j : members) {
      const PrunableLayer& l = *jobs[j].layer;
      PrunedLayer out;
      out.node = l.name;
      out.op = g.nodes[l.node].op_type;
      out.weight = g.values[static_cast<size_t>(l.weight)].name;
      out.channels_before = channels;
      out.channels_after = static_cast<int64_t>(keep.size());
      if (members.size() > 1) {
        out.channel_group = first.layer->name;
        out.group_size = static_cast<int64_t>(members.size());
      }
      report.layers.push_back(std::move(out));
    }
    ++pruned_groups;
  }
  if (pruned_groups == 0) return ok_status();
  for (const auto& [where, marks] : removed) {
    std::vector<int64_t> keep;
    for (size_t i = 0; i < marks.size(); ++i) {
      if (!marks[i]) keep.push_back(static_cast<int64_t>(i));
    }
    Value& v = g.values[static_cast<size_t>(where.first)];
    v.initializer = keep_along(v.initializer, where.second, keep, 1);
    v.shape = v.initializer.shape();  // the declared shape goes with the data
    v.shape_known = true;
  }
  // A depthwise conv's `group` is its filter count.
  for (size_t ni : depthwise) {
    const int64_t filters = g.values[static_cast<size_t>(g.nodes[ni].inputs[1])].initializer.dim(0);
    for (Attribute& a : g.nodes[ni].attributes) {
      if (a.name == "group") a.i = filters;
    }
  }
  for (PrunedLayer& l : report.layers) {
    const Tensor& w = g.values[static_cast<size_t>(g.find_value(l.weight))].initializer;
    l.numel = w.numel();
    l.zeros = count_zeros(w);
  }
  // Report in layer order (groups were visited by root).
  std::map<std::string, size_t> order_of;
  for (size_t i = 0; i < layers.size(); ++i) order_of[layers[i].name] = i;
  std::stable_sort(
      report.layers.begin(), report.layers.end(),
      [&](const PrunedLayer& a, const PrunedLayer& b) { return order_of[a.node] < order_of[b.node]; });
  FS_RETURN_IF_ERROR(reinfer_shapes(model));
  return verify_graph(model);
}

}  // namespace fastserve::prune
