// Static FLOP estimate of a model, from its inferred shapes.
//
// Counting convention (a multiply-add is 2 FLOPs, as in most papers and in
// fvcore/ptflops "FLOPs = 2 x MACs" mode):
//   Conv           2 * N*M*OH*OW * (C/group)*KH*KW  (+ one add per output with a bias)
//   ConvTranspose  2 * numel(X) * (M/group)*KH*KW   (+ one add per output with a bias)
//   fastserve.FusedConv  Conv's count + numel(Y) for the residual Z + numel(Y) for the activation
//   Gemm           2 * M*N*K (+ M*N with C);  MatMul 2 * numel(Y) * K
//   MaxPool/AveragePool  numel(Y) * KH*KW;  GlobalAverage/MaxPool numel(X)
//   BatchNormalization   2 * numel(Y) (inference form: one scale, one shift)
//   elementwise arithmetic and activations   1 per output element
//   Softmax/LogSoftmax   3 per element (exp, sum, divide);  ReduceMean numel(X)
//   shape and data-movement ops (Reshape, Transpose, Concat, Cast, ...)  0
// Unknown dims of graph inputs (symbolic batch, sequence length) are taken as
// 1 and listed in FlopsEstimate::assumed_one, so the total is per sample.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve {

struct FlopsEstimate {
  int64_t total = 0;
  std::vector<int64_t> per_node;              // graph.nodes order; -1 where shapes were unknown
  std::map<std::string, int64_t> by_op_type;  // summed over nodes with known counts; "domain.Op" outside ONNX's
  // Symbolic input dims taken as 1, as "input:dim_name" ("input:batch"); "input:?" when unnamed.
  std::vector<std::string> assumed_one;
  // Nodes whose shapes could not be inferred (or whose op type is not known):
  // not counted in `total`. Names, or "#<index> (<op>)" for unnamed nodes.
  std::vector<std::string> uncounted_nodes;
};

// Re-infers shapes on a copy of the model with unknown input dims set to 1,
// then counts every node. Never fails: what cannot be counted is reported.
FlopsEstimate estimate_flops(const Model& model);

// FLOPs of one node given concrete shapes in `graph`; -1 when a shape it
// needs is unknown. 0 for ops that move data only or that FastServe does not know.
int64_t node_flops(const Graph& graph, const Node& node);
// The same from shapes given directly (e.g. those of an actual run):
// input_shapes[i] / output_shapes[i] belong to node.inputs[i] / outputs[i],
// null where absent or unknown. Every given shape must be static.
int64_t node_flops(const Node& node, std::span<const Shape* const> input_shapes,
                   std::span<const Shape* const> output_shapes);

}  // namespace fastserve
