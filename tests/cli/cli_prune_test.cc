// `fastserve prune`: each method on the shipped Fashion-MNIST CNN writes a
// model that loads and runs (magnitude at the asked sparsity, channel
// physically smaller, 2:4 half zero), --json parses with its keys, --eval
// reports accuracy before and after on the test set, and bad requests
// (unknown method, sparsity outside [0, 1), an unknown node, a model with
// nothing to prune, contradicting flags) fail with the error naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data/fashion_mnist.h"
#include "onnx/onnx_reader.h"
#include "onnx/onnx_writer.h"
#include "tests/cli/cli_harness.h"
#include "tests/cli/json_reader.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                     \
  do {                                                                            \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built"; \
  } while (0)

const std::string& cnn() {
  static const std::string path = source_path("models/fashion_mnist_cnn.onnx");
  return path;
}

JsonValue parse_or_fail(const std::string& text) {
  std::string error;
  std::optional<JsonValue> v = parse_json(text, &error);
  EXPECT_TRUE(v.has_value()) << error << " in " << text;
  return v.value_or(JsonValue{});
}

int64_t zeros_of(const Model& m, const std::string& weight) {
  const Tensor& t = m.graph.values[static_cast<size_t>(m.graph.find_value(weight))].initializer;
  return std::count(t.data<float>(), t.data<float>() + t.numel(), 0.f);
}

TEST(CliPrune, MagnitudeJsonReportAndTheModelRuns) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string out = dir.file("m.onnx");
  ProcessResult r = run_fastserve({"prune", "-m", cnn(), "-o", out, "--method", "magnitude", "--sparsity", "0.7",
                                   "--exclude", "/features/features.0/Conv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue j = parse_or_fail(r.out);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.find("method")->string, "magnitude");
  ASSERT_TRUE(j.find("layers")->is_array());
  EXPECT_EQ(j.find("layers")->array.size(), 3u);
  ASSERT_EQ(j.find("kept")->array.size(), 1u);
  EXPECT_EQ(j.find("kept")->array[0].string, "/features/features.0/Conv: excluded");
  const double zeros = j.find("zeros_after")->number, weights = j.find("weights_after")->number;
  EXPECT_NEAR(zeros / weights, 0.7, 1e-3);
  for (const char* key : {"bytes_before", "bytes_after", "file_bytes_before", "file_bytes_after"}) {
    EXPECT_NE(j.find(key), nullptr) << key;
  }
  Result<std::shared_ptr<Model>> m = load_onnx_model(out);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(zeros_of(**m, "features.0.weight"), 0) << "excluded";
  EXPECT_GT(zeros_of(**m, "classifier.1.weight"), 50000);
  ProcessResult run = run_fastserve({"bench", "--model", out, "--iterations", "3", "--quiet"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(CliPrune, ChannelAndTwoFourTextReports) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string ch = dir.file("c.onnx"), nm = dir.file("nm.onnx");
  ProcessResult c = run_fastserve({"prune", "-m", cnn(), "-o", ch, "--method", "channel", "--sparsity", "0.5",
                                   "--per-layer", "/classifier/classifier.1/Gemm=0.25"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("/features/features.4/Conv"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("16 / 32"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("48 / 64"), std::string::npos) << "the per-layer override: " << c.out;
  EXPECT_NE(c.out.find("kept: /classifier/classifier.3/Gemm: its channels reach graph output 'logits'"),
            std::string::npos)
      << c.out;
  EXPECT_LT(std::filesystem::file_size(ch), std::filesystem::file_size(cnn()) / 2);
  ProcessResult run = run_fastserve({"bench", "--model", ch, "--iterations", "3", "--quiet"});
  EXPECT_EQ(run.exit_code, 0) << run.err;

  ProcessResult t = run_fastserve({"prune", "-m", cnn(), "-o", nm, "--method", "2:4"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("(2:4)"), std::string::npos) << t.out;
  Result<std::shared_ptr<Model>> m = load_onnx_model(nm);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(zeros_of(**m, "classifier.1.weight"), 64 * 1568 / 2);
  ProcessResult quiet = run_fastserve({"prune", "-m", cnn(), "-o", nm, "--method", "2:4", "--quiet"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_TRUE(quiet.out.empty()) << quiet.out;
}

TEST(CliPrune, EvalReportsAccuracyBeforeAndAfter) {
  SKIP_WITHOUT_BINARY();
  if (!std::filesystem::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed";
  }
  ScratchDir dir;
  ProcessResult r = run_fastserve({"prune", "-m", cnn(), "-o", dir.file("e.onnx"), "--method", "magnitude",
                                   "--sparsity", "0.5", "--eval", "fashion-mnist", "--limit", "500", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue j = parse_or_fail(r.out);
  const JsonValue* eval = j.find("eval");
  ASSERT_NE(eval, nullptr) << r.out;
  EXPECT_EQ(eval->find("count")->number, 500);
  const double before = eval->find("accuracy_before")->number, after = eval->find("accuracy_after")->number;
  EXPECT_GT(before, 0.85);
  EXPECT_NEAR(after, before, 0.03) << "50% global magnitude pruning costs little on this CNN";
}

TEST(CliPrune, BadRequestsFailNamingWhatIsWrong) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string out = dir.file("x.onnx");
  auto expect = [&](std::vector<std::string> args, int code, const std::string& what) {
    std::vector<std::string> full = {"prune", "-m", cnn(), "-o", out};
    full.insert(full.end(), args.begin(), args.end());
    ProcessResult r = run_fastserve(full);
    EXPECT_EQ(r.exit_code, code) << what << ": " << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  };
  expect({"--method", "random", "--sparsity", "0.5"}, 2, "unknown pruning method 'random'");
  expect({"--method", "magnitude"}, 2, "--method magnitude needs --sparsity");
  expect({"--method", "magnitude", "--sparsity", "1"}, 3, "sparsity 1 is outside [0, 1)");
  expect({"--method", "channel", "--sparsity", "-0.5"}, 3, "outside [0, 1)");
  expect({"--method", "2:4", "--sparsity", "0.7"}, 2, "2:4 pruning has sparsity 0.5");
  expect({"--method", "channel", "--sparsity", "0.5", "--scope", "layer"}, 2, "--scope applies to magnitude");
  expect({"--method", "magnitude", "--sparsity", "0.5", "--exclude", "nope"}, 3, "--exclude 'nope' names no node");
  expect({"--method", "magnitude", "--sparsity", "0.5", "--per-layer", "/features/features.2/Relu=0.5"}, 3,
         "is not a prunable layer");
  expect({"--method", "magnitude", "--sparsity", "0.5", "--per-layer", "x=abc"}, 2, "'abc' is not a number");
  EXPECT_FALSE(std::filesystem::exists(out)) << "no file is written on error";

  // A model without a prunable layer.
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {1, 4});
  t.output(t.node("Relu", "relu", {x}));
  const std::string plain = dir.file("relu.onnx");
  ASSERT_TRUE(save_onnx_model(*t.build(), plain).ok());
  ProcessResult r = run_fastserve({"prune", "-m", plain, "-o", out, "--method", "2:4"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nothing to prune"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fastserve::testing
