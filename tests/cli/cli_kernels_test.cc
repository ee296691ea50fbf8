// `--kernels auto|fastserve|onednn` on `fastserve run` and `fastserve eval`:
// oneDNN gives the same answers as our kernels, a bad value is a usage error
// (exit 2), and a build without oneDNN says so (exit 4).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/fashion_mnist.h"
#include "runtime/kernel_registry.h"
#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                     \
  do {                                                                            \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built"; \
  } while (0)

const std::string kCnn = "models/fashion_mnist_cnn.onnx";
const std::string kBoot = "models/samples/sample_0_ankle_boot.png";
std::string src(const std::string& rel) { return source_path(rel); }

bool onednn_built() { return KernelRegistry::global().has_provider(kProviderOneDnn); }

// "  1. Ankle boot   99.914%  (class 9)" and the rest of the ranking, without the latency line.
std::string ranking(const std::string& out) { return out.substr(0, out.find("latency: ")); }

TEST(CliKernels, RunWithOneDnnGivesTheSameRanking) {
  SKIP_WITHOUT_BINARY();
  if (!onednn_built())
    GTEST_SKIP() << "built without oneDNN (see CliKernels.OneDnnMissingFromTheBuildExitsFour)";
  ProcessResult ours = run_fastserve({"run", "--model", src(kCnn), "--input", src(kBoot), "--topk", "3"});
  ProcessResult dnnl = run_fastserve(
      {"run", "--model", src(kCnn), "--input", src(kBoot), "--topk", "3", "--kernels", "onednn"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_EQ(dnnl.exit_code, 0) << dnnl.err;
  EXPECT_TRUE(dnnl.err.empty()) << dnnl.err;
  EXPECT_NE(dnnl.out.find("1. Ankle boot"), std::string::npos) << dnnl.out;
  EXPECT_EQ(ranking(dnnl.out), ranking(ours.out));
  for (const char* k : {"auto", "fastserve"}) {
    ProcessResult r =
        run_fastserve({"run", "--model", src(kCnn), "--input", src(kBoot), "--topk", "3", "--kernels", k});
    ASSERT_EQ(r.exit_code, 0) << k << ": " << r.err;
    EXPECT_EQ(ranking(r.out), ranking(ours.out)) << k;
  }
}

TEST(CliKernels, EvalWithOneDnnGivesTheSamePredictions) {
  SKIP_WITHOUT_BINARY();
  if (!onednn_built()) GTEST_SKIP() << "built without oneDNN";
  if (!std::filesystem::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << kFashionMnistDefaultDir;
  }
  ScratchDir dir;
  ProcessResult ours = run_fastserve({"eval", "--model", src(kCnn), "--limit", "200", "--batch", "33",
                                      "--predictions", dir.file("ours.npy")});
  ProcessResult dnnl =
      run_fastserve({"eval", "--model", src(kCnn), "--limit", "200", "--batch", "33", "--kernels", "onednn",
                     "--json", "--predictions", dir.file("onednn.npy")});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_EQ(dnnl.exit_code, 0) << dnnl.err;
  EXPECT_NE(ours.out.find("kernels auto"), std::string::npos) << ours.out;
  EXPECT_NE(dnnl.out.find("\"kernels\":\"onednn\""), std::string::npos) << dnnl.out;
  EXPECT_EQ(read_file(dir.file("onednn.npy")), read_file(dir.file("ours.npy")));
}

TEST(CliKernels, UnknownValueIsAUsageError) {
  SKIP_WITHOUT_BINARY();
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"run", "--model", src(kCnn), "--input", src(kBoot)},
        std::vector<std::string>{"eval", "--model", src(kCnn), "--limit", "10"}}) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--kernels", "bogus"});
    ProcessResult r = run_fastserve(args);
    EXPECT_EQ(r.exit_code, 2) << cmd[0] << ": " << r.err;
    std::vector<std::string> lines = split_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("fastserve: error: --kernels: bogus not in {auto,fastserve,onednn}", 0), 0u)
        << lines[0];
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CliKernels, OneDnnMissingFromTheBuildExitsFour) {
  SKIP_WITHOUT_BINARY();
  if (onednn_built()) GTEST_SKIP() << "this build has oneDNN";
  ProcessResult r =
      run_fastserve({"run", "--model", src(kCnn), "--input", src(kBoot), "--kernels", "onednn"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("kernel provider 'onednn' is not in this build"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fastserve::testing
