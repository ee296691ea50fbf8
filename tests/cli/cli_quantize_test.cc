// `fastserve quantize`: the shipped Fashion-MNIST CNN's Gemm-free model has
// no MatMul (nothing to quantize: an error), a MatMul model written here is
// quantized into a file that loads and runs, --json has its keys, and
// unknown activation modes or contradicting flags are usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "core/npy.h"
#include "data/fashion_mnist.h"
#include "onnx/onnx_reader.h"
#include "onnx/onnx_writer.h"
#include "tests/cli/cli_harness.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                     \
  do {                                                                            \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built"; \
  } while (0)

bool fashion_mnist_available() {
  return std::filesystem::exists(std::string(kFashionMnistDefaultDir) + "/train-images-idx3-ubyte.gz");
}

int64_t count_op(const Graph& g, const std::string& op) {
  int64_t n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op ? 1 : 0;
  return n;
}

std::string write_matmul_model(ScratchDir& dir) {
  std::mt19937 rng(41);
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 16}, {"batch", ""});
  ValueId h = t.node("MatMul", "fc1", {x, t.constant("w1", random_f32({16, 24}, rng))});
  t.output(t.node("MatMul", "fc2", {t.node("Relu", "relu", {h}), t.constant("w2", random_f32({24, 4}, rng))}));
  const std::string path = dir.file("mlp.onnx");
  EXPECT_TRUE(save_onnx_model(*t.build(), path).ok());
  return path;
}

TEST(CliQuantize, WritesADynamicInt8ModelThatRuns) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string in = write_matmul_model(dir), out = dir.file("mlp_int8.onnx");
  ProcessResult r = run_fastserve({"quantize", "--model", in, "--output", out, "--per-channel"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layers quantized: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per output column"), std::string::npos) << r.out;
  Result<std::shared_ptr<Model>> m = load_onnx_model(out);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(count_op((*m)->graph, "MatMulInteger"), 2);
  EXPECT_EQ(count_op((*m)->graph, "DynamicQuantizeLinear"), 2);
  ProcessResult run = run_fastserve({"bench", "--model", out, "--iterations", "3", "--quiet"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(CliQuantize, JsonReportAndErrors) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string in = write_matmul_model(dir), out = dir.file("q.onnx");
  ProcessResult j = run_fastserve({"quantize", "-m", in, "-o", out, "--json", "--exclude", "fc2"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  for (const char* key : {"\"layers\":[{\"node\":\"fc1\"", "\"kept\":[\"fc2: excluded\"]", "\"weight_bytes_before\":",
                          "\"snr_db\":"}) {
    EXPECT_NE(j.out.find(key), std::string::npos) << key << " in " << j.out;
  }
  ProcessResult again = run_fastserve({"quantize", "-m", out, "-o", dir.file("qq.onnx")});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already quantized"), std::string::npos) << again.err;
  ProcessResult cnn = run_fastserve({"quantize", "-m", source_path("models/tiny_cnn.onnx"), "-o", dir.file("c.onnx")});
  EXPECT_NE(cnn.exit_code, 0);
  EXPECT_NE(cnn.err.find("nothing to quantize"), std::string::npos) << cnn.err;
  ProcessResult stat = run_fastserve({"quantize", "-m", in, "-o", out, "--activations", "static"});
  EXPECT_EQ(stat.exit_code, 2);
  EXPECT_NE(stat.err.find("needs a calibration set"), std::string::npos) << stat.err;
  ProcessResult both = run_fastserve({"quantize", "-m", in, "-o", out, "--per-channel", "--per-tensor"});
  EXPECT_EQ(both.exit_code, 2);
}

// Static INT8 on the shipped CNN, calibrated on Fashion-MNIST's training
// split: QDQ out, accuracy on the test set within a point of float, and the
// report has its parts.
TEST(CliQuantize, StaticPerChannelCnnKeepsItsAccuracy) {
  SKIP_WITHOUT_BINARY();
  if (!fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  ScratchDir dir;
  const std::string model = source_path("models/fashion_mnist_cnn.onnx"), out = dir.file("cnn_int8.onnx");
  ProcessResult r = run_fastserve({"quantize", "-m", model, "-o", out, "--calibration", "fashion-mnist", "--samples",
                                   "128", "--per-channel", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"\"activations\":\"static\"", "\"granularity\":\"per channel\"", "\"calibration_samples\":128",
                          "\"quality\":{\"cosine\":", "\"timing\":{", "\"file_bytes_after\":"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
  Result<std::shared_ptr<Model>> m = load_onnx_model(out);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(count_op((*m)->graph, "BatchNormalization"), 0) << "folded before quantizing";
  EXPECT_GE(count_op((*m)->graph, "QuantizeLinear"), 4);
  auto accuracy = [&](const std::string& path) {
    ProcessResult e = run_fastserve({"eval", "-m", path, "--limit", "2000", "--json"});
    EXPECT_EQ(e.exit_code, 0) << e.err;
    const size_t at = e.out.find("\"accuracy\":");
    return at == std::string::npos ? 0.0 : std::stod(e.out.substr(at + 11));
  };
  EXPECT_NEAR(accuracy(out), accuracy(model), 0.01);
}

TEST(CliQuantize, CalibrationAndFlagErrorsNameWhatIsWrong) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string in = write_matmul_model(dir), out = dir.file("q.onnx");
  const std::string empty = dir.file("empty");
  std::filesystem::create_directories(empty);
  ProcessResult e = run_fastserve({"quantize", "-m", in, "-o", out, "--calibration", empty});
  EXPECT_EQ(e.exit_code, 3);
  EXPECT_NE(e.err.find("no .npy or image files"), std::string::npos) << e.err;
  ProcessResult missing = run_fastserve({"quantize", "-m", in, "-o", out, "--calibration", dir.file("nope")});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("no such folder"), std::string::npos) << missing.err;
  // A sample of the wrong width.
  const std::string bad = dir.file("bad");
  std::filesystem::create_directories(bad);
  ASSERT_TRUE(write_npy(bad + "/a.npy", Tensor::zeros(DType::kF32, {2, 15})).ok());
  ProcessResult mismatch = run_fastserve({"quantize", "-m", in, "-o", out, "--calibration", bad});
  EXPECT_EQ(mismatch.exit_code, 3);
  EXPECT_NE(mismatch.err.find("a.npy: shape [2,15] does not match model input 'x'"), std::string::npos)
      << mismatch.err;
  ProcessResult method = run_fastserve({"quantize", "-m", in, "-o", out, "--calibration", bad, "--method", "magic"});
  EXPECT_EQ(method.exit_code, 2);
  EXPECT_NE(method.err.find("magic"), std::string::npos) << method.err;
  ProcessResult int4 = run_fastserve({"quantize", "-m", in, "-o", out, "--weights", "int4", "--activations", "static"});
  EXPECT_EQ(int4.exit_code, 2);
  EXPECT_NE(int4.err.find("weight-only"), std::string::npos) << int4.err;
  ProcessResult mixed = run_fastserve({"quantize", "-m", in, "-o", out, "--mixed", "auto"});
  EXPECT_EQ(mixed.exit_code, 2);
  // A good folder: static QDQ from .npy samples, then refusing to quantize it again.
  const std::string good = dir.file("good");
  std::filesystem::create_directories(good);
  std::mt19937 rng(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(write_npy(good + "/s" + std::to_string(i) + ".npy", random_f32({4, 16}, rng)).ok());
  }
  ProcessResult ok = run_fastserve({"quantize", "-m", in, "-o", out, "--calibration", good, "--no-bench"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("calibration: 12 samples"), std::string::npos) << ok.out;
  // SmoothQuant before dynamic or static quantization takes the same folder.
  ProcessResult sq = run_fastserve({"quantize", "-m", in, "-o", dir.file("sq.onnx"), "--activations", "dynamic",
                                    "--calibration", good, "--smooth-quant", "0.5"});
  ASSERT_EQ(sq.exit_code, 0) << sq.err;
  EXPECT_NE(sq.out.find("SmoothQuant (alpha 0.5): 2 activations, 2 weights smoothed"), std::string::npos) << sq.out;
  ProcessResult sq_static = run_fastserve({"quantize", "-m", in, "-o", dir.file("sqs.onnx"), "--calibration", good,
                                           "--smooth-quant", "0.5", "--no-bench", "--json"});
  ASSERT_EQ(sq_static.exit_code, 0) << sq_static.err;
  EXPECT_NE(sq_static.out.find("\"smooth_quant\":{\"alpha\":0.5"), std::string::npos) << sq_static.out;
  ProcessResult sq_bad = run_fastserve({"quantize", "-m", in, "-o", out, "--smooth-quant", "0.5"});
  EXPECT_EQ(sq_bad.exit_code, 2);
  EXPECT_NE(sq_bad.err.find("--smooth-quant takes its channel maxima from a calibration set"), std::string::npos)
      << sq_bad.err;
  ProcessResult again = run_fastserve({"quantize", "-m", out, "-o", dir.file("qq.onnx"), "--calibration", good});
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_NE(again.err.find("already quantized"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace fastserve::testing
