// The graph pass framework: the passes, their order, and the context they
// get from the layer above.
//
// A pass rewrites a Model in place (the session's private copy; initializer
// Tensors share their buffers, so the copy is cheap). Passes take the Model
// rather than only its Graph because they need its opsets (Clip reads min/max
// from attributes before opset 11 and from inputs after) and add opset
// imports (fastserve.FusedConv needs {"fastserve": 1}).
//
// Passes live below the runtime and never include it or the kernels; what
// they need from above (evaluating a node for constant folding) comes in
// through PassContext, filled by the runtime (runtime/optimize_model.h).
//
// The order (run_passes runs each pass whose min_level <= level):
//   round-based, repeated until a round changes nothing (at most kMaxRounds):
//     1 eliminate_identity    (level 1)
//     2 eliminate_transpose   (level 1)  composes Transpose pairs
//     3 eliminate_reshape     (level 1)  collapses reshape chains, drops no-ops
//     4 fold_constants        (level 1)
//     5 eliminate_dead_code   (level 1)
//   (at level 2 and up the rounds leave DequantizeLinear unfolded, for fuse_qdq
//   and fuse_block_quant_matmul)
//   then once:
//     6 fuse_qdq              (level 2)  DQ -> Conv/Add/pools -> Q into integer ops (NHWC)
//     7 fuse_block_quant_matmul (level 2) 4-bit blocked DQ -> MatMul/Gemm into BlockQuantMatMul
//     8 fold_constants        (level 2)  folds the DequantizeLinear nodes the two left
//     9 fold_batchnorm        (level 2)  before the fusion, so Conv-BN-Relu
//    10 fuse_conv_activation  (level 2)  becomes one FusedConv
//    11 fuse_gelu             (level 2)  before fuse_matmul_bias, which folds Gelu in
//    12 fuse_layer_norm       (level 2)
//    13 fuse_matmul_bias      (level 2)
//    14 fuse_attention        (level 2)  Q.K^T -> scale -> mask -> Softmax -> .V into fastserve.Attention
//    15 fuse_matmul_integer_to_float (level 2)  before fuse_add_activation, so it keeps the bias Add
//    16 fuse_add_activation   (level 2)
//    17 eliminate_dead_code   (level 1)  drops the weights the fusions replaced
// (kPasses in pass_manager.cc is the table itself.)
// Shapes are inferred before the first pass and again after each one
// (passes match on static shapes), and the graph is verified after each
// pass, so a pass that breaks the graph is named rather than surfacing as a
// crash in the executor.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/pass_report.h"
#include "fastserve/status.h"

namespace fastserve {

// Evaluates one node whose present inputs are all known (`inputs` is aligned
// with node.inputs; an undefined Tensor for an omitted optional input).
// Returns one Tensor per node output (undefined for omitted outputs). The
// runtime implements it by running the node's registered kernel, so a folded
// value equals what the unoptimized model computes.
using NodeEvaluator =
    std::function<Result<std::vector<Tensor>>(const Model& model, const Node& node, std::span<const Tensor> inputs)>;

struct PassContext {
  // Null: fold_constants folds only Constant nodes and Shape of static shapes.
  NodeEvaluator evaluate_node;
  // fold_constants leaves a node alone when an output would exceed this many
  // bytes and be larger than its inputs (ConstantOfShape/Expand/Tile-like
  // blowups would cost memory and load time for nothing).
  int64_t max_folded_blowup_bytes = int64_t{16} << 20;
  // Set by run_passes while fuse_qdq has yet to run: fold_constants then
  // leaves DequantizeLinear nodes alone, so QDQ import still sees the
  // integer weights behind them (folded, they would be float constants).
  bool keep_dequantize = false;
  // The session's kernels have a fast INT8 GEMM (AVX-512 VNNI or AMX; set by
  // the runtime from the host ISA). fuse_qdq rewrites only then: on other
  // hosts the integer ops would run on the portable GEMM, about 10x slower
  // than the float path the QDQ model otherwise takes (ResNet-50: 350 ms
  // against 33 ms).
  bool fast_int8 = true;

  // Filled by the running pass: one call per rewrite, naming the op types of
  // the nodes it removed, replaced or created ("Conv", "fastserve.FusedConv").
  void note_rewrite(std::initializer_list<std::string_view> op_types);
  void note_rewrite(const std::vector<std::string>& op_types);
  int64_t rewrites = 0;
  std::set<std::string> touched_ops;
};

using PassFn = Status (*)(Model& model, PassContext& ctx);

struct Pass {
  const char* name;
  int min_level;      // runs when the optimization level is >= this
  bool fixed_point;   // part of the leading group repeated until nothing changes
  PassFn run;
};

// The passes, in the order run_passes runs them (the table above).
std::span<const Pass> all_passes();

// Runs every pass of `level` (0..kMaxOptimizationLevel) on the model and
// returns what each did. Level 0 returns an empty report without touching
// the model. The model must verify; errors name the model and the pass.
Result<PassReport> run_passes(Model& model, int level, PassContext& ctx);
// The same with another pass table (tests drive the rounds and the checks
// between passes with passes of their own).
Result<PassReport> run_passes(Model& model, int level, PassContext& ctx, std::span<const Pass> passes);

// The passes whose result is still standard ONNX that any engine runs: the
// level-1 group and BatchNorm folding, nothing that creates fastserve ops.
// What `fastserve quantize` runs before it rewrites weights (as ONNX
// Runtime's quant_pre_process does).
Result<PassReport> run_standard_onnx_passes(Model& model, PassContext& ctx);

// The passes (one file each in src/passes/).
Status eliminate_identity(Model& model, PassContext& ctx);
Status fold_constants(Model& model, PassContext& ctx);
Status eliminate_dead_code(Model& model, PassContext& ctx);
Status fold_batchnorm(Model& model, PassContext& ctx);
Status fuse_conv_activation(Model& model, PassContext& ctx);
Status fuse_gelu(Model& model, PassContext& ctx);
Status fuse_matmul_bias(Model& model, PassContext& ctx);
Status fuse_add_activation(Model& model, PassContext& ctx);
Status fuse_matmul_integer_to_float(Model& model, PassContext& ctx);
Status fuse_block_quant_matmul(Model& model, PassContext& ctx);
Status fuse_layer_norm(Model& model, PassContext& ctx);
Status eliminate_transpose(Model& model, PassContext& ctx);
Status eliminate_reshape(Model& model, PassContext& ctx);
Status fuse_attention(Model& model, PassContext& ctx);
Status fuse_qdq(Model& model, PassContext& ctx);

}  // namespace fastserve
