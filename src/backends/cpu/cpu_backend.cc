// The CPU backend: host memory and memcpy. Kernels come from kernels/ref and
// kernels/cpu through the registry; this file holds no op code.
#include <cstring>

#include "backends/cpu/cpu_allocator.h"
#include "core/cpu_features.h"
#include "runtime/backend.h"

namespace fastserve {
namespace {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::kCpu; }
  std::string description() const override { return std::string("cpu (") + isa_name(host_isa()) + ")"; }
  Allocator& allocator() override { return allocator_; }
  Status copy_to_device(void* dst, const void* src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    return ok_status();
  }
  Status copy_to_host(void* dst, const void* src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    return ok_status();
  }

 private:
  CpuAllocator allocator_;
};

}  // namespace

Backend* cpu_backend() {
  static CpuBackend backend;
  return &backend;
}

#ifndef FASTSERVE_HAVE_CUDA
Result<Backend*> cuda_backend(int /*index*/) {
  return Status(StatusCode::kUnsupported, "CUDA backend not built (configure with nvcc present and -DFASTSERVE_CUDA=ON)");
}
#else
Result<Backend*> cuda_backend(int index);  // src/backends/cuda/cuda_backend.cc
#endif

Result<Backend*> find_backend(Device device, int index) {
  switch (device) {
    case Device::kCpu:
      return cpu_backend();
    case Device::kCuda:
      return cuda_backend(index);
  }
  return Status(StatusCode::kInternal, "unknown device");
}

}  // namespace fastserve
