#include "core/device.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "backends/cpu/cpu_allocator.h"

namespace fastserve {
namespace {

TEST(Device, ParsesCpuCudaAndIndexedCuda) {
  int index = -1;
  Result<Device> cpu = parse_device("cpu", &index);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(*cpu, Device::kCpu);
  EXPECT_EQ(index, 0);
  Result<Device> cuda = parse_device("cuda", &index);
  ASSERT_TRUE(cuda.ok());
  EXPECT_EQ(*cuda, Device::kCuda);
  EXPECT_EQ(index, 0);
  Result<Device> cuda3 = parse_device("cuda:3", &index);
  ASSERT_TRUE(cuda3.ok());
  EXPECT_EQ(*cuda3, Device::kCuda);
  EXPECT_EQ(index, 3);
  EXPECT_TRUE(parse_device("cuda:0").ok());  // index pointer optional
  EXPECT_STREQ(device_name(Device::kCpu), "cpu");
  EXPECT_STREQ(device_name(Device::kCuda), "cuda");
}

TEST(Device, RejectsMalformedNamesAndNamesThem) {
  for (const char* s : {"", "gpu", "CPU", "cuda:", "cuda:-1", "cuda:x", "cuda:1a", "cuda:99999999999", "cpu:0", " cpu"}) {
    Result<Device> d = parse_device(s);
    ASSERT_FALSE(d.ok()) << s;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find("'" + std::string(s) + "'"), std::string::npos) << d.status().message();
  }
}

TEST(CpuAllocator, AlignsSmallAndHugeBlocks) {
  CpuAllocator alloc;
  EXPECT_EQ(alloc.device(), Device::kCpu);
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, size_t{3} << 20}) {
    void* p = alloc.allocate(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % CpuAllocator::kAlignment, 0u);
    if (bytes >= CpuAllocator::kHugePageSize) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % CpuAllocator::kHugePageSize, 0u);
    }
    if (bytes > 0) {
      static_cast<char*>(p)[0] = 1;
      static_cast<char*>(p)[bytes - 1] = 2;
    }
    alloc.deallocate(p);
  }
  EXPECT_EQ(alloc.allocate(SIZE_MAX - 10), nullptr);
}

}  // namespace
}  // namespace fastserve
