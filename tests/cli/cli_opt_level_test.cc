// -O / --opt-level on run and eval, and `fastserve inspect --passes /
// --optimized` on the ResNet test model.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                          \
  do {                                                                                 \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";      \
  } while (0)

const std::string kResnet = source_path("tests/data/models/resnet_block.onnx");

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(CliOptLevel, RunGivesTheSameTopClassAtEveryLevel) {
  SKIP_WITHOUT_BINARY();
  const std::string model = source_path("models/fashion_mnist_cnn.onnx");
  const std::string image = source_path("models/samples/sample_0_ankle_boot.png");
  for (const char* level : {"-O0", "-O1", "-O2", "-O3"}) {
    ProcessResult r = run_fastserve({"run", "--model", model, "--input", image, "--topk", "1", level});
    ASSERT_EQ(r.exit_code, 0) << level << ": " << r.err;
    const std::vector<std::string> lines = split_lines(r.out);
    ASSERT_GE(lines.size(), 3u) << r.out;
    EXPECT_TRUE(contains(lines[2], "1. Ankle boot")) << level << ": " << r.out;
  }
  ProcessResult spelled = run_fastserve({"run", "--model", model, "--input", image, "--opt-level", "2"});
  EXPECT_EQ(spelled.exit_code, 0) << spelled.err;
}

TEST(CliOptLevel, LevelOutOfRangeIsAUsageError) {
  SKIP_WITHOUT_BINARY();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "--model", kResnet, "--input", "x.npy", "--opt-level", "7"},
        std::vector<std::string>{"inspect", "--model", kResnet, "-O9"},
        std::vector<std::string>{"eval", "--model", kResnet, "--opt-level=-1"}}) {
    ProcessResult r = run_fastserve(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "opt-level")) << r.err;
  }
}

TEST(CliInspect, PassesShowsWhatEachPassChanged) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"inspect", "--model", kResnet, "--passes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "passes (level 3): 30 nodes -> 10 nodes")) << r.out;
  EXPECT_TRUE(contains(r.out, "  eliminate_identity: Dropout 1, Identity 1 -> (none)  [2 rewrites")) << r.out;
  EXPECT_TRUE(contains(r.out, "  fold_constants: Concat 1, Gather 1, Shape 1, Unsqueeze 1 -> (none)")) << r.out;
  EXPECT_TRUE(contains(r.out, "  fold_batchnorm: BatchNormalization 6, Conv 7 -> Conv 7; initializers 38 -> 50  [6 rewrites")) << r.out;
  EXPECT_TRUE(contains(r.out, "  fuse_conv_activation: Add 2, Clip 1, Conv 7, Relu 5 -> Conv 1, fastserve.FusedConv 6"))
      << r.out;
  // The inspected graph itself is the file's unless --optimized is given.
  EXPECT_TRUE(contains(r.out, "BatchNormalization")) << r.out;

  ProcessResult basic = run_fastserve({"inspect", "--model", kResnet, "--passes", "-O1"});
  ASSERT_EQ(basic.exit_code, 0) << basic.err;
  EXPECT_TRUE(contains(basic.out, "passes (level 1): 30 nodes -> 24 nodes")) << basic.out;
  EXPECT_FALSE(contains(basic.out, "fold_batchnorm")) << basic.out;

  ProcessResult none = run_fastserve({"inspect", "--model", kResnet, "--passes", "-O0"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(contains(none.out, "passes (level 0): 30 nodes -> 30 nodes\n  (none run)")) << none.out;
}

TEST(CliInspect, OptimizedListsTheFusedGraph) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"inspect", "--model", kResnet, "--optimized"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "(optimized, level 3)")) << r.out;
  EXPECT_TRUE(contains(r.out, "nodes (10):")) << r.out;
  EXPECT_TRUE(contains(r.out, "  b1_relu2 (fastserve.FusedConv): b1r1, b1c2_W_bnfolded, b1c2_W_bnfolded_bias, h0 -> h1"
                              "  activation=Relu"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "activation=Clip(0, 6)")) << r.out;
  EXPECT_FALSE(contains(r.out, "BatchNormalization")) << r.out;
  EXPECT_TRUE(contains(r.out, "unsupported: none")) << r.out;

  ProcessResult j = run_fastserve({"inspect", "--model", kResnet, "--optimized", "--passes", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(contains(j.out, "\"passes\":{\"level\":3,\"nodes_before\":30,\"nodes_after\":10,\"runs\":[")) << j.out;
  EXPECT_TRUE(contains(j.out, "\"graph_nodes\":[")) << j.out;
  EXPECT_TRUE(contains(j.out, "\"op\":\"fastserve.FusedConv\"")) << j.out;
}

TEST(CliInspect, PassesFuseTheDecomposedLayerNorm) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r =
      run_fastserve({"inspect", "--model", source_path("tests/data/models/layer_norm_decomposed.onnx"), "--passes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "passes (level 3): 25 nodes -> 5 nodes")) << r.out;
  EXPECT_TRUE(contains(r.out, "  eliminate_transpose: Transpose 2 -> Transpose 1  [1 rewrite")) << r.out;
  EXPECT_TRUE(contains(r.out, "  eliminate_reshape: Reshape 2 -> Reshape 1; initializers 10 -> 11  [1 rewrite")) << r.out;
  EXPECT_TRUE(contains(r.out, "  fuse_layer_norm: Add 5, Div 1, Mul 4, Pow 1, Reciprocal 1, ReduceMean 4, Sqrt 2, Sub 2"
                              " -> Add 1, fastserve.FusedLayerNorm 2"))
      << r.out;
}

}  // namespace
}  // namespace fastserve::testing
