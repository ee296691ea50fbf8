// SessionOptions::kernels = "onednn" on the shipped Fashion-MNIST CNN: the
// same outputs as our kernels, oneDNN chosen for every Conv/Gemm (and BN,
// Relu, MaxPool) node and ours for the rest, several batch sizes through one
// session (primitives per shape), and concurrent runs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/npy.h"
#include "fastserve/session.h"
#include "onnx/onnx_reader.h"
#include "tests/kernels/onednn/onednn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

std::shared_ptr<Model> load_cnn() {
  Result<std::shared_ptr<Model>> m = load_onnx_model(testing::source_path("models/fashion_mnist_cnn.onnx"));
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? m.value() : nullptr;
}

std::unique_ptr<Session> make_session(std::shared_ptr<Model> model, const std::string& kernels,
                                      int threads = 2) {
  SessionOptions options;
  options.kernels = kernels;
  options.num_threads = threads;
  Result<std::unique_ptr<Session>> s = Session::create(std::move(model), options);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

// The first `n` images of the golden test-set batch (8 images, [8,1,28,28]).
Tensor images(int64_t n) {
  Result<Tensor> all =
      read_npy(testing::source_path("tests/golden/fashion_mnist_cnn/testset8_input_0_input.npy"));
  EXPECT_TRUE(all.ok()) << all.status().to_string();
  const int64_t per_image = 28 * 28;
  std::vector<float> v(all->data<float>(), all->data<float>() + n * per_image);
  return Tensor::from_vector(v, Shape{n, 1, 28, 28});
}

Tensor run_once(const Session& s, const Tensor& x) {
  const NamedTensor in{s.inputs()[0].name, x};
  Result<std::vector<NamedTensor>> out = s.run(std::span<const NamedTensor>(&in, 1));
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0].tensor : Tensor();
}

TEST(OneDnnSession, FashionMnistMatchesOurKernelsAtEveryBatchSize) {
  SKIP_WITHOUT_ONEDNN();
  std::shared_ptr<Model> model = load_cnn();
  ASSERT_NE(model, nullptr);
  std::unique_ptr<Session> ours = make_session(model, "auto");
  std::unique_ptr<Session> dnnl = make_session(model, "onednn");
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(dnnl, nullptr);
  // The batch dim is symbolic: each size builds its own primitives; 8 again reuses them.
  for (int64_t batch : {8, 1, 3, 8}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const Tensor x = images(batch);
    const Tensor expected = run_once(*ours, x), actual = run_once(*dnnl, x);
    EXPECT_TRUE(testing::tensors_near(actual, expected, 1e-4, 0))
        << "max abs error " << testing::error_stats(actual, expected).max_abs;
  }
}

TEST(OneDnnSession, KernelChoicesShowOneDnnForTheOpsItCovers) {
  SKIP_WITHOUT_ONEDNN();
  std::shared_ptr<Model> model = load_cnn();
  ASSERT_NE(model, nullptr);
  std::unique_ptr<Session> dnnl = make_session(model, "onednn");
  ASSERT_NE(dnnl, nullptr);
  int conv_gemm = 0;
  for (const KernelChoice& c : dnnl->kernel_choices()) {
    SCOPED_TRACE(c.op_type + " " + c.node_name + ": " + c.kernel_name);
    const bool covered = c.op_type == "Conv" || c.op_type == "Gemm" || c.op_type == "BatchNormalization" ||
                         c.op_type == "Relu" || c.op_type == "MaxPool";
    EXPECT_EQ(c.provider, covered ? kProviderOneDnn : kProviderFastServe);
    EXPECT_EQ(c.kernel_name.ends_with("__onednn"), covered);
    if (c.op_type == "Conv" || c.op_type == "Gemm") ++conv_gemm;
  }
  EXPECT_EQ(conv_gemm, 4);  // 2 Conv + 2 Gemm
  for (const char* kernels : {"auto", "fastserve"}) {
    std::unique_ptr<Session> ours = make_session(model, kernels);
    ASSERT_NE(ours, nullptr);
    for (const KernelChoice& c : ours->kernel_choices()) EXPECT_EQ(c.provider, kProviderFastServe) << kernels;
  }
}

TEST(OneDnnSession, ConcurrentRunsGiveIdenticalResults) {
  SKIP_WITHOUT_ONEDNN();
  std::shared_ptr<Model> model = load_cnn();
  ASSERT_NE(model, nullptr);
  std::unique_ptr<Session> dnnl = make_session(model, "onednn", 2);
  ASSERT_NE(dnnl, nullptr);
  const Tensor x = images(8);
  const Tensor expected = run_once(*dnnl, x);
  std::vector<Tensor> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    // Different batch sizes on different threads also fill the primitive cache concurrently.
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i)
        results[t] = run_once(*dnnl, images(t % 2 == 0 ? 8 : static_cast<int64_t>(t)));
    });
  }
  for (std::thread& th : threads) th.join();
  for (size_t t = 0; t < results.size(); t += 2)
    EXPECT_TRUE(testing::tensors_near(results[t], expected, 0, 0));
}

TEST(OneDnnSession, WithoutOneDnnTheProviderIsReportedMissing) {
  if (KernelRegistry::global().has_provider(kProviderOneDnn)) GTEST_SKIP() << "this build has oneDNN";
  SessionOptions options;
  options.kernels = "onednn";
  Result<std::unique_ptr<Session>> s = Session::create(load_cnn(), options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("kernel provider 'onednn' is not in this build"), std::string::npos)
      << s.status().message();
}

}  // namespace
}  // namespace fastserve
