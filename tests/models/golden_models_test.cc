// Whole models against ONNX Runtime: every folder of tests/golden (ORT's
// inputs and outputs as .npy, see tests/golden/README.md) is run through
// load_onnx_model + Session with the host's best kernels and with the
// portable scalar ones, on 1 and 2 threads, and every output is compared
// with ORT's. The folders are discovered when the test binary starts, so a
// new golden is picked up without touching this file.
//
// Also: fashion_mnist_cnn on the full Fashion-MNIST test set (accuracy and
// agreement with ORT's predictions), and one Session run from several
// threads at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/npy.h"
#include "data/fashion_mnist.h"
#include "data/image_preprocess.h"
#include "data/topk.h"
#include "fastserve/session.h"
#include "onnx/onnx_reader.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

namespace fs = std::filesystem;

// ORT's float outputs must be matched this closely (absolute).
constexpr double kMaxAbsError = 1e-4;

std::string golden_root() { return source_path("tests/golden"); }

// ---------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------

// One golden file: input_<i>_<name>.npy / output_<i>_<name>.npy.
struct GoldenFile {
  int index = 0;
  std::string name;  // the tensor name with [^A-Za-z0-9_] replaced by '_'
  std::string path;
};

// One set of inputs with ORT's outputs for them. Files may carry a prefix
// ("testset8_input_0_input.npy"): each prefix is its own case; no prefix is
// the case "random".
struct GoldenCase {
  std::string name;
  std::vector<GoldenFile> inputs;
  std::vector<GoldenFile> outputs;
};

// Every folder under tests/golden, sorted. Runs at test registration.
std::vector<std::string> golden_folders() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(golden_root(), ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// models/<name>.onnx (the demo models) or tests/data/models/<name>.onnx; "" if neither.
std::string model_path_for(const std::string& folder) {
  for (const std::string& candidate :
       {source_path("models/" + folder + ".onnx"), source_path("tests/data/models/" + folder + ".onnx")}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

// Groups the folder's .npy files into cases; files that are not
// input_*/output_* (labels, ORT's test-set predictions) are not cases.
std::vector<GoldenCase> golden_cases(const std::string& dir) {
  static const std::regex kPattern(R"(^(.*?)(input|output)_([0-9]+)_([A-Za-z0-9_]+)\.npy$)");
  std::map<std::string, GoldenCase> by_prefix;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    std::smatch m;
    if (!e.is_regular_file() || !std::regex_match(file, m, kPattern)) continue;
    std::string prefix = m[1].str();
    if (!prefix.empty() && prefix.back() != '_') continue;  // "myinput_0_x": not ours
    if (!prefix.empty()) prefix.pop_back();
    GoldenCase& c = by_prefix[prefix];
    c.name = prefix.empty() ? "random" : prefix;
    GoldenFile f{std::stoi(m[3].str()), m[4].str(), e.path().string()};
    (m[2].str() == "input" ? c.inputs : c.outputs).push_back(std::move(f));
  }
  std::vector<GoldenCase> cases;
  for (auto& [prefix, c] : by_prefix) {
    // By index as a number: output_2 before output_10.
    for (auto* files : {&c.inputs, &c.outputs}) {
      std::sort(files->begin(), files->end(), [](const GoldenFile& a, const GoldenFile& b) { return a.index < b.index; });
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// The golden files' tensor names: every character outside [A-Za-z0-9_] becomes '_'.
std::string sanitize(const std::string& name) {
  std::string s = name;
  for (char& ch : s) {
    const bool keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    if (!keep) ch = '_';
  }
  return s;
}

// ---------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------

struct RunConfig {
  std::string max_isa;  // "" = the host's best
  int threads = 1;

  std::string label() const {
    return "isa=" + (max_isa.empty() ? std::string("host") : max_isa) + " threads=" + std::to_string(threads);
  }
  SessionOptions options() const {
    SessionOptions o;
    o.max_isa = max_isa;
    o.num_threads = threads;
    return o;
  }
};

const std::vector<RunConfig>& run_configs() {
  static const std::vector<RunConfig> kConfigs = {{"", 1}, {"", 2}, {"scalar", 1}, {"scalar", 2}};
  return kConfigs;
}

std::string format_error(double v) {
  std::ostringstream os;
  os.precision(2);
  os << std::scientific << v;
  return os.str();
}

// Checks one output against ORT's: dtype and shape equal; floats within
// kMaxAbsError (NaN where ORT has NaN); integers and bools exactly. Adds the
// error figures to `stats`.
::testing::AssertionResult output_matches(const Tensor& actual, const Tensor& expected, ErrorStats* stats) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "got " << actual.to_string() << ", ORT has " << expected.to_string();
  }
  if (!dtype_is_float(expected.dtype())) {
    for (int64_t i = 0; i < expected.numel(); ++i) {
      if (actual.element_as_int64(i) != expected.element_as_int64(i)) {
        return ::testing::AssertionFailure() << "element " << i << " is " << actual.element_as_int64(i)
                                             << ", ORT has " << expected.element_as_int64(i) << " ("
                                             << expected.to_string() << ", exact match required)";
      }
    }
    return ::testing::AssertionSuccess();
  }
  const ErrorStats s = error_stats(actual, expected);
  stats->max_abs = std::max(stats->max_abs, s.max_abs);
  stats->max_rel = std::max(stats->max_rel, s.max_rel);
  // tensors_near finds the first mismatches (and NaN/inf disagreements) for the message.
  return tensors_near(actual, expected, kMaxAbsError, 0.0);
}

// Reads the case's inputs, feeding each to the session input of the same
// (sanitized) name. Failure when a file names no input of the model.
::testing::AssertionResult read_inputs(const Session& session, const GoldenCase& c, std::vector<NamedTensor>* feeds) {
  for (const GoldenFile& f : c.inputs) {
    auto it = std::find_if(session.inputs().begin(), session.inputs().end(),
                           [&](const IoInfo& in) { return sanitize(in.name) == f.name; });
    if (it == session.inputs().end()) {
      return ::testing::AssertionFailure() << f.path << " names no graph input of the model";
    }
    Result<Tensor> t = read_npy(f.path);
    if (!t.ok()) return ::testing::AssertionFailure() << t.status().to_string();
    feeds->push_back({it->name, std::move(t).value()});
  }
  return ::testing::AssertionSuccess();
}

class GoldenModels : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenModels, OutputsMatchOnnxRuntime) {
  const std::string folder = GetParam();
  const std::string dir = golden_root() + "/" + folder;
  const std::string model_path = model_path_for(folder);
  ASSERT_FALSE(model_path.empty()) << "tests/golden/" << folder
                                   << " has no model: expected models/" << folder << ".onnx or tests/data/models/"
                                   << folder << ".onnx";
  Result<std::shared_ptr<Model>> model = load_onnx_model(model_path);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const std::vector<GoldenCase> cases = golden_cases(dir);
  ASSERT_FALSE(cases.empty()) << dir << " has no input_<i>_<name>.npy / output_<i>_<name>.npy files";

  for (const RunConfig& config : run_configs()) {
    Result<std::unique_ptr<Session>> session = Session::create(*model, config.options());
    ASSERT_TRUE(session.ok()) << config.label() << ": " << session.status().to_string();
    const Session& sess = **session;
    for (const GoldenCase& c : cases) {
      SCOPED_TRACE(folder + " " + c.name + " [" + config.label() + "]");
      ASSERT_FALSE(c.outputs.empty()) << dir << ": case '" << c.name << "' has inputs but no output files";
      // Every graph output must have ORT's value, under its own index and name.
      ASSERT_EQ(c.outputs.size(), sess.outputs().size()) << "golden output files vs graph outputs";
      for (size_t i = 0; i < c.outputs.size(); ++i) {
        ASSERT_EQ(c.outputs[i].index, static_cast<int>(i)) << c.outputs[i].path << ": output indices must be 0..n-1";
        ASSERT_EQ(c.outputs[i].name, sanitize(sess.outputs()[i].name)) << c.outputs[i].path;
      }
      std::vector<NamedTensor> feeds;
      ASSERT_TRUE(read_inputs(sess, c, &feeds));
      Result<std::vector<NamedTensor>> outs = sess.run(feeds);
      ASSERT_TRUE(outs.ok()) << outs.status().to_string();
      ASSERT_EQ(outs->size(), c.outputs.size());

      ErrorStats stats;
      for (size_t i = 0; i < c.outputs.size(); ++i) {
        Result<Tensor> expected = read_npy(c.outputs[i].path);
        ASSERT_TRUE(expected.ok()) << expected.status().to_string();
        EXPECT_TRUE(output_matches((*outs)[i].tensor, *expected, &stats))
            << "output " << i << " '" << (*outs)[i].name << "' vs " << c.outputs[i].path;
      }
      const std::string figures = "max_abs=" + format_error(stats.max_abs) + " max_rel=" + format_error(stats.max_rel);
      std::cout << folder << " " << c.name << " [" << config.label() << "]: " << figures << "\n";
      const std::string key = c.name + (config.max_isa.empty() ? "_host" : "_" + config.max_isa) + "_t" +
                              std::to_string(config.threads);
      RecordProperty(key + "_max_abs", format_error(stats.max_abs));
      RecordProperty(key + "_max_rel", format_error(stats.max_rel));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(/* no prefix: names stay GoldenModels.* */, GoldenModels, ::testing::ValuesIn(golden_folders()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return sanitize(info.param); });

// The discovery itself: a missing or renamed tests/golden must not turn the
// suite above into zero tests that pass.
TEST(GoldenModelsDiscovery, FindsTheShippedGoldens) {
  const std::vector<std::string> folders = golden_folders();
  EXPECT_GE(folders.size(), 14u);
  for (const char* name : {"fashion_mnist_cnn", "tiny_cnn", "cast_chain", "shape_arith", "conv_matmul_opset11"}) {
    EXPECT_NE(std::find(folders.begin(), folders.end(), name), folders.end()) << name;
  }
  // output_10_* sorts after output_9_* (by number, not by text).
  const std::vector<GoldenCase> cases = golden_cases(golden_root() + "/ops_softmax_shape");
  ASSERT_EQ(cases.size(), 1u);
  ASSERT_EQ(cases[0].outputs.size(), 11u);
  EXPECT_EQ(cases[0].outputs[10].index, 10);
  EXPECT_EQ(cases[0].outputs[10].name, "mean_all");
  EXPECT_EQ(cases[0].outputs[1].name, "logsoftmax_ax1");
  // The demo models have two cases; labels and predictions are not cases.
  const std::vector<GoldenCase> cnn = golden_cases(golden_root() + "/fashion_mnist_cnn");
  ASSERT_EQ(cnn.size(), 2u);
  EXPECT_EQ(cnn[0].name, "random");
  EXPECT_EQ(cnn[1].name, "testset8");
  EXPECT_EQ(cnn[1].inputs.size(), 1u);
  EXPECT_EQ(cnn[1].outputs.size(), 1u);
}

// ---------------------------------------------------------------------------
// fashion_mnist_cnn on the real test set
// ---------------------------------------------------------------------------

std::shared_ptr<Model> load_cnn() {
  Result<std::shared_ptr<Model>> m = load_onnx_model(source_path("models/fashion_mnist_cnn.onnx"));
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? *m : nullptr;
}

// Preprocesses images [start, start + n) of the test set into one batch,
// exactly as `fastserve eval` does (src/cli/eval_command.cc): each grey
// 28x28 image through preprocess_image with the model's image spec.
Result<Tensor> preprocess_batch(const Dataset& ds, int64_t start, int64_t n, const ImageSpec& spec,
                                const std::string& input_name) {
  const int64_t sample = int64_t{spec.channels} * spec.height * spec.width;
  Tensor x = Tensor::empty(DType::kF32, Shape{n, spec.channels, spec.height, spec.width});
  for (int64_t i = 0; i < n; ++i) {
    Image img;
    img.width = ds.cols;
    img.height = ds.rows;
    img.channels = 1;
    img.pixels.assign(ds.image(start + i), ds.image(start + i) + int64_t{ds.rows} * ds.cols);
    FS_RETURN_IF_ERROR(preprocess_image(img, spec, ResizePolicy::kAuto, "image #" + std::to_string(start + i),
                                        input_name, x.data<float>() + i * sample));
  }
  return x;
}

TEST(GoldenModelsFashionMnist, FullTestSetAccuracyAndAgreementWithOrt) {
  const std::string data_dir(kFashionMnistDefaultDir);
  if (!fs::exists(data_dir + "/t10k-images-idx3-ubyte.gz") || !fs::exists(data_dir + "/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST test set not installed in " << data_dir;
  }
  std::shared_ptr<Model> model = load_cnn();
  ASSERT_NE(model, nullptr);
  Result<std::unique_ptr<Session>> session = Session::create(model);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  const Session& sess = **session;
  ASSERT_EQ(sess.inputs().size(), 1u);
  const IoInfo& in = sess.inputs()[0];
  Result<ImageSpec> spec = resolve_image_spec(model->metadata, in.name, in.shape);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  ASSERT_EQ(spec->layout, TensorLayout::kNCHW);

  Result<Dataset> ds = load_fashion_mnist(data_dir, "t10k");
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  ASSERT_EQ(ds->count, 10000);
  Result<Tensor> ort_preds = read_npy(source_path("tests/golden/fashion_mnist_cnn/ort_test_predictions.npy"));
  ASSERT_TRUE(ort_preds.ok()) << ort_preds.status().to_string();
  ASSERT_EQ(ort_preds->dtype(), DType::kU8);
  ASSERT_EQ(ort_preds->numel(), ds->count);

  // Our preprocessing must give the very floats the golden inputs were made
  // from (Python: (pixel/255 - mean)/std in float32): bit for bit.
  {
    Result<Tensor> first8 = preprocess_batch(*ds, 0, 8, *spec, in.name);
    ASSERT_TRUE(first8.ok()) << first8.status().to_string();
    Result<Tensor> golden8 = read_npy(source_path("tests/golden/fashion_mnist_cnn/testset8_input_0_input.npy"));
    ASSERT_TRUE(golden8.ok()) << golden8.status().to_string();
    ASSERT_EQ(first8->shape(), golden8->shape());
    EXPECT_EQ(std::memcmp(first8->raw_data(), golden8->raw_data(), golden8->nbytes()), 0)
        << "preprocessing differs from the golden testset8 input";
  }

  constexpr int64_t kBatch = 100;
  int64_t correct = 0, same_as_ort = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t start = 0; start < ds->count; start += kBatch) {
    const int64_t n = std::min(kBatch, ds->count - start);
    Result<Tensor> x = preprocess_batch(*ds, start, n, *spec, in.name);
    ASSERT_TRUE(x.ok()) << x.status().to_string();
    NamedTensor feed{in.name, std::move(x).value()};
    Result<std::vector<NamedTensor>> outs = sess.run(std::span<const NamedTensor>(&feed, 1));
    ASSERT_TRUE(outs.ok()) << outs.status().to_string();
    const Tensor& y = (*outs)[0].tensor;
    ASSERT_EQ(y.shape(), (Shape{n, 10}));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pred = argmax(std::span<const float>(y.data<float>() + i * 10, 10));
      correct += pred == ds->labels[static_cast<size_t>(start + i)];
      same_as_ort += pred == ort_preds->data<uint8_t>()[start + i];
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double accuracy = static_cast<double>(correct) / static_cast<double>(ds->count);
  const double agreement = static_cast<double>(same_as_ort) / static_cast<double>(ds->count);
  std::cout << "fashion_mnist_cnn t10k: accuracy=" << accuracy << " (" << correct << "/" << ds->count
            << "), same class as ORT=" << agreement << " (" << same_as_ort << "/" << ds->count << "), " << seconds
            << " s\n";
  RecordProperty("accuracy", std::to_string(accuracy));
  RecordProperty("agreement_with_ort", std::to_string(agreement));
  EXPECT_GE(accuracy, 0.90);
  EXPECT_GE(agreement, 0.999);
}

// ---------------------------------------------------------------------------
// One Session, several threads
// ---------------------------------------------------------------------------

// Session::run is const and documented safe to call concurrently. Four
// threads each run their own input (different batch sizes, so a buffer
// shared by mistake between runs would show) 20 times; every output must be
// bit-identical to the same input run alone.
TEST(GoldenModelsConcurrency, OneSessionFromFourThreadsMatchesSerialRuns) {
  std::shared_ptr<Model> model = load_cnn();
  ASSERT_NE(model, nullptr);
  Result<std::unique_ptr<Session>> session = Session::create(model);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  const Session& sess = **session;
  const std::string input_name = sess.inputs().at(0).name;

  Result<Tensor> random4 = read_npy(source_path("tests/golden/fashion_mnist_cnn/input_0_input.npy"));
  Result<Tensor> test8 = read_npy(source_path("tests/golden/fashion_mnist_cnn/testset8_input_0_input.npy"));
  ASSERT_TRUE(random4.ok()) << random4.status().to_string();
  ASSERT_TRUE(test8.ok()) << test8.status().to_string();
  // A batch of 3 (first 3 test images) and a batch of 1 (the negated first random image).
  Tensor test3 = Tensor::empty(DType::kF32, Shape{3, 1, 28, 28});
  std::memcpy(test3.raw_data(), test8->raw_data(), test3.nbytes());
  Tensor neg1 = Tensor::empty(DType::kF32, Shape{1, 1, 28, 28});
  for (int64_t i = 0; i < neg1.numel(); ++i) neg1.data<float>()[i] = -random4->data<float>()[i];
  const std::vector<Tensor> inputs = {*random4, *test8, test3, neg1};

  std::vector<Tensor> expected;
  for (const Tensor& x : inputs) {
    NamedTensor feed{input_name, x};
    Result<std::vector<NamedTensor>> outs = sess.run(std::span<const NamedTensor>(&feed, 1));
    ASSERT_TRUE(outs.ok()) << outs.status().to_string();
    expected.push_back((*outs)[0].tensor);
  }

  constexpr int kThreads = 4, kRuns = 20;
  std::vector<std::string> errors(kThreads);  // first problem per thread, checked after join
  std::vector<int> good_runs(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const NamedTensor feed{input_name, inputs[static_cast<size_t>(t)]};
      const Tensor& want = expected[static_cast<size_t>(t)];
      for (int r = 0; r < kRuns; ++r) {
        Result<std::vector<NamedTensor>> outs = sess.run(std::span<const NamedTensor>(&feed, 1));
        if (!outs.ok()) {
          errors[static_cast<size_t>(t)] = "run " + std::to_string(r) + ": " + outs.status().to_string();
          return;
        }
        const Tensor& got = (*outs)[0].tensor;
        if (got.shape() != want.shape() || std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()) != 0) {
          errors[static_cast<size_t>(t)] = "run " + std::to_string(r) + ": output differs from the serial run";
          return;
        }
        ++good_runs[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[static_cast<size_t>(t)], "") << "thread " << t << " (input " << inputs[static_cast<size_t>(t)].to_string() << ")";
    EXPECT_EQ(good_runs[static_cast<size_t>(t)], kRuns) << "thread " << t;
  }
}

}  // namespace
}  // namespace fastserve::testing
