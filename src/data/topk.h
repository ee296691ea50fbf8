// Classifier outputs: softmax when the model emits logits, then the k best classes.
//
// The model says what its output is with metadata "fastserve.output.kind" =
// logits | probabilities. Without it, a row that already looks like a
// probability distribution (every value in [0,1], sum within 1e-3 of 1) is
// taken as probabilities, anything else as logits.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"

namespace fastserve {

inline constexpr std::string_view kMetaOutputKind = "fastserve.output.kind";

enum class OutputKind { kUnknown, kLogits, kProbabilities };

// The kind named by the metadata; kUnknown when absent. Error for any other value.
Result<OutputKind> output_kind_from_metadata(const std::map<std::string, std::string>& metadata);

// True when every value is in [0,1] and they sum to 1 within 1e-3.
bool looks_like_probabilities(std::span<const float> scores);

// Numerically stable softmax (subtracts the max; computed in double).
std::vector<float> softmax(std::span<const float> logits);

struct TopKEntry {
  int64_t index = 0;
  float probability = 0.f;
};

// The min(k, n) best classes, highest probability first; ties go to the
// lower index. kUnknown decides with looks_like_probabilities.
std::vector<TopKEntry> top_k(std::span<const float> scores, int k, OutputKind kind);

// Index of the largest value (the first one on ties); -1 for an empty row.
// NaNs never win.
int64_t argmax(std::span<const float> scores);

}  // namespace fastserve
