// Graph-editing steps the passes share: who reads a value, rewiring uses,
// removing nodes and orphaned values, naming new values.
//
// Passes edit in two phases: they mark nodes removed while they scan (node
// indices stay valid), then call remove_nodes once. Values a rewrite orphans
// stay in Graph::values until eliminate_dead_code drops them, so ValueIds
// stay valid within a pass.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve {

// "Conv", or "domain.Op" outside the default ONNX domain ("fastserve.FusedConv").
std::string op_key(const Node& node);
// Nodes per op key.
std::map<std::string, int64_t> op_histogram(const Graph& g);
int64_t count_initializers(const Graph& g);

// For each value, the indices of the nodes that read it (once per input slot).
std::vector<std::vector<int32_t>> consumers_of(const Graph& g);
// A flag per value: listed in Graph::outputs / Graph::inputs.
std::vector<bool> graph_output_flags(const Graph& g);
std::vector<bool> graph_input_flags(const Graph& g);

// The single node reading `id` when exactly one input slot of one node reads
// it and it is not a graph output; -1 otherwise. This is the condition for
// folding the value's producer into that node: nobody else sees the value.
int32_t sole_consumer(const std::vector<std::vector<int32_t>>& consumers, const std::vector<bool>& is_output,
                      ValueId id);

// Makes every node input that reads `from` read `to` (graph outputs untouched).
void replace_uses(Graph& g, ValueId from, ValueId to);

// Removes node `n`, whose output 0 holds what its input 0 holds (Identity, a
// Transpose with the identity perm, a Reshape to the same shape): readers of
// the output read the input instead. When the output is a graph output its
// name must survive, so the input's producer writes the output directly (and
// the input's other readers read it); that is impossible when the input is
// a graph input, a constant or itself a graph output: then nothing changes
// and it returns false. Needs Value::producer current (Graph::reindex) and
// keeps it so; flags `n` in `removed` for remove_nodes.
bool bypass_node(Graph& g, size_t n, std::vector<bool>& removed, const std::vector<bool>& is_output,
                 const std::vector<bool>& is_input);

// A fusion's rewrite: `fused` takes the slot of chain node `last` (the one
// that writes the chain's final output, so the order stays topological) and
// the other chain nodes are flagged in `removed`. Returns the fused node's
// op key, for PassContext::note_rewrite.
std::string install_fused_node(Graph& g, std::vector<bool>& removed, const std::vector<size_t>& chain, size_t last,
                               Node fused);

// Removes the flagged nodes, keeping the order of the others; reindexes.
void remove_nodes(Graph& g, const std::vector<bool>& removed);

// Drops the values no node reads or writes that are not graph inputs or
// outputs (unused initializers, orphaned intermediates, stale value_info),
// renumbering ValueIds everywhere. Returns how many values were dropped.
int64_t drop_unreferenced_values(Graph& g);

// A value name the graph does not use yet: `base`, else `base_1`, `base_2`, ...
std::string unique_value_name(const Graph& g, const std::string& base);
// Adds a constant holding `t` under a fresh name derived from `base`.
ValueId add_initializer(Graph& g, const std::string& base, Tensor t);

// The initializer node input i reads, or null (omitted, or not a constant).
const Tensor* constant_input(const Graph& g, const Node& n, size_t i);
// The value node input i reads, or null when omitted.
const Value* input_value_info(const Graph& g, const Node& n, size_t i);

}  // namespace fastserve
