// Einsum equation parsing shared by shape inference (graph/infer_einsum.cc)
// and the kernels (kernels/ref/einsum.cc).
//
// An equation is "term,term,...->output" (explicit) or "term,term,..."
// (implicit: the output is the ellipsis dims, then the letters that appear
// exactly once, in ASCII order, as numpy and the ONNX spec define it).
// Terms are letters a-z, A-Z and at most one "..." standing for the dims not
// named by letters; spaces are ignored. Every dim gets a label id: letters
// 0..51 in ASCII order (A-Z, then a-z), ellipsis dims 52.. aligned to the
// right across inputs (an input with fewer ellipsis dims, or a size-1 one,
// broadcasts). A label repeated within a term takes that term's diagonal;
// labels missing from the output are summed over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

inline constexpr int kEinsumLetterLabels = 52;

struct EinsumPlan {
  std::vector<std::vector<int>> inputs;  // per input, per dim: its label id
  std::vector<int> output;               // per output dim: its label id
  int num_labels = 0;                    // label ids are < num_labels
};

// Parses `equation` for inputs of the given ranks. Errors say what is wrong
// with the equation (the caller adds the node name).
Result<EinsumPlan> parse_einsum(std::string_view equation, const std::vector<size_t>& input_ranks);

// Size of every label from the input shapes (kUnknownDim where no input
// knows it; -1 ranks are not allowed here). A letter's dims must agree;
// ellipsis dims broadcast (1 gives way). Error names the label.
Result<std::vector<int64_t>> einsum_label_sizes(const EinsumPlan& plan, const std::vector<Shape>& input_shapes);

}  // namespace fastserve
