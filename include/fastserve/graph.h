// The in-memory IR: a Model holds a Graph of Values and Nodes.
//
// Values are identified by ValueId (an index into Graph::values). A Value is
// a graph input, an initializer (constant with data), or a node output. Node
// inputs may be kNoValue for omitted optional inputs. The graph owns nothing
// heavy: initializer Tensors point into the memory-mapped model file (or own
// moved buffers), so a Graph can be copied cheaply by passes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fastserve/attribute.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  bool shape_known = false;
  Shape shape;                          // dims may be kUnknownDim
  std::vector<std::string> dim_params;  // symbolic names per dim ("" if none); empty or rank-sized
  Tensor initializer;                   // defined() for constants
  int32_t producer = -1;                // index of the producing node, -1 otherwise

  bool is_constant() const { return initializer.defined(); }
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain ("ai.onnx" is normalised to "")
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::vector<Attribute> attributes;

  const Attribute* attr(std::string_view attr_name) const;
};

class Graph {
 public:
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;   // runtime inputs (initializers excluded)
  std::vector<ValueId> outputs;

  // Returns the id of the value with this name, or kNoValue.
  ValueId find_value(std::string_view value_name) const;
  // Adds a value (name must be unique or empty); returns its id.
  ValueId add_value(Value v);
  // Rebuilds the name index and every Value::producer from nodes.
  void reindex();
  // Node indices in an order where every producer precedes its consumers.
  // Error names a value on a cycle or a value used but never defined.
  Result<std::vector<int32_t>> topological_order() const;
  // Reorders `nodes` topologically (reindexes).
  Status sort_topologically();
  // Number of consumers of each value (graph outputs count as one).
  std::vector<int32_t> use_counts() const;

 private:
  std::map<std::string, ValueId, std::less<>> index_;
};

struct Model {
  std::string path;  // file it was loaded from ("" if built in memory); used in messages
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::map<std::string, int64_t> opsets;          // domain ("" = ONNX) -> version
  // The default-domain opset the file imported when the loader raised it to
  // 11 (every op unchanged since; src/onnx/opset_upgrade.h), else 0.
  int64_t upgraded_from_opset = 0;
  std::map<std::string, std::string> metadata;    // metadata_props
  Graph graph;
  // Keeps the memory-mapped file (and external data files) alive while any
  // initializer points into them.
  std::vector<std::shared_ptr<const void>> mappings;
  // The byte ranges of the read-only private file maps among `mappings` (the
  // model file when loaded from a path, external-data files). Once a session
  // has packed its weights it drops their pages from its resident set
  // (runtime/mapped_pages.h); what a kernel reads later comes back from the
  // page cache. A caller's own buffer (load from memory) is never listed.
  std::vector<std::pair<const void*, size_t>> mapped_ranges;

  int64_t opset(std::string_view domain = "") const;
  // "model.onnx" or "<memory>": prefix for error messages.
  std::string display_name() const;
};

// Static shape and dtype inference over the whole graph, in topological
// order, filling Value::dtype/shape where they can be derived. Errors name
// the model, node and op for definite mismatches (wrong rank, incompatible
// broadcast, dtype clash). Unknown ops leave their outputs unknown.
Status infer_graph_shapes(Model& model);

// Structural checks: unique value names, every input defined, outputs
// produced, no cycles. Used after loading and after each pass.
Status verify_graph(const Model& model);

}  // namespace fastserve
