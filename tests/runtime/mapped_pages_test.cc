// Dropping file-mapped weight pages (runtime/mapped_pages.h,
// MappedFile::release_range): the bytes read back unchanged afterwards, and
// memory outside the model's mapped ranges is never advised.
#include "runtime/mapped_pages.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "onnx/mapped_file.h"

namespace fastserve {
namespace {

std::string write_temp_file(const std::vector<uint8_t>& bytes) {
  char path[] = "/tmp/fastserve_mapped_pages_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  return path;
}

TEST(MappedPages, ReleasedPagesReadBackUnchanged) {
  std::vector<uint8_t> bytes(5 * 4096 + 123);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  const std::string path = write_temp_file(bytes);
  Result<std::shared_ptr<const MappedFile>> f = MappedFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const uint8_t* d = f.value()->data();
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i) sum += d[i];  // fault everything in
  EXPECT_GT(sum, 0u);

  Model m;
  m.mapped_ranges.emplace_back(d, bytes.size());
  EXPECT_GT(release_mapped_bytes(m, d + 100, 3 * 4096), 0u);  // whole pages inside: pages 1 and 2
  EXPECT_EQ(release_mapped_bytes(m, d + 100, 100), 0u);        // no whole page inside
  EXPECT_EQ(release_mapped_pages(m), 5u * 4096);                // the tail page is partial
  MappedFile::release_range(d, bytes.size());
  f.value()->release_pages();
  for (size_t i = 0; i < bytes.size(); ++i) ASSERT_EQ(d[i], bytes[i]) << i;
  std::remove(path.c_str());
}

TEST(MappedPages, MemoryOutsideTheMappedRangesIsLeftAlone) {
  std::vector<uint8_t> heap(64 * 4096, 0xAB);
  Model m;  // no mapped ranges: nothing may be advised
  EXPECT_EQ(release_mapped_bytes(m, heap.data(), heap.size()), 0u);
  EXPECT_EQ(release_mapped_pages(m), 0u);
  std::vector<uint8_t> other(8 * 4096, 1);
  m.mapped_ranges.emplace_back(other.data(), other.size());
  EXPECT_EQ(release_mapped_bytes(m, heap.data(), heap.size()), 0u);  // not inside the listed range
  for (uint8_t b : heap) ASSERT_EQ(b, 0xAB);
}

}  // namespace
}  // namespace fastserve
