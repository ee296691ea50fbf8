// The CUDA backend: device discovery, a caching device allocator and copies.
// Compiled only when nvcc is found (cmake/cuda.cmake). Op kernels live in
// kernels/cuda/; this file holds no op code. Streams, pinned memory and
// CUDA graphs arrive with the CUDA issue.
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/backend.h"

namespace fastserve {
namespace {

std::string cuda_error(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

// Keeps freed blocks by exact size for reuse: cudaMalloc/cudaFree synchronize
// the device and cost tens of microseconds, too much per inference.
class CudaCachingAllocator final : public Allocator {
 public:
  explicit CudaCachingAllocator(int device) : device_(device) {}
  ~CudaCachingAllocator() override {
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) cudaFree(p);
  }
  void* allocate(size_t bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(bytes);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      sizes_[p] = bytes;
      return p;
    }
    cudaSetDevice(device_);
    void* p = nullptr;
    if (cudaMalloc(&p, bytes == 0 ? 1 : bytes) != cudaSuccess) return nullptr;
    sizes_[p] = bytes;
    return p;
  }
  void deallocate(void* p) override {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return;
    free_[it->second].push_back(p);
    sizes_.erase(it);
  }
  Device device() const override { return Device::kCuda; }

 private:
  int device_;
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  std::map<void*, size_t> sizes_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(int index, std::string name) : index_(index), name_(std::move(name)), allocator_(index) {}
  Device device() const override { return Device::kCuda; }
  std::string description() const override { return "cuda:" + std::to_string(index_) + " (" + name_ + ")"; }
  Allocator& allocator() override { return allocator_; }
  Status copy_to_device(void* dst, const void* src, size_t bytes) override {
    cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
    return e == cudaSuccess ? ok_status() : internal_error("cudaMemcpy to device: " + cuda_error(e));
  }
  Status copy_to_host(void* dst, const void* src, size_t bytes) override {
    cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
    return e == cudaSuccess ? ok_status() : internal_error("cudaMemcpy to host: " + cuda_error(e));
  }

 private:
  int index_;
  std::string name_;
  CudaCachingAllocator allocator_;
};

}  // namespace

Result<Backend*> cuda_backend(int index) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<CudaBackend>> backends;
  std::lock_guard<std::mutex> lock(mu);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    return Status(StatusCode::kUnavailable,
                  "no CUDA device visible" + (e != cudaSuccess ? " (" + cuda_error(e) + ")" : std::string()));
  }
  if (index < 0 || index >= count) {
    return Status(StatusCode::kInvalidArgument,
                  "cuda:" + std::to_string(index) + " does not exist (" + std::to_string(count) + " visible)");
  }
  auto& slot = backends[index];
  if (!slot) {
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, index);
    slot = std::make_unique<CudaBackend>(index, prop.name);
  }
  return static_cast<Backend*>(slot.get());
}

}  // namespace fastserve
