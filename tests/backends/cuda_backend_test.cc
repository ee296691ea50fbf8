// The CUDA backend: discovery, allocator and a kernel, checked against the CPU.
// Skips with the reason when CUDA is not built or no GPU is visible.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "runtime/backend.h"
#ifdef FASTSERVE_HAVE_CUDA
#include "kernels/cuda/relu/relu.h"
#endif

namespace fastserve {
namespace {

TEST(CudaBackend, ReluMatchesCpuOrSkipsWithReason) {
  Result<Backend*> backend = find_backend(Device::kCuda);
  if (!backend.ok()) GTEST_SKIP() << "CUDA unavailable: " << backend.status().message();
#ifdef FASTSERVE_HAVE_CUDA
  Backend* cuda = backend.value();
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (int64_t n : {1, 255, 256, 257, 100003}) {
    std::vector<float> x(n), y(n, 42.f);
    for (auto& v : x) v = dist(rng);
    size_t bytes = n * sizeof(float);
    void* dx = cuda->allocator().allocate(bytes);
    void* dy = cuda->allocator().allocate(bytes);
    ASSERT_NE(dx, nullptr);
    ASSERT_NE(dy, nullptr);
    ASSERT_TRUE(cuda->copy_to_device(dx, x.data(), bytes).ok());
    ASSERT_TRUE(relu_f32_cuda(static_cast<const float*>(dx), static_cast<float*>(dy), n).ok());
    ASSERT_TRUE(cuda->copy_to_host(y.data(), dy, bytes).ok());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], x[i] > 0 ? x[i] : 0.f) << "n=" << n << " i=" << i;
    cuda->allocator().deallocate(dx);
    cuda->allocator().deallocate(dy);
  }
#endif
}

TEST(CpuBackend, IsAlwaysAvailable) {
  Result<Backend*> backend = find_backend(Device::kCpu);
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(backend.value()->device(), Device::kCpu);
  void* p = backend.value()->allocator().allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  backend.value()->allocator().deallocate(p);
}

}  // namespace
}  // namespace fastserve
