// `fastserve eval` on the real Fashion-MNIST test set and `fastserve inspect`.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "core/npy.h"
#include "data/fashion_mnist.h"
#include "onnx/onnx_reader.h"
#include "tests/cli/cli_harness.h"
#include "tests/onnx/proto_builder.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

#define SKIP_WITHOUT_BINARY()                                                          \
  do {                                                                                 \
    if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";      \
  } while (0)
#define SKIP_WITHOUT_DATASET()                                                                     \
  do {                                                                                             \
    if (!std::filesystem::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz")) \
      GTEST_SKIP() << "Fashion-MNIST not installed in " << kFashionMnistDefaultDir;                \
  } while (0)

const std::string kCnn = "models/fashion_mnist_cnn.onnx";
std::string src(const std::string& rel) { return source_path(rel); }

// fashion_mnist_cnn: Conv(1->16,3x3,pad 1)-BN-Relu-MaxPool2-Conv(16->32)-BN-Relu-MaxPool2-Flatten
// -Gemm(1568->h)-Relu-Gemm(h->10). The hidden width h is read from the file (Gemm 1's weight).
int64_t cnn_hidden_units() {
  Result<std::shared_ptr<Model>> m = load_onnx_model(source_path("models/fashion_mnist_cnn.onnx"));
  if (!m.ok()) return -1;
  for (const Node& n : (*m)->graph.nodes) {
    if (n.op_type == "Gemm") return (*m)->graph.values[static_cast<size_t>(n.inputs[1])].initializer.dim(0);
  }
  return -1;
}
// Conv weights+bias, BN scale/bias/mean/var, Gemm weights+bias.
int64_t cnn_parameters(int64_t h) { return (16 * 9 + 16) + 4 * 16 + (32 * 16 * 9 + 32) + 4 * 32 + (1568 * h + h) + (h * 10 + 10); }
// Per sample: conv 2*MACs + bias adds, BN 2/element, Relu 1/element, MaxPool 2x2 4/output, Gemm 2*MNK + bias.
int64_t cnn_flops(int64_t h) {
  const int64_t conv = (2 * 16 * 28 * 28 * 9 + 16 * 28 * 28) + (2 * 32 * 14 * 14 * 16 * 9 + 32 * 14 * 14);
  const int64_t bn = 2 * (16 * 28 * 28 + 32 * 14 * 14), relu = 16 * 28 * 28 + 32 * 14 * 14 + h;
  const int64_t pool = 4 * (16 * 14 * 14 + 32 * 7 * 7), gemm = (2 * 1568 * h + h) + (2 * h * 10 + 10);
  return conv + bn + relu + pool + gemm;
}

double parse_accuracy(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(accuracy: ([0-9.]+) \(([0-9]+)/([0-9]+) correct\))"))) return -1;
  return std::stod(m[1].str());
}

void expect_one_line_error(const ProcessResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  std::vector<std::string> lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("fastserve: error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(needle), std::string::npos) << lines[0];
}

TEST(CliEval, AccuracyOnFirst200AndPredictionsMatchLabels) {
  SKIP_WITHOUT_BINARY();
  SKIP_WITHOUT_DATASET();
  ScratchDir dir;
  ProcessResult r = run_fastserve({"eval", "--model", src(kCnn), "--dataset", "fashion-mnist", "--limit", "200",
                                   "--predictions", dir.file("pred.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double acc = parse_accuracy(r.out);
  EXPECT_GE(acc, 0.85) << r.out;
  EXPECT_NE(r.out.find("(200 images)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images/s: "), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << "not a TTY: no progress bar, no logs: " << r.err;

  // The predictions file agrees with the printed accuracy.
  Result<Tensor> pred = read_npy(dir.file("pred.npy"));
  ASSERT_TRUE(pred.ok()) << pred.status().to_string();
  ASSERT_EQ(pred->dtype(), DType::kU8);
  ASSERT_EQ(pred->shape(), (Shape{200}));
  Result<Dataset> ds = load_fashion_mnist(std::string(kFashionMnistDefaultDir));
  ASSERT_TRUE(ds.ok());
  int correct = 0;
  for (int i = 0; i < 200; ++i) correct += pred->data<uint8_t>()[i] == ds->labels[static_cast<size_t>(i)];
  EXPECT_NEAR(acc, correct / 200.0, 1e-4);

  // Same predictions as ONNX Runtime on nearly every image (golden file).
  const std::string ort = src("tests/golden/fashion_mnist_cnn/ort_test_predictions.npy");
  if (std::filesystem::exists(ort)) {
    Result<Tensor> ref = read_npy(ort);
    ASSERT_TRUE(ref.ok());
    int same = 0;
    for (int i = 0; i < 200; ++i) same += pred->data<uint8_t>()[i] == ref->data<uint8_t>()[i];
    EXPECT_GE(same, 199);
  }
}

TEST(CliEval, BatchSizeDoesNotChangePredictions) {
  SKIP_WITHOUT_BINARY();
  SKIP_WITHOUT_DATASET();
  ScratchDir dir;
  ProcessResult a = run_fastserve({"eval", "--model", src(kCnn), "--limit", "50", "--batch", "7", "--threads", "1",
                                   "--predictions", dir.file("a.npy")});
  ProcessResult b = run_fastserve({"eval", "--model", src("models/fashion_mnist_cnn.onnx"), "--limit", "50",
                                   "--batch", "64", "--predictions", dir.file("b.npy")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.out.find("batch 7, 1 threads"), std::string::npos) << a.out;
  EXPECT_EQ(read_file(dir.file("a.npy")), read_file(dir.file("b.npy")));
}

TEST(CliEval, JsonHasTheDocumentedKeys) {
  SKIP_WITHOUT_BINARY();
  SKIP_WITHOUT_DATASET();
  ProcessResult r = run_fastserve({"eval", "--model", src("models/tiny_cnn.onnx"), "--limit", "100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
  for (const char* key : {"\"dataset\":\"fashion-mnist\"", "\"count\":100,", "\"accuracy\":0.", "\"images_per_second\":",
                          "\"batch\":64"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
}

TEST(CliEval, ProgressBarOnlyOnATerminalAndNotWithQuiet) {
  SKIP_WITHOUT_BINARY();
  SKIP_WITHOUT_DATASET();
  ProcessResult tty = run_fastserve_on_pty({"eval", "--model", src(kCnn), "--limit", "300", "--batch", "32"});
  ASSERT_EQ(tty.exit_code, 0) << tty.out;
  EXPECT_NE(tty.out.find("eval ["), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[K"), std::string::npos);  // the bar is erased before the results
  EXPECT_NE(tty.out.find("accuracy: "), std::string::npos);
  ProcessResult quiet = run_fastserve_on_pty({"eval", "--model", src(kCnn), "--limit", "300", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_EQ(quiet.out.find("eval ["), std::string::npos) << quiet.out;
  EXPECT_NE(quiet.out.find("accuracy: "), std::string::npos);
}

TEST(CliEval, MissingDataDirAndUnknownDataset) {
  SKIP_WITHOUT_BINARY();
  expect_one_line_error(run_fastserve({"eval", "--model", src(kCnn), "--data-dir", "/nonexistent/fm"}), 3,
                        "/nonexistent/fm");
  expect_one_line_error(run_fastserve({"eval", "--model", src(kCnn), "--dataset", "cifar10"}), 2, "--dataset");
  ScratchDir dir;
  write_file(dir.file("t10k-images-idx3-ubyte.gz"), "not gzip, not idx");
  write_file(dir.file("t10k-labels-idx1-ubyte.gz"), "");
  expect_one_line_error(run_fastserve({"eval", "--model", src(kCnn), "--data-dir", dir.path().string()}), 3,
                        "t10k-images-idx3-ubyte.gz");
}

TEST(CliEval, ModelThatIsNotAnImageClassifierIsRejected) {
  SKIP_WITHOUT_BINARY();
  SKIP_WITHOUT_DATASET();
  expect_one_line_error(
      run_fastserve({"eval", "--model", src("tests/data/models/dims_symbolic_static.onnx"), "--limit", "10"}), 3,
      "one input");
}

TEST(CliInspect, PrintsIoOpsParametersAndFlops) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"inspect", "--model", src(kCnn)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  input: float32[batch,1,28,28]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  logits: float32[batch,10]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("opsets: ai.onnx 17"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n  Conv +2 )"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n  BatchNormalization +2)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n  Gemm +2 )"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n  MaxPool +2 )"))) << r.out;
  const int64_t h = cnn_hidden_units();
  ASSERT_GT(h, 0);
  EXPECT_NE(r.out.find("parameters: " + std::to_string(cnn_parameters(h)) + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FLOPs: " + std::to_string(cnn_flops(h)) + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input:batch taken as 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unsupported: none"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fastserve.image.mean = 0.286"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nactivations \(one run, symbolic dims as 1, level 3\): )"
                                                  R"(planned arena [0-9.]+ KiB, naive sum [0-9.]+ KiB\n)")))
      << r.out;
}

TEST(CliInspect, ListsUnsupportedOpsByNode) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"inspect", "--model", src("tests/data/models/unknown_ops.onnx")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("unsupported (2 nodes):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("activations: unknown (nodes without a kernel)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FooBar (node 'foo_node')"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NonMaxSuppressionX (node 'nms_x_node')"), std::string::npos) << r.out;
}

TEST(CliInspect, JsonHasTheDocumentedKeys) {
  SKIP_WITHOUT_BINARY();
  ProcessResult r = run_fastserve({"inspect", "--model", src(kCnn), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
  for (const char* key :
       {"\"inputs\":[{\"name\":\"input\",\"dtype\":\"float32\",\"shape\":[\"batch\",1,28,28]}]", "\"opsets\":{\"ai.onnx\":17}",
        "\"ops\":{", "\"Conv\":2", "\"flops\":{\"total\":",
        "\"assumed_one\":[\"input:batch\"]", "\"unsupported\":[]", "\"activation_bytes\":{\"planned\":"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
  const int64_t h = cnn_hidden_units();
  EXPECT_NE(r.out.find("\"parameters\":{\"count\":" + std::to_string(cnn_parameters(h)) + ","), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"flops\":{\"total\":" + std::to_string(cnn_flops(h)) + ","), std::string::npos) << r.out;
}

// An opset-7 model whose ops are unchanged up to 11 loads as opset 11; inspect
// says which opset the file imports (text and JSON).
TEST(CliInspect, OldOpsetModelShowsTheFilesOpset) {
  SKIP_WITHOUT_BINARY();
  GraphParts g;
  g.nodes = {node("And", {"a", "b"}, {"y"})};
  g.inputs = {value_info("a", kOnnxBool, {Dim{int64_t{3}}}), value_info("b", kOnnxBool, {Dim{int64_t{3}}})};
  g.outputs = {value_info("y", kOnnxBool, {Dim{int64_t{3}}})};
  ScratchDir dir;
  const std::string path = (dir.path() / "and7.onnx").string();
  write_file(path, model(graph(g), {{"", 7}}, 3));
  ProcessResult r = run_fastserve({"inspect", "--model", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("opsets: ai.onnx 11 (the file imports ai.onnx 7; every op is unchanged up to 11)"),
            std::string::npos)
      << r.out;
  ProcessResult j = run_fastserve({"inspect", "--model", path, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"opsets\":{\"ai.onnx\":11},\"upgraded_from_opset\":7,"), std::string::npos) << j.out;
}

}  // namespace
}  // namespace fastserve::testing
