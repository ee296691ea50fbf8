// The shipped models, the ResNet and decomposed-LayerNorm test models give the same outputs at
// -O0 and -O3, the fusions they should get fire, and weights that the passes
// do not rewrite stay in the memory-mapped file.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/npy.h"
#include "fastserve/session.h"
#include "onnx/onnx_reader.h"
#include "passes/graph_edit.h"
#include "tests/passes/pass_test_util.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

std::shared_ptr<Model> load(const std::string& relative) {
  Result<std::shared_ptr<Model>> m = load_onnx_model(source_path(relative));
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? m.value() : nullptr;
}

std::unique_ptr<Session> session_at(std::shared_ptr<const Model> m, int level) {
  SessionOptions o;
  o.optimization_level = level;
  o.num_threads = 2;
  Result<std::unique_ptr<Session>> s = Session::create(std::move(m), o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

Tensor run_one(const Session& s, const std::string& input, const Tensor& x) {
  std::vector<NamedTensor> feeds = {{input, x}};
  Result<std::vector<NamedTensor>> out = s.run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0].tensor : Tensor();
}

struct ModelCase {
  std::string model;                 // path under the repo
  std::vector<std::string> inputs;   // .npy inputs under tests/golden
  std::map<std::string, int64_t> ops_at_o3;
};

TEST(OptimizationLevels, ModelsAgreeAtO0AndO3AndFuse) {
  const std::vector<ModelCase> cases = {
      {"models/fashion_mnist_cnn.onnx",
       {"fashion_mnist_cnn/input_0_input.npy", "fashion_mnist_cnn/testset8_input_0_input.npy"},
       {{"fastserve.FusedConv", 2}, {"MaxPool", 2}, {"Flatten", 1}, {"Gemm", 2}, {"Relu", 1}}},
      {"models/tiny_cnn.onnx",
       {"tiny_cnn/input_0_input.npy", "tiny_cnn/testset8_input_0_input.npy"},
       {{"fastserve.FusedConv", 1}, {"MaxPool", 1}, {"Flatten", 1}, {"Gemm", 1}}},
      {"tests/data/models/resnet_block.onnx",
       {"resnet_block/input_0_x.npy"},
       {{"fastserve.FusedConv", 6}, {"Conv", 1}, {"GlobalAveragePool", 1}, {"Reshape", 1}, {"Gemm", 1}}},
      // fuse_layer_norm, eliminate_transpose and eliminate_reshape all fire.
      {"tests/data/models/layer_norm_decomposed.onnx",
       {"layer_norm_decomposed/input_0_x.npy"},
       {{"MatMul", 1}, {"Add", 1}, {"fastserve.FusedLayerNorm", 2}, {"Reshape", 1}}},
  };
  for (const ModelCase& c : cases) {
    SCOPED_TRACE(c.model);
    std::shared_ptr<Model> m = load(c.model);
    ASSERT_NE(m, nullptr);
    std::unique_ptr<Session> o0 = session_at(m, 0), o3 = session_at(m, 3);
    ASSERT_TRUE(o0 && o3);
    EXPECT_EQ(op_histogram(o3->model().graph), c.ops_at_o3);
    const std::string input = o0->inputs()[0].name;
    for (const std::string& file : c.inputs) {
      Result<Tensor> x = read_npy(source_path("tests/golden/" + file));
      ASSERT_TRUE(x.ok()) << x.status().to_string();
      const Tensor want = run_one(*o0, input, *x);
      const Tensor got = run_one(*o3, input, *x);
      // Fused kernels (Winograd, other summation orders) round differently.
      EXPECT_TRUE(tensors_near(got, want, 1e-5, 1e-5)) << file;
      const ErrorStats e = error_stats(got, want);
      std::cout << "[ O0 vs O3 ] " << c.model << " " << file << ": max abs " << e.max_abs << "\n";
    }
  }
}

TEST(OptimizationLevels, UnchangedWeightsStayInTheMappedFile) {
  std::shared_ptr<Model> m = load("models/fashion_mnist_cnn.onnx");
  ASSERT_NE(m, nullptr);
  std::unique_ptr<Session> s = session_at(m, 3);
  ASSERT_TRUE(s);
  int shared = 0, dropped = 0;
  for (const Value& v : s->model().graph.values) {
    if (!v.is_constant()) continue;
    const ValueId src = m->graph.find_value(v.name);
    if (src == kNoValue) continue;  // a folded weight, new by design
    if (v.initializer.raw_data() == nullptr) {  // packed by every reader and dropped (packed_weights_test)
      ++dropped;
      continue;
    }
    EXPECT_EQ(v.initializer.raw_data(), m->graph.values[static_cast<size_t>(src)].initializer.raw_data()) << v.name;
    ++shared;
  }
  EXPECT_GE(shared, 2);   // the two Gemms' biases at least (read at run time)
  EXPECT_GE(dropped, 2);  // the two Gemms' weights at least (packed)
}

}  // namespace
}  // namespace fastserve::testing
