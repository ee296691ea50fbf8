// 2:4 semi-structured pruning (Mishra et al., "Accelerating Sparse Deep
// Neural Networks", 2021, NVIDIA's Ampere sparse tensor cores): in every
// group of 4 consecutive weights along the reduction axis, the 2 of largest
// |w| stay and the other 2 become 0. The reduction axis is the one the
// layer's GEMM sums over:
//   Conv W [M, C/g, kh, kw]: each filter flattened to C/g*kh*kw values
//     (c, ki, kj order, the im2col row order), groups of 4 consecutive;
//   Gemm B [K, N] (transB = 0): down each column, stride N; [N, K]
//     (transB = 1): along each row;
//   MatMul B [..., K, N]: down each column of each batch matrix.
// A last group shorter than 4 (K not a multiple of 4) keeps its 2 largest.
#include <algorithm>
#include <cmath>

#include "prune/methods.h"

namespace fastserve::prune {
namespace {

// Keeps the 2 largest |w| of the `len` (<= 4) values at d[0], d[stride], ...
void keep_two(float* d, int64_t len, int64_t stride) {
  if (len <= 2) return;
  // The two largest by |w| (the earlier one on ties), by hand: len <= 4.
  int64_t first = 0, second = -1;
  for (int64_t i = 1; i < len; ++i) {
    const float f = std::fabs(d[i * stride]);
    if (f > std::fabs(d[first * stride])) {
      second = first;
      first = i;
    } else if (second < 0 || f > std::fabs(d[second * stride])) {
      second = i;
    }
  }
  for (int64_t i = 0; i < len; ++i) {
    if (i != first && i != second) d[i * stride] = 0.f;
  }
}

// Groups of 4 along a reduction axis of length k with stride `stride`,
// for `lines` lines starting at `line_start(i)`.
template <typename Start>
void prune_lines(float* d, int64_t lines, int64_t k, int64_t stride, Start line_start) {
  for (int64_t i = 0; i < lines; ++i) {
    float* line = d + line_start(i);
    for (int64_t k0 = 0; k0 < k; k0 += 4) keep_two(line + k0 * stride, std::min<int64_t>(4, k - k0), stride);
  }
}

}  // namespace

Status prune_two_four(Model& model, const std::vector<PrunableLayer>& layers, PruneReport& report) {
  Graph& g = model.graph;
  for (const PrunableLayer& l : layers) {
    const Node& n = g.nodes[l.node];
    const Shape shape = g.values[static_cast<size_t>(l.weight)].initializer.shape();
    float* d = writable_weight(g, l.weight);
    if (n.op_type == "Conv") {
      const int64_t m = shape.rank() > 0 ? shape[0] : 1;
      const int64_t k = m > 0 ? g.values[static_cast<size_t>(l.weight)].initializer.numel() / m : 0;
      prune_lines(d, m, k, 1, [&](int64_t i) { return i * k; });
    } else if (n.op_type == "Gemm" && shape.rank() == 2) {
      const Attribute* tb = n.attr("transB");
      if (tb != nullptr && tb->i != 0) {
        prune_lines(d, shape[0], shape[1], 1, [&](int64_t i) { return i * shape[1]; });
      } else {
        prune_lines(d, shape[1], shape[0], shape[1], [](int64_t i) { return i; });
      }
    } else if (shape.rank() == 1) {  // MatMul with a vector B: K alone
      prune_lines(d, 1, shape[0], 1, [](int64_t) { return int64_t{0}; });
    } else {
      const int64_t k = shape[shape.rank() - 2], cols = shape[shape.rank() - 1];
      const int64_t batches = k * cols > 0 ? g.values[static_cast<size_t>(l.weight)].initializer.numel() / (k * cols) : 0;
      prune_lines(d, batches * cols, k, cols, [&](int64_t i) { return (i / cols) * k * cols + i % cols; });
    }
    const Tensor& w = g.values[static_cast<size_t>(l.weight)].initializer;
    PrunedLayer out;
    out.node = l.name;
    out.op = n.op_type;
    out.weight = g.values[static_cast<size_t>(l.weight)].name;
    out.numel = w.numel();
    out.zeros = count_zeros(w);
    report.layers.push_back(std::move(out));
  }
  return ok_status();
}

}  // namespace fastserve::prune
