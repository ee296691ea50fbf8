// Unstructured magnitude pruning (Han et al., "Learning both Weights and
// Connections for Efficient Neural Networks", 2015): the weights of
// smallest |w| become 0.
//
// Global (the default): one threshold over every prunable weight not given
// a --per-layer fraction, so a layer whose weights are small overall (the
// wide classifier Gemm of a CNN) loses more than one whose weights all
// matter (the first conv). Exactly floor(s * total) weights are zeroed:
// ties at the threshold are taken in layer order. Per layer: the same
// fraction of each layer.
#include <algorithm>
#include <cmath>

#include "prune/methods.h"

namespace fastserve::prune {
namespace {

int64_t target_count(double sparsity, int64_t n) {
  return std::clamp<int64_t>(static_cast<int64_t>(std::floor(sparsity * static_cast<double>(n))), 0, n);
}

}  // namespace

Status prune_magnitude(Model& model, const std::vector<PrunableLayer>& layers, const PruneOptions& options,
                       PruneReport& report) {
  Graph& g = model.graph;
  std::vector<const PrunableLayer*> global_layers;
  for (const PrunableLayer& l : layers) {
    const Tensor& w = g.values[static_cast<size_t>(l.weight)].initializer;
    if (options.global && options.per_layer.count(l.name) == 0) {
      global_layers.push_back(&l);
      continue;
    }
    float* d = writable_weight(g, l.weight);
    zero_smallest(d, w.numel(), target_count(layer_sparsity(options, l.name), w.numel()));
  }
  if (!global_layers.empty()) {
    int64_t total = 0;
    for (const PrunableLayer* l : global_layers) total += g.values[static_cast<size_t>(l->weight)].initializer.numel();
    const int64_t count = target_count(options.sparsity, total);
    if (count > 0) {
      std::vector<float> mags;
      mags.reserve(static_cast<size_t>(total));
      for (const PrunableLayer* l : global_layers) {
        const Tensor& w = g.values[static_cast<size_t>(l->weight)].initializer;
        for (int64_t i = 0; i < w.numel(); ++i) mags.push_back(std::fabs(w.data<float>()[i]));
      }
      std::nth_element(mags.begin(), mags.begin() + (count - 1), mags.end());
      const float threshold = mags[static_cast<size_t>(count - 1)];
      // Everything strictly below the count-th magnitude goes; then ties at
      // it, in layer order, until `count` are gone.
      int64_t below = 0;
      for (float m : mags) below += m < threshold ? 1 : 0;
      int64_t ties = count - below;
      for (const PrunableLayer* l : global_layers) {
        float* d = writable_weight(g, l->weight);
        const int64_t n = g.values[static_cast<size_t>(l->weight)].initializer.numel();
        for (int64_t i = 0; i < n; ++i) {
          const float m = std::fabs(d[i]);
          if (m < threshold) {
            d[i] = 0.f;
          } else if (m == threshold && ties > 0) {
            d[i] = 0.f;
            --ties;
          }
        }
      }
      report.threshold = threshold;
    }
  }
  for (const PrunableLayer& l : layers) {
    const Tensor& w = g.values[static_cast<size_t>(l.weight)].initializer;
    PrunedLayer out;
    out.node = l.name;
    out.op = g.nodes[l.node].op_type;
    out.weight = g.values[static_cast<size_t>(l.weight)].name;
    out.numel = w.numel();
    out.zeros = count_zeros(w);
    report.layers.push_back(std::move(out));
  }
  return ok_status();
}

}  // namespace fastserve::prune
