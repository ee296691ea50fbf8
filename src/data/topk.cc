// Softmax and top-k over one classifier output row.
#include "data/topk.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fastserve {

Result<OutputKind> output_kind_from_metadata(const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find(std::string(kMetaOutputKind));
  if (it == metadata.end()) return OutputKind::kUnknown;
  if (it->second == "logits") return OutputKind::kLogits;
  if (it->second == "probabilities") return OutputKind::kProbabilities;
  return invalid_argument("model metadata " + std::string(kMetaOutputKind) + "='" + it->second +
                          "' is not logits or probabilities");
}

bool looks_like_probabilities(std::span<const float> scores) {
  if (scores.empty()) return false;
  double sum = 0;
  for (float v : scores) {
    if (!(v >= 0.f && v <= 1.f)) return false;  // also rejects NaN
    sum += v;
  }
  return std::abs(sum - 1.0) <= 1e-3;
}

std::vector<float> softmax(std::span<const float> logits) {
  std::vector<float> out(logits.size());
  if (logits.empty()) return out;
  float mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, v);
  if (!std::isfinite(mx)) {
    // All -inf, or +inf present: split the mass evenly over the maxima.
    size_t n_max = static_cast<size_t>(std::count(logits.begin(), logits.end(), mx));
    for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] == mx ? 1.f / static_cast<float>(n_max) : 0.f;
    return out;
  }
  double sum = 0;
  std::vector<double> e(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    e[i] = std::exp(static_cast<double>(logits[i]) - mx);
    sum += e[i];
  }
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(e[i] / sum);
  return out;
}

std::vector<TopKEntry> top_k(std::span<const float> scores, int k, OutputKind kind) {
  if (kind == OutputKind::kUnknown) {
    kind = looks_like_probabilities(scores) ? OutputKind::kProbabilities : OutputKind::kLogits;
  }
  std::vector<float> probs =
      kind == OutputKind::kLogits ? softmax(scores) : std::vector<float>(scores.begin(), scores.end());
  std::vector<int64_t> order(probs.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  const size_t n = std::min(order.size(), static_cast<size_t>(std::max(k, 0)));
  auto better = [&](int64_t a, int64_t b) {
    float pa = probs[a], pb = probs[b];
    const bool na = std::isnan(pa), nb = std::isnan(pb);
    if (na || nb) return na != nb ? nb : a < b;  // NaN sorts last
    if (pa != pb) return pa > pb;
    return a < b;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), better);
  std::vector<TopKEntry> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back({order[i], probs[order[i]]});
  return out;
}

int64_t argmax(std::span<const float> scores) {
  int64_t best = -1;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) continue;
    if (best < 0 || scores[i] > scores[best]) best = static_cast<int64_t>(i);
  }
  return best;
}

}  // namespace fastserve
