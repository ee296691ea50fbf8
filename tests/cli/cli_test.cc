// `fastserve` as a user runs it: exit codes, the one-line error contract,
// --version/--help, and `run` on the shipped models and samples.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "core/npy.h"
#include "data/topk.h"
#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                          \
  do {                                                                                 \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";      \
  } while (0)

const std::string kCnn = "models/fashion_mnist_cnn.onnx";

std::string src(const std::string& rel) { return source_path(rel); }

// Exit code as expected, nothing on stdout, and exactly one stderr line of
// the form "fastserve: error: ..." containing `needle`.
void expect_one_line_error(const ProcessResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << "stderr: " << r.err;
  std::vector<std::string> lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr: " << r.err;
  EXPECT_EQ(lines[0].rfind("fastserve: error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(needle), std::string::npos) << "missing '" << needle << "' in: " << lines[0];
  EXPECT_TRUE(r.out.empty()) << "stdout: " << r.out;
}

// "sample_19_t_shirt_top.png" -> "t_shirt_top"; a label "T-shirt/top" -> "t_shirt_top".
std::string slug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}

// The label on the first ranked line ("  1. Ankle boot   99.1%  (class 9)").
std::string top1_label(const std::string& out) {
  std::smatch m;
  static const std::regex kLine(R"(\n  1\. (.*?) +[0-9.]+%  \(class [0-9]+\))");
  return std::regex_search(out, m, kLine) ? m[1].str() : "";
}

TEST(Cli, VersionPrintsVersionAndIsa) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(std::string("fastserve ") + FASTSERVE_VERSION), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("isa: (scalar|avx2|avx512|avx512vnni) \\(detected: ")))
      << r.out;
}

TEST(Cli, HelpOnEverySubcommand) {
  SKIP_WITHOUT_BINARY();
  for (const char* sub : {"run", "eval", "inspect", "bench"}) {
    ProcessResult r = run_fastserve({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("--model"), std::string::npos) << sub << ": " << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
  ProcessResult top = run_fastserve({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* sub : {"run", "eval", "inspect", "bench", "ops", "--log-level"}) {
    EXPECT_NE(top.out.find(sub), std::string::npos) << top.out;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  SKIP_WITHOUT_BINARY();
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "x.png", "--bogus"}), 2, "--bogus");
  expect_one_line_error(run_fastserve({"run", "--input", "x.png"}), 2, "--model");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "x.png", "--topk", "0"}), 2,
                        "--topk");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "x.png", "--mean", "abc"}), 2,
                        "--mean");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "x.png", "--resize", "maybe"}), 2,
                        "--resize");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "x.png", "--max-isa", "sse9"}), 2,
                        "--max-isa");
  expect_one_line_error(run_fastserve({"--log-level", "loud", "inspect", "--model", src(kCnn)}), 2, "--log-level");
  expect_one_line_error(run_fastserve({"frobnicate"}), 2, "frobnicate");
  expect_one_line_error(run_fastserve({}), 2, "subcommand");
}

TEST(Cli, GarbageModelExitsThree) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  write_file(dir.file("garbage.onnx"), std::string("this is not a protobuf \xff\xfe\x00\x01 at all", 29));
  for (const char* sub : {"run", "inspect"}) {
    std::vector<std::string> args = {sub, "--model", dir.file("garbage.onnx")};
    if (std::string(sub) == "run") args.insert(args.end(), {"--input", src("models/samples/sample_0_ankle_boot.png")});
    expect_one_line_error(run_fastserve(args), 3, "garbage.onnx");
  }
}

TEST(Cli, TruncatedModelExitsThree) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  std::string bytes = read_file(src(kCnn));
  ASSERT_GT(bytes.size(), 1000u);
  write_file(dir.file("half.onnx"), bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(run_fastserve({"run", "--model", dir.file("half.onnx"), "--input",
                                       src("models/samples/sample_0_ankle_boot.png")}),
                        3, "half.onnx");
}

TEST(Cli, MissingModelExitsThree) {
  SKIP_WITHOUT_BINARY();
  expect_one_line_error(run_fastserve({"inspect", "--model", "/nonexistent/m.onnx"}), 3, "/nonexistent/m.onnx");
}

TEST(Cli, UnsupportedOpExitsFour) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  write_npy(dir.file("x.npy"), Tensor::zeros(DType::kF32, Shape{1, 4})).ok();
  expect_one_line_error(
      run_fastserve({"run", "--model", src("tests/data/models/unknown_ops.onnx"), "--input", dir.file("x.npy")}), 4,
      "FooBar");
}

TEST(Cli, UnsupportedOpsetExitsFour) {
  SKIP_WITHOUT_BINARY();
  expect_one_line_error(run_fastserve({"inspect", "--model", src("tests/data/models/opset99.onnx")}), 4, "opset");
}

TEST(Cli, MissingInputFileExitsThree) {
  SKIP_WITHOUT_BINARY();
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "/nonexistent/shoe.png"}), 3,
                        "/nonexistent/shoe.png");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", "/nonexistent/x.npy"}), 3,
                        "/nonexistent/x.npy");
}

TEST(Cli, UndecodableImageExitsThree) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  write_file(dir.file("fake.png"), "\x89PNG but not really");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", dir.file("fake.png")}), 3,
                        "fake.png: cannot decode image");
}

TEST(Cli, WrongSizedImageWithResizeNeverExitsThree) {
  SKIP_WITHOUT_BINARY();
  const std::string jpg = src("models/samples/sample_rgb_64.jpg");
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", jpg, "--resize", "never"}), 3,
                        jpg + " is 64x64, model 'input' expects 28x28 (use --resize auto)");
}

TEST(Cli, WrongShapedNpyExitsThree) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  ASSERT_TRUE(write_npy(dir.file("x.npy"), Tensor::zeros(DType::kF32, Shape{1, 1, 27, 28})).ok());
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", dir.file("x.npy")}), 3,
                        "x.npy: shape [1,1,27,28] does not match model input 'input' float32[batch,1,28,28]");
  ASSERT_TRUE(write_npy(dir.file("i.npy"), Tensor::zeros(DType::kI64, Shape{1, 1, 28, 28})).ok());
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", dir.file("i.npy")}), 3,
                        "i.npy: dtype int64 does not match");
}

TEST(Cli, InputNamesMustMatchTheModel) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  ASSERT_TRUE(write_npy(dir.file("a.npy"), Tensor::zeros(DType::kF32, Shape{2, 3, 4})).ok());
  const std::string model = src("tests/data/models/dims_symbolic_static.onnx");
  expect_one_line_error(run_fastserve({"run", "--model", model, "--input", dir.file("a.npy")}), 3,
                        "give each as --input name=file");
  expect_one_line_error(run_fastserve({"run", "--model", model, "--input", "zz=" + dir.file("a.npy")}), 3,
                        "no input 'zz'");
  expect_one_line_error(run_fastserve({"run", "--model", model, "--input", "a=" + dir.file("a.npy")}), 3,
                        "no --input for model input 'b'");
}

TEST(CliRun, EverySampleGetsItsClass) {
  SKIP_WITHOUT_BINARY();
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(src("models/samples"))) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".png") continue;
    // sample_<index>_<class slug>.png
    std::smatch m;
    ASSERT_TRUE(std::regex_match(name, m, std::regex(R"(sample_[0-9]+_(.+)\.png)"))) << name;
    ProcessResult r = run_fastserve({"run", "--model", src(kCnn), "--input", entry.path().string()});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(slug(top1_label(r.out)), m[1].str()) << name << ":\n" << r.out;
    EXPECT_NE(r.out.find("latency: "), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST(CliRun, ColourJpegIsConvertedAndResized) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"run", "--model", src(kCnn), "--input", src("models/samples/sample_rgb_64.jpg")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(top1_label(r.out), "Ankle boot") << r.out;
}

TEST(CliRun, TopkListsKClassesInOrder) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve(
      {"run", "--model", src(kCnn), "--input", src("models/samples/sample_2_trouser.png"), "--topk", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("top-3:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  3. "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\n  4. "), std::string::npos) << r.out;
}

TEST(CliRun, JsonHasTheDocumentedKeys) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve(
      {"run", "--model", src(kCnn), "--input", src("models/samples/sample_8_sandal.png"), "--json", "--topk", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
  EXPECT_EQ(r.out.front(), '{');
  for (const char* key : {"\"model\":", "\"outputs\":[{\"name\":\"logits\",\"dtype\":\"float32\",\"shape\":[1,10]",
                          "\"topk\":[{\"index\":5,\"label\":\"Sandal\",\"probability\":", "\"latency_ms\":"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
  // Exactly two topk entries.
  const std::regex index_key("\"index\":");
  EXPECT_EQ(std::distance(std::sregex_iterator(r.out.begin(), r.out.end(), index_key), std::sregex_iterator()), 2);
}

TEST(CliRun, OutputNpyHoldsTheLogits) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  ProcessResult r = run_fastserve({"run", "--model", src(kCnn), "--input", src("models/samples/sample_18_bag.png"),
                                   "--output", dir.file("y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<Tensor> y = read_npy(dir.file("y.npy"));
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y->shape(), (Shape{1, 10}));
  EXPECT_EQ(argmax(std::span<const float>(y->data<float>(), 10)), 8);  // Bag
}

TEST(CliRun, LabelsFlagOverridesMetadata) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  std::string labels;
  for (int i = 0; i < 10; ++i) labels += "custom" + std::to_string(i) + "\n";
  write_file(dir.file("labels.txt"), labels);
  ProcessResult r = run_fastserve({"run", "--model", src(kCnn), "--input", src("models/samples/sample_9_sneaker.png"),
                                   "--labels", dir.file("labels.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(top1_label(r.out), "custom7") << r.out;
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input",
                                       src("models/samples/sample_9_sneaker.png"), "--labels", "/nonexistent/l.txt"}),
                        3, "/nonexistent/l.txt");
}

TEST(CliRun, ThreadsAndMaxIsaGiveTheSameClass) {
  SKIP_WITHOUT_BINARY();
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--threads", "1"}, {"--max-isa", "scalar"}, {"--threads", "2", "--max-isa", "avx2"}}) {
    std::vector<std::string> args = {"run", "--model", src(kCnn), "--input", src("models/samples/sample_6_coat.png")};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = run_fastserve(args);
    ASSERT_EQ(r.exit_code, 0) << extra[0] << ": " << r.err;
    EXPECT_EQ(top1_label(r.out), "Coat") << r.out;
  }
}

TEST(CliRun, MeanAndStdFlagsOverrideMetadata) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  const std::string img = src("models/samples/sample_4_shirt.png");
  ASSERT_EQ(run_fastserve({"run", "--model", src(kCnn), "--input", img, "--output", dir.file("a.npy")}).exit_code, 0);
  // The metadata's own values: same logits.
  ASSERT_EQ(run_fastserve({"run", "--model", src(kCnn), "--input", img, "--mean", "0.286", "--std", "0.353",
                           "--output", dir.file("b.npy")})
                .exit_code,
            0);
  ASSERT_EQ(run_fastserve({"run", "--model", src(kCnn), "--input", img, "--mean", "0.5", "--std", "0.25",
                           "--output", dir.file("c.npy")})
                .exit_code,
            0);
  Result<Tensor> a = read_npy(dir.file("a.npy")), b = read_npy(dir.file("b.npy")), c = read_npy(dir.file("c.npy"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(tensors_near(*b, *a, 1e-6, 1e-6));
  EXPECT_GT(error_stats(*c, *a).max_abs, 0.1);
  // A per-channel list with the wrong count for a grey model is an input error.
  expect_one_line_error(run_fastserve({"run", "--model", src(kCnn), "--input", img, "--mean", "0.1,0.2"}), 3, "mean");
}

TEST(CliRun, SeveralNpyInputsAndNonClassifierSummary) {
  SKIP_WITHOUT_BINARY();
  ScratchDir dir;
  // y = a + b (broadcast) * c style model with two outputs: prints a summary, no top-k.
  ASSERT_TRUE(write_npy(dir.file("a.npy"), Tensor::zeros(DType::kF32, Shape{2, 3, 4})).ok());
  ASSERT_TRUE(write_npy(dir.file("b.npy"), Tensor::from_vector(std::vector<float>{1, 2, 3}, Shape{1, 3, 1})).ok());
  ASSERT_TRUE(write_npy(dir.file("c.npy"), Tensor::from_vector(std::vector<float>{1, 1, 1}, Shape{3, 1})).ok());
  const std::string model = src("tests/data/models/dims_symbolic_static.onnx");
  std::vector<std::string> args = {"run", "--model", model, "--input", "a=" + dir.file("a.npy"),
                                   "--input", "b=" + dir.file("b.npy"), "--input", "c=" + dir.file("c.npy"),
                                   "--output", dir.file("y.npy")};
  ProcessResult r = run_fastserve(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("outputs:\n  y: float32[2,3,4]  min "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  y_mean: float32[2,3]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("top-"), std::string::npos) << r.out;
  Result<Tensor> y = read_npy(dir.file("y.npy"));
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->shape(), (Shape{2, 3, 4}));
  args.push_back("--json");
  r = run_fastserve(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("{\"name\":\"y\",\"dtype\":\"float32\",\"shape\":[2,3,4],\"min\":"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("\"topk\""), std::string::npos) << r.out;
}

TEST(CliRun, ModelWithoutMetadataWarnsUnlessLogLevelHidesIt) {
  SKIP_WITHOUT_BINARY();
  // conv_matmul_opset21: input x [N,1,8,8], no fastserve.* metadata: the
  // image spec comes from the shape, mean 0 / std 1, with a warning.
  const std::vector<std::string> args = {"run", "--model", src("tests/data/models/conv_matmul_opset21.onnx"),
                                         "--input", src("models/samples/sample_0_ankle_boot.png")};
  ProcessResult r = run_fastserve(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fastserve: warning: model has no fastserve.image.mean"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("(class "), std::string::npos) << r.out;  // no labels: class indices
  std::vector<std::string> quiet = args;
  quiet.insert(quiet.end(), {"--log-level", "error"});
  r = run_fastserve(quiet);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  // --resize never: the 28x28 sample does not fit 8x8.
  std::vector<std::string> never = quiet;
  never.insert(never.end(), {"--resize", "never"});
  expect_one_line_error(run_fastserve(never), 3, "is 28x28, model 'x' expects 8x8");
}

}  // namespace
}  // namespace fastserve::testing
