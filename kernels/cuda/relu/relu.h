// CUDA elementwise Relu: y = max(x, 0) over n f32 values in device memory.
#pragma once

#include <cstdint>

#include "fastserve/status.h"

namespace fastserve {

// Launches on the default stream (streams arrive with the CUDA issue) and
// waits for completion. x and y are device pointers; in-place is allowed.
Status relu_f32_cuda(const float* x, float* y, int64_t n);

}  // namespace fastserve
