// The backend interface: what a device contributes to a session.
//
// A backend owns the device plumbing (its allocator, later streams and copies)
// and says which kernel descriptors it runs (those registered with its
// Device). The CPU backend implements it now (src/backends/cpu); the CUDA
// backend (src/backends/cuda) implements it when the toolkit is present and a
// GPU is visible. Sessions ask find_backend(device) and place nodes on it.
#pragma once

#include <memory>
#include <string>

#include "core/device.h"
#include "fastserve/status.h"

namespace fastserve {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // Human-readable, e.g. "cpu (avx512, 2 threads)" or "cuda:0 (NVIDIA H100)".
  virtual std::string description() const = 0;
  virtual Allocator& allocator() = 0;
  // Copies between host memory and this device (memcpy on the CPU).
  virtual Status copy_to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual Status copy_to_host(void* dst, const void* src, size_t bytes) = 0;
};

// The backend for `device` (index for multi-GPU), or kUnsupported/kUnavailable
// with a reason ("CUDA backend not built", "no CUDA device visible").
Result<Backend*> find_backend(Device device, int index = 0);

}  // namespace fastserve
