// run_passes: the fixed pass order, rounds to a fixed point, per-pass
// statistics, and the checks between passes (see pass_manager.h).
#include "passes/pass_manager.h"

#include <algorithm>
#include <chrono>

#include "passes/graph_edit.h"

namespace fastserve {

void PassContext::note_rewrite(std::initializer_list<std::string_view> op_types) {
  ++rewrites;
  for (std::string_view op : op_types) touched_ops.emplace(op);
}

void PassContext::note_rewrite(const std::vector<std::string>& op_types) {
  ++rewrites;
  touched_ops.insert(op_types.begin(), op_types.end());
}

namespace {

// The leading group rarely needs more than two rounds (folding a Shape can
// make a Reshape's output static, which lets a later Shape fold); the cap
// only guards against two passes undoing each other forever.
constexpr int kMaxRounds = 8;

constexpr Pass kPasses[] = {
    {"eliminate_identity", 1, true, &eliminate_identity},
    {"eliminate_transpose", 1, true, &eliminate_transpose},
    {"eliminate_reshape", 1, true, &eliminate_reshape},
    {"fold_constants", 1, true, &fold_constants},
    {"eliminate_dead_code", 1, true, &eliminate_dead_code},
    {"fuse_qdq", 2, false, &fuse_qdq},
    {"fuse_block_quant_matmul", 2, false, &fuse_block_quant_matmul},
    {"fold_constants", 2, false, &fold_constants},
    {"fold_batchnorm", 2, false, &fold_batchnorm},
    {"fuse_conv_activation", 2, false, &fuse_conv_activation},
    {"fuse_gelu", 2, false, &fuse_gelu},
    {"fuse_layer_norm", 2, false, &fuse_layer_norm},
    {"fuse_matmul_bias", 2, false, &fuse_matmul_bias},
    {"fuse_attention", 2, false, &fuse_attention},
    {"fuse_matmul_integer_to_float", 2, false, &fuse_matmul_integer_to_float},
    {"fuse_add_activation", 2, false, &fuse_add_activation},
    {"eliminate_dead_code", 1, false, &eliminate_dead_code},
};

// Runs one pass, then checks that the graph still verifies and that shapes
// still infer (passes match on inferred shapes, so the next one needs them).
// A failure after the pass is a bug in the pass: kInternal, naming it.
Result<PassRun> run_one(Model& model, const Pass& pass, int round, PassContext& ctx) {
  const std::string display = model.display_name();
  PassRun run;
  run.name = pass.name;
  run.round = round;
  run.ops_before = op_histogram(model.graph);
  run.nodes_before = static_cast<int64_t>(model.graph.nodes.size());
  run.initializers_before = count_initializers(model.graph);

  ctx.rewrites = 0;
  ctx.touched_ops.clear();
  const auto start = std::chrono::steady_clock::now();
  Status st = pass.run(model, ctx);
  run.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!st.ok()) return st.with_context(display + ": pass " + pass.name);
  st = verify_graph(model);
  if (st.ok()) st = infer_graph_shapes(model);
  if (!st.ok()) {
    std::string why = st.message();
    if (why.rfind(display + ": ", 0) == 0) why = why.substr(display.size() + 2);
    return internal_error(display + ": pass " + pass.name + " left an inconsistent graph: " + why);
  }

  run.rewrites = ctx.rewrites;
  run.touched_ops.assign(ctx.touched_ops.begin(), ctx.touched_ops.end());
  run.ops_after = op_histogram(model.graph);
  run.nodes_after = static_cast<int64_t>(model.graph.nodes.size());
  run.initializers_after = count_initializers(model.graph);
  return run;
}

}  // namespace

std::span<const Pass> all_passes() { return kPasses; }

Result<PassReport> run_passes(Model& model, int level, PassContext& ctx) {
  return run_passes(model, level, ctx, kPasses);
}

Result<PassReport> run_standard_onnx_passes(Model& model, PassContext& ctx) {
  static constexpr Pass kStandard[] = {
      {"eliminate_identity", 1, true, &eliminate_identity},
      {"eliminate_transpose", 1, true, &eliminate_transpose},
      {"eliminate_reshape", 1, true, &eliminate_reshape},
      {"fold_constants", 1, true, &fold_constants},
      {"eliminate_dead_code", 1, true, &eliminate_dead_code},
      {"fold_batchnorm", 2, false, &fold_batchnorm},
      {"eliminate_dead_code", 1, false, &eliminate_dead_code},
  };
  return run_passes(model, 2, ctx, kStandard);
}

Result<PassReport> run_passes(Model& model, int level, PassContext& ctx, std::span<const Pass> passes) {
  const std::string display = model.display_name();
  if (level < 0 || level > kMaxOptimizationLevel) {
    return invalid_argument(display + ": optimization level " + std::to_string(level) + " is out of range (0.." +
                            std::to_string(kMaxOptimizationLevel) + ")");
  }
  PassReport report;
  report.level = level;
  report.nodes_before = static_cast<int64_t>(model.graph.nodes.size());
  report.nodes_after = report.nodes_before;
  if (level == 0) return report;

  // Errors here are the model's, not a pass's: report them as loading would.
  FS_RETURN_IF_ERROR(verify_graph(model));
  FS_RETURN_IF_ERROR(model.graph.sort_topologically().with_context(display));  // passes scan in execution order
  FS_RETURN_IF_ERROR(infer_graph_shapes(model));

  // The weights behind DequantizeLinear stay integer until fuse_qdq has
  // looked at them (the fold after it takes the rest).
  const bool qdq_import = level >= 2 && std::any_of(passes.begin(), passes.end(), [](const Pass& p) {
    return p.run == &fuse_qdq;
  });
  ctx.keep_dequantize = qdq_import;
  for (int round = 1; round <= kMaxRounds; ++round) {
    int64_t changed = 0;
    for (const Pass& pass : passes) {
      if (!pass.fixed_point || pass.min_level > level) continue;
      FS_ASSIGN_OR_RETURN(PassRun run, run_one(model, pass, round, ctx));
      changed += run.rewrites;
      if (round == 1 || run.rewrites > 0) report.runs.push_back(std::move(run));
    }
    if (changed == 0) break;
  }
  ctx.keep_dequantize = false;
  for (const Pass& pass : passes) {
    if (pass.fixed_point || pass.min_level > level) continue;
    FS_ASSIGN_OR_RETURN(PassRun run, run_one(model, pass, 1, ctx));
    report.runs.push_back(std::move(run));
  }
  report.nodes_after = static_cast<int64_t>(model.graph.nodes.size());
  return report;
}

}  // namespace fastserve
