// The bookkeeping the fusion passes share (fuse_conv_activation,
// fuse_matmul_bias, fuse_attention, fuse_matmul_integer_to_float): who
// reads each value, which values are graph outputs, which nodes a fusion has
// already taken; and the closing step that imports the fastserve opset and
// drops the taken nodes. A pass derives from Fuser, implements try_fuse(i)
// for node i, and installs each match with install().
#pragma once

#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "passes/pass_manager.h"

namespace fastserve {

class Fuser {
 public:
  Fuser(Model& model, PassContext& ctx);
  virtual ~Fuser() = default;

  // try_fuse on every node no fusion has taken yet, in graph order, then the
  // closing step. A model importing another fastserve opset version is left
  // alone (its fused ops may mean something else).
  Status run();

 protected:
  virtual void try_fuse(size_t node) = 0;

  const Value& value(ValueId id) const { return g_.values[static_cast<size_t>(id)]; }
  // The one node reading `id` when nothing else does (and `id` is no graph
  // output) and no fusion has taken it; -1 otherwise.
  int32_t reader_of(ValueId id) const;
  // `fused` replaces the chain (install_fused_node: it takes the slot of
  // `last`); `ops` (the chain's op keys) plus the fused op are noted as one
  // rewrite.
  void install(std::vector<std::string> ops, const std::vector<size_t>& chain, size_t last, Node fused);

  Model& model_;
  Graph& g_;
  PassContext& ctx_;
  std::vector<std::vector<int32_t>> consumers_;
  std::vector<bool> is_output_;
  std::vector<bool> removed_;

 private:
  bool any_ = false;
};

}  // namespace fastserve
