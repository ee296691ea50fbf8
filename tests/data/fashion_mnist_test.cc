// IDX reader and Fashion-MNIST loader (data/fashion_mnist.h), on tiny files
// written here with zlib, plus the installed test set when present.
#include "data/fashion_mnist.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "tests/cli/cli_harness.h"

namespace fastserve {
namespace {

using testing::ScratchDir;

// IDX bytes: 0,0,type,ndims, big-endian dims, then data.
std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data, uint8_t type = 0x08) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) s += static_cast<char>((d >> shift) & 0xff);
  }
  s.append(data.begin(), data.end());
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> iota_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

TEST(Idx, ReadsGzippedArray) {
  ScratchDir dir;
  write_gz(dir.file("a.gz"), idx_bytes({3, 2, 5}, iota_bytes(30)));
  Result<IdxArray> a = read_idx_u8(dir.file("a.gz"));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->dims, (std::vector<int64_t>{3, 2, 5}));
  EXPECT_EQ(a->data, iota_bytes(30));
}

TEST(Idx, ReadsUncompressedFilesToo) {
  ScratchDir dir;
  testing::write_file(dir.file("raw.idx"), idx_bytes({4}, {9, 8, 7, 6}));
  Result<IdxArray> a = read_idx_u8(dir.file("raw.idx"));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->data, (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST(Idx, RejectsBadFilesNamingThem) {
  ScratchDir dir;
  auto expect_error = [&](const std::string& name, const std::string& bytes, const std::string& needle) {
    write_gz(dir.file(name), bytes);
    Result<IdxArray> a = read_idx_u8(dir.file(name));
    ASSERT_FALSE(a.ok()) << name;
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(a.status().message().find(dir.file(name)), std::string::npos) << a.status().message();
    EXPECT_NE(a.status().message().find(needle), std::string::npos) << a.status().message();
  };
  expect_error("magic.gz", std::string("\x01\x00\x08\x01\x00\x00\x00\x01\x05", 9), "bad magic");
  expect_error("type.gz", idx_bytes({2}, {1, 2}, 0x0D), "0x0d");
  expect_error("nodims.gz", idx_bytes({}, {}), "0 dims");
  expect_error("header.gz", idx_bytes({10, 10}, {}).substr(0, 7), "truncated IDX header");
  expect_error("short.gz", idx_bytes({10, 10}, iota_bytes(60)), "header promises 100 data bytes, file has 60");
  expect_error("long.gz", idx_bytes({2}, {1, 2, 3}), "trailing bytes");
  expect_error("huge.gz", idx_bytes({65536, 65536}, {}), "larger than 1 GiB");

  Result<IdxArray> missing = read_idx_u8(dir.file("none.gz"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(Idx, CorruptGzipStreamIsAnError) {
  ScratchDir dir;
  write_gz(dir.file("ok.gz"), idx_bytes({100}, iota_bytes(100)));
  std::string bytes = testing::read_file(dir.file("ok.gz"));
  for (size_t i = 12; i < bytes.size() - 8; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  testing::write_file(dir.file("bad.gz"), bytes);
  Result<IdxArray> a = read_idx_u8(dir.file("bad.gz"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bad.gz"), std::string::npos) << a.status().message();
}

void write_dataset(const ScratchDir& dir, uint32_t n, uint32_t rows, uint32_t cols, std::vector<uint8_t> labels) {
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_bytes({n, rows, cols}, iota_bytes(size_t{n} * rows * cols)));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_bytes({static_cast<uint32_t>(labels.size())}, labels));
}

TEST(FashionMnist, LoadsImagesAndLabels) {
  ScratchDir dir;
  write_dataset(dir, 3, 4, 5, {9, 0, 4});
  Result<Dataset> ds = load_fashion_mnist(dir.path().string());
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  EXPECT_EQ(ds->count, 3);
  EXPECT_EQ(ds->rows, 4);
  EXPECT_EQ(ds->cols, 5);
  EXPECT_EQ(ds->labels, (std::vector<uint8_t>{9, 0, 4}));
  EXPECT_EQ(ds->image(2)[0], iota_bytes(60)[40]);
}

TEST(FashionMnist, RejectsInconsistentFiles) {
  {
    ScratchDir dir;
    write_dataset(dir, 3, 4, 5, {1, 2});
    Result<Dataset> ds = load_fashion_mnist(dir.path().string());
    ASSERT_FALSE(ds.ok());
    EXPECT_NE(ds.status().message().find("has 3 images but"), std::string::npos) << ds.status().message();
  }
  {
    ScratchDir dir;
    write_dataset(dir, 2, 4, 5, {1, 10});
    Result<Dataset> ds = load_fashion_mnist(dir.path().string());
    ASSERT_FALSE(ds.ok());
    EXPECT_NE(ds.status().message().find("label 10 at index 1"), std::string::npos) << ds.status().message();
  }
  {
    ScratchDir dir;
    write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_bytes({4}, {1, 2, 3, 4}));
    write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_bytes({4}, {1, 2, 3, 4}));
    Result<Dataset> ds = load_fashion_mnist(dir.path().string());
    ASSERT_FALSE(ds.ok());
    EXPECT_NE(ds.status().message().find("expected 3 dims"), std::string::npos) << ds.status().message();
  }
  Result<Dataset> none = load_fashion_mnist("/nonexistent/fashion");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST(FashionMnist, InstalledTestSet) {
  const std::string dir(kFashionMnistDefaultDir);
  if (!std::filesystem::exists(dir + "/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "not installed: " << dir;
  Result<Dataset> ds = load_fashion_mnist(dir);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  EXPECT_EQ(ds->count, 10000);
  EXPECT_EQ(ds->rows, 28);
  EXPECT_EQ(ds->cols, 28);
  // The well-known first t10k labels (models/samples: #0 ankle boot, #1 pullover, #2 trouser, #4 shirt, #6 coat).
  EXPECT_EQ(std::vector<uint8_t>(ds->labels.begin(), ds->labels.begin() + 8),
            (std::vector<uint8_t>{9, 2, 1, 1, 6, 1, 4, 6}));
  std::vector<int> per_class(10);
  for (uint8_t l : ds->labels) ++per_class[l];
  for (int c : per_class) EXPECT_EQ(c, 1000);
}

}  // namespace
}  // namespace fastserve
