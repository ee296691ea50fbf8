// `--dump-graph FILE` on inspect and bench: the graph after the passes of -O
// is written as an ONNX model that loads back; a path that cannot be written
// is a one-line error naming it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "onnx/onnx_reader.h"
#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                          \
  do {                                                                                 \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";      \
  } while (0)

const std::string kResnet = source_path("tests/data/models/resnet_block.onnx");

int64_t count_domain(const Model& m, const std::string& domain) {
  int64_t n = 0;
  for (const Node& node : m.graph.nodes) n += node.domain == domain ? 1 : 0;
  return n;
}

TEST(CliDumpGraph, InspectWritesTheOptimizedGraphAtTheChosenLevel) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string o3 = dir.file("o3.onnx");
  ProcessResult r = run_fastserve({"inspect", "--model", kResnet, "--dump-graph", o3});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<std::shared_ptr<Model>> m = load_onnx_model(o3);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ((*m)->graph.nodes.size(), 10u);  // as inspect --optimized lists it
  EXPECT_EQ(count_domain(**m, "fastserve"), 6);
  EXPECT_EQ((*m)->opset("fastserve"), 1);
  EXPECT_EQ((*m)->producer_name, "fastserve");

  const std::string o0 = dir.file("o0.onnx");
  r = run_fastserve({"inspect", "--model", kResnet, "-O0", "--dump-graph", o0});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<std::shared_ptr<Model>> plain = load_onnx_model(o0);
  Result<std::shared_ptr<Model>> original = load_onnx_model(kResnet);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  ASSERT_TRUE(original.ok());
  EXPECT_EQ((*plain)->graph.nodes.size(), (*original)->graph.nodes.size());
  EXPECT_EQ(count_domain(**plain, "fastserve"), 0);
}

TEST(CliDumpGraph, BenchWritesTheCompiledGraph) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string out = dir.file("bench.onnx");
  ProcessResult r = run_fastserve(
      {"bench", "--model", kResnet, "--iterations", "1", "--warmup", "0", "--quiet", "-O1", "--dump-graph", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<std::shared_ptr<Model>> m = load_onnx_model(out);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(count_domain(**m, "fastserve"), 0);  // -O1 fuses nothing
  EXPECT_EQ((*m)->graph.nodes.size(), 24u);      // inspect --passes -O1: 30 -> 24
}

TEST(CliDumpGraph, UnwritablePathIsAOneLineErrorNamingIt) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string bad = dir.file("no-such-dir/out.onnx");
  for (const char* cmd : {"inspect", "bench"}) {
    SCOPED_TRACE(cmd);
    std::vector<std::string> args = {cmd, "--model", kResnet, "--dump-graph", bad};
    if (std::string(cmd) == "bench") {
      for (const char* a : {"--iterations", "1", "--quiet"}) args.emplace_back(a);
    }
    ProcessResult r = run_fastserve(args);
    EXPECT_NE(r.exit_code, 0);
    std::vector<std::string> lines = split_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("fastserve: error: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(bad), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("cannot open"), std::string::npos) << lines[0];
    EXPECT_FALSE(std::filesystem::exists(bad));
  }
}

}  // namespace
}  // namespace fastserve::testing
