// Devices and the allocator interface a backend provides.
#pragma once

#include <cstddef>
#include <string>

#include "fastserve/status.h"

namespace fastserve {

enum class Device { kCpu = 0, kCuda = 1 };

const char* device_name(Device d);  // "cpu", "cuda"
// Parses "cpu", "cuda", "cuda:N" (index in *index, default 0).
Result<Device> parse_device(const std::string& s, int* index = nullptr);

// Device memory. CPU: 64-byte aligned heap; CUDA: a caching device allocator.
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes) = 0;  // nullptr on failure
  virtual void deallocate(void* p) = 0;
  virtual Device device() const = 0;
};

}  // namespace fastserve
