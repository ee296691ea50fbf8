// relu_f32__cuda: y[i] = max(x[i], 0), one thread per element, grid-stride loop.
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/relu/relu.h"

namespace fastserve {
namespace {

__global__ void relu_f32_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] = fmaxf(x[i], 0.f);
  }
}

}  // namespace

Status relu_f32_cuda(const float* x, float* y, int64_t n) {
  if (n == 0) return ok_status();
  const int threads = 256;
  const int64_t blocks64 = (n + threads - 1) / threads;
  const int blocks = static_cast<int>(blocks64 < 65535 ? blocks64 : 65535);
  relu_f32_kernel<<<blocks, threads>>>(x, y, n);
  cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) return internal_error(std::string("relu_f32_cuda: ") + cudaGetErrorString(e));
  return ok_status();
}

}  // namespace fastserve
