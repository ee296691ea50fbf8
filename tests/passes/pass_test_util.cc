// Pass test helpers (see pass_test_util.h).
#include "tests/passes/pass_test_util.h"

#include <random>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "passes/graph_edit.h"
#include "runtime/optimize_model.h"
#include "tests/test_util.h"

namespace fastserve::testing {

PassContext run_pass(Model& model, PassFn pass, bool with_evaluator) {
  static ThreadPool pool(1);
  PassContext ctx;
  if (with_evaluator) {
    PlanOptions options;
    options.isa = host_isa();
    ctx.evaluate_node = kernel_node_evaluator(options, KernelRegistry::global(), pool);
  }
  Status st = infer_graph_shapes(model);
  EXPECT_TRUE(st.ok()) << st.to_string();
  st = pass(model, ctx);
  EXPECT_TRUE(st.ok()) << st.to_string();
  st = verify_graph(model);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return ctx;
}

int64_t count_op(const Graph& g, const std::string& key) {
  int64_t n = 0;
  for (const Node& node : g.nodes) n += op_key(node) == key ? 1 : 0;
  return n;
}

const Node* producer_of(const Graph& g, const std::string& value_name) {
  for (const Node& n : g.nodes) {
    for (ValueId out : n.outputs) {
      if (out != kNoValue && g.values[static_cast<size_t>(out)].name == value_name) return &n;
    }
  }
  return nullptr;
}

std::string input_name(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return "";
  return g.values[static_cast<size_t>(n.inputs[i])].name;
}

std::vector<NamedTensor> random_inputs(const Model& model, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<NamedTensor> feeds;
  for (ValueId id : model.graph.inputs) {
    const Value& v = model.graph.values[static_cast<size_t>(id)];
    // Unknown dims (a dynamic batch) become 3.
    std::vector<int64_t> dims = v.shape.dims();
    for (int64_t& d : dims) d = d == kUnknownDim ? 3 : d;
    feeds.push_back({v.name, random_tensor(v.dtype, Shape(std::move(dims)), rng, -2.0, 2.0)});
  }
  return feeds;
}

std::unique_ptr<Session> expect_same_outputs(std::shared_ptr<const Model> model, uint32_t seed, int level,
                                             double atol, double rtol) {
  SessionOptions o0;
  o0.optimization_level = 0;
  o0.num_threads = 1;
  SessionOptions on = o0;
  on.optimization_level = level;
  Result<std::unique_ptr<Session>> plain = Session::create(model, o0);
  Result<std::unique_ptr<Session>> optimized = Session::create(model, on);
  EXPECT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_TRUE(optimized.ok()) << optimized.status().to_string();
  if (!plain.ok() || !optimized.ok()) return nullptr;
  const std::vector<NamedTensor> feeds = random_inputs(*model, seed);
  Result<std::vector<NamedTensor>> want = (*plain)->run(feeds);
  Result<std::vector<NamedTensor>> got = (*optimized)->run(feeds);
  EXPECT_TRUE(want.ok()) << want.status().to_string();
  EXPECT_TRUE(got.ok()) << got.status().to_string();
  if (!want.ok() || !got.ok()) return nullptr;
  EXPECT_EQ(got->size(), want->size());
  for (size_t i = 0; i < want->size() && i < got->size(); ++i) {
    EXPECT_EQ((*got)[i].name, (*want)[i].name);
    EXPECT_TRUE(tensors_near((*got)[i].tensor, (*want)[i].tensor, atol, rtol)) << "output " << (*want)[i].name;
  }
  return std::move(optimized).value();
}

}  // namespace fastserve::testing
