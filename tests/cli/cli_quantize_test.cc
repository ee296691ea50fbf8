// `fastserve quantize`: the shipped Fashion-MNIST CNN's Gemm-free model has
// no MatMul (nothing to quantize: an error), a MatMul model written here is
// quantized into a file that loads and runs, --json has its keys, and
// unknown activation modes or contradicting flags are usage errors.
#include <gtest/gtest.h>

#include <random>
#include <string>

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
  EXPECT_NE(stat.err.find("only dynamic quantization is built so far"), std::string::npos) << stat.err;
  ProcessResult both = run_fastserve({"quantize", "-m", in, "-o", out, "--per-channel", "--per-tensor"});
  EXPECT_EQ(both.exit_code, 2);
}

}  // namespace
}  // namespace fastserve::testing
